"""Tests of HTML -> Markdown conversion and of splitting HTML issues."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from reader.core.convert import html_to_markdown, split_html
from reader.core.split import split_markdown

DATA = Path(__file__).resolve().parents[1] / "data" / "split"


def test_script_and_style_are_dropped() -> None:
    markdown = html_to_markdown(
        "<style>p { color: red }</style><p>Kept.</p><script>alert('gone')</script>"
    )
    assert markdown == "Kept.\n"


def test_heading_self_anchors_disappear() -> None:
    markdown = html_to_markdown(
        '<h2 id="a"><a href="#a">#</a>Title</h2>'
        '<h3 id="b">Other <a class="anchor" href="#b">¶</a></h3>'
        '<h3 id="c"><a href="#c">Whole heading linked</a></h3>'
    )
    lines = [line.rstrip() for line in markdown.splitlines() if line.strip()]
    assert lines == ["## Title", "### Other", "### Whole heading linked"]


def test_figures_stay_images_and_rules_become_dashes() -> None:
    markdown = html_to_markdown(
        '<figure><img src="https://img.example/a.png" alt="A chart"><figcaption>Caption</figcaption></figure>'
        "<hr><p>After.</p>"
    )
    assert "![A chart](https://img.example/a.png)" in markdown
    assert "\n---\n" in markdown
    assert "Caption" in markdown


def test_relative_links_resolve_against_the_base_url() -> None:
    html = '<p><a href="/about">About</a> <a href="next.html">Next</a> <img src="img/x.png" alt="x"></p>'
    markdown = html_to_markdown(html, base_url="https://blog.example/posts/1/")
    assert "[About](https://blog.example/about)" in markdown
    assert "[Next](https://blog.example/posts/1/next.html)" in markdown
    assert "![x](https://blog.example/posts/1/img/x.png)" in markdown


def test_relative_links_without_a_base_become_text() -> None:
    markdown = html_to_markdown(
        '<p><a href="/about">About</a> and <img src="x.png" alt="x"> more</p>'
    )
    assert markdown.split() == ["About", "and", "more"]


def test_only_web_and_mail_links_stay_links() -> None:
    markdown = html_to_markdown(
        '<p><a href="javascript:alert(1)">js</a> <a href="java&#10;script:alert(1)">nl</a> '
        '<a href="data:text/html,x">data</a> <a href="ftp://f.example/x">ftp</a> '
        '<a href="mailto:me@example.com">mail</a> <a href="https://w.example/">web</a> '
        '<a href="#section">anchor</a></p>'
    )
    assert "javascript" not in markdown and "data:" not in markdown and "ftp:" not in markdown
    assert "[mail](mailto:me@example.com)" in markdown
    assert "[web](https://w.example/)" in markdown
    assert "js nl data ftp" in markdown and "anchor" in markdown


def test_data_images_are_dropped_and_a_link_left_empty_goes_with_them() -> None:
    markdown = html_to_markdown(
        '<p>Logo: <a href="https://x.example"><img src="data:image/png;base64,AAAA" alt="logo"></a> end</p>'
    )
    assert "data:" not in markdown
    assert "[](" not in markdown
    assert markdown.split() == ["Logo:", "end"]


def test_links_in_code_are_left_alone() -> None:
    markdown = html_to_markdown(
        "<pre><code>[x](/relative)\n# not a heading</code></pre><p><code>[y](/z)</code></p>"
    )
    assert "[x](/relative)" in markdown
    assert "`[y](/z)`" in markdown


def test_urls_with_spaces_and_parentheses_stay_one_link() -> None:
    markdown = html_to_markdown('<p><a href="/a b (1)">odd</a></p>', base_url="https://e.example/")
    issue = split_markdown("## S\n\n#### Item\n\n" + markdown)
    assert issue.sections[0].items[0].url == "https://e.example/a%20b%20(1)"


def test_split_html_takes_title_and_date_from_the_page() -> None:
    html = (
        "<html><head><title>Page Title</title>"
        '<meta property="article:published_time" content="2024-01-02T03:04:05+02:00">'
        "</head><body><p>Only text, no headings.</p></body></html>"
    )
    issue = split_html(html, fallback_title="file-stem")
    assert issue.title == "Page Title"
    assert issue.date == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert [[item.title for item in section.items] for section in issue.sections] == [
        ["Page Title"]
    ]


def test_split_html_prefers_the_h1_and_falls_back_to_the_given_title() -> None:
    assert split_html("<title>Page</title><h1>Heading</h1><p>x</p>").title == "Heading"
    assert split_html("<p>A fragment from a feed.</p>", fallback_title="Entry").title == "Entry"


def test_blog_engine_html_splits_like_its_markdown() -> None:
    from_html = split_html((DATA / "blog-engine-html.html").read_text(encoding="utf-8"))
    from_markdown = split_markdown((DATA / "blog-engine-md.md").read_text(encoding="utf-8"))

    def shape(issue: object) -> object:
        return [
            (section.title, [(item.title, item.url, item.body) for item in section.items])
            for section in issue.sections  # type: ignore[attr-defined]
        ]

    assert from_html.title == from_markdown.title
    assert shape(from_html) == shape(from_markdown)


def test_email_style_layout_converts_to_items() -> None:
    html = (
        "<table><tr><td><h2>Top stories</h2>"
        '<p><strong><a href="https://news.example/a">Story A</a></strong><br>What happened in A.</p>'
        '<p><strong><a href="https://news.example/b">Story B</a></strong><br>What happened in B.</p>'
        "</td></tr></table>"
    )
    issue = split_html(html, fallback_title="Daily")
    items = [item for section in issue.sections for item in section.items]
    assert [(item.title, item.url) for item in items] == [
        ("Story A", "https://news.example/a"),
        ("Story B", "https://news.example/b"),
    ]


def test_empty_html_still_gives_one_item() -> None:
    issue = split_html("", fallback_title="Empty")
    assert [[item.title for item in section.items] for section in issue.sections] == [["Empty"]]


def test_a_link_around_blocks_becomes_a_linked_title_and_paragraphs() -> None:
    # A bookmark card (Ghost, Substack embeds): one <a> around title, description and site.
    markdown = html_to_markdown(
        '<figure class="kg-card"><a class="kg-bookmark-container" href="https://lib.example/cards">'
        '<div class="kg-bookmark-content"><div class="kg-bookmark-title">The card catalog</div>'
        '<div class="kg-bookmark-description">How index cards organised knowledge.</div>'
        '<div class="kg-bookmark-metadata"><img src="https://lib.example/icon.png" alt="">'
        "<span>Library Journal</span></div></div>"
        '<div class="kg-bookmark-thumbnail"><img src="https://lib.example/t.jpg" alt=""></div>'
        '</a></figure><p>An <a href="https://inline.example">inline link</a> stays.</p>'
    )
    paragraphs = [part.strip() for part in markdown.split("\n\n") if part.strip()]
    assert paragraphs == [
        "[The card catalog](https://lib.example/cards)",
        "How index cards organised knowledge.",
        "Library Journal",
        "An [inline link](https://inline.example) stays.",
    ]


def test_an_unclosed_link_before_blocks_is_left_alone() -> None:
    html = '<p><a href="https://a.example">open</p><div><p>Block</p></div>'
    assert "Block" in html_to_markdown(html)


def test_a_link_left_open_does_not_swallow_the_next_link() -> None:
    markdown = html_to_markdown(
        '<p><a href="https://a.example">open</p><div><p>Block</p></div>'
        '<p><a href="https://b.example">second</a></p>'
    )
    assert "https://b.example" in markdown


def test_a_link_around_a_heading_and_its_summary_keeps_the_heading() -> None:
    markdown = html_to_markdown(
        '<a href="https://story.example/a"><h3>A story</h3><p>Its summary.</p></a>'
        '<a class="anchor" href="#next"><h2 id="next">Next part</h2></a>'
    )
    paragraphs = [part.strip() for part in markdown.split("\n\n") if part.strip()]
    assert paragraphs == ["### [A story](https://story.example/a)", "Its summary.", "## Next part"]


GUARD_SAMPLES = [
    "<h1>Title</h1><p>Text with <a href='https://a.example/x'>a link</a> and"
    " <a href='https://a.example/y'>https://a.example/y</a>.</p>",
    "<h2>Code</h2><pre><code class='language-rust'>fn main() {}\n</code></pre>"
    "<p>Line one<br>line two</p>",
    "<ul><li>one<ul><li>nested</li></ul></li><li>two <em>em</em> <strong>strong</strong></li></ul>",
    "<table><tr><th>a</th><th>b</th></tr><tr><td>1<br>2</td><td>3</td></tr></table>",
    "<p><abbr title='HyperText'>HTML</abbr>, <mark>marked</mark>, <q>quoted</q>,"
    " <del>gone</del>, <sub>2</sub><sup>3</sup></p>",
    "<blockquote cite='https://q.example'><p>Said.</p></blockquote><hr>"
    "<figure><img src='https://i.example/a.png' alt='pic'><figcaption>Cap</figcaption></figure>",
    "<html><head><title>Page</title><meta name='description' content='d'></head>"
    "<body><p>*stars* and _under_ [brackets]</p></body></html>",
]


@pytest.mark.parametrize("html", GUARD_SAMPLES)
def test_the_prebuilt_native_options_match_the_public_api(html: str) -> None:
    """convert.py builds html-to-markdown's native options itself (the package's private
    module, to skip a per-call translation): they must convert as the public API does."""
    import html_to_markdown
    from html_to_markdown import CodeBlockStyle, HeadingStyle, NewlineStyle
    from html_to_markdown._html_to_markdown import convert as native_convert

    from reader.core import convert as convert_module

    public = html_to_markdown.convert(
        html,
        html_to_markdown.ConversionOptions(
            extract_metadata=True,
            autolinks=False,
            heading_style=HeadingStyle.ATX,
            code_block_style=CodeBlockStyle.BACKTICKS,
            newline_style=NewlineStyle.BACKSLASH,
        ),
    )
    native = native_convert(html, convert_module._OPTIONS)
    assert native.content == public.content
