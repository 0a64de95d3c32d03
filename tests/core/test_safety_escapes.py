"""Escape sequences leave untrusted text whole (never `[31m` behind); Markdown escaping."""

from __future__ import annotations

import html
import random
import unicodedata

import pytest

from reader.core.safety import markdown_link, markdown_text, printable, strip_escape_sequences
from reader.core.textio import decode_text

CSI_RED = "\x1b[31m"
OSC8_OPEN_ST = "\x1b]8;;http://evil.example/\x1b\\"
OSC8_CLOSE_ST = "\x1b]8;;\x1b\\"
OSC8_OPEN_BEL = "\x1b]8;id=1;http://evil.example/\x07"
OSC8_CLOSE_BEL = "\x1b]8;;\x07"
OSC52_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # CSI: introducer, parameters and final byte all go.
        ("[/] Section \x1b[31mred", "[/] Section red"),
        ("\x1b[1;38;5;196mbold red\x1b[0m plain", "bold red plain"),
        ("clear\x1b[2J\x1b[Hscreen", "clearscreen"),
        ("private \x1b[?25lcursor", "private cursor"),
        # OSC 8 hyperlinks, closed with ST or with BEL: the link text stays.
        (f"see {OSC8_OPEN_ST}the docs{OSC8_CLOSE_ST} now", "see the docs now"),
        (f"see {OSC8_OPEN_BEL}the docs{OSC8_CLOSE_BEL} now", "see the docs now"),
        # OSC 52 writes the clipboard; OSC 0 the window title.
        (f"copy{OSC52_CLIPBOARD} this", "copy this"),
        ("title\x1b]0;owned\x07 bar", "title bar"),
        # 8-bit C1 forms: CSI, OSC ended by ST (0x9c) or BEL, DCS.
        ("c1 \x9b31mred", "c1 red"),
        ("c1 \x9d8;;http://evil.example/\x9clink\x9d8;;\x9c", "c1 link"),
        ("c1 \x9d52;c;ZXZpbA==\x07clip", "c1 clip"),
        ("dcs \x90qpayload\x9cafter", "dcs after"),
        ("dcs \x1bP1$r0m\x1b\\after", "dcs after"),
        # Other escapes: charset designation, save cursor, full reset, a lone ESC.
        ("a\x1b(Bb", "ab"),
        ("a\x1b7b\x1b8c", "abc"),
        ("reset\x1bc", "reset"),
        ("trailing escape\x1b", "trailing escape"),
        # Cut short: what was sent of the sequence goes, not the text after.
        ("cut \x1b[31", "cut "),
        ("cut \x1b]0;never ended", "cut "),
        ("wide 中文\x1b[31m红色", "wide 中文红色"),
    ],
)
def test_printable_removes_whole_escape_sequences(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_unterminated_string_ends_at_the_line_it_is_on() -> None:
    body = "first \x1b]8;;http://evil.example/\nsecond line\nthird"
    assert printable(body, keep_newlines=True) == "first \nsecond line\nthird"


def test_escape_sequences_go_from_bodies_that_keep_their_lines() -> None:
    body = f"# Title {CSI_RED}red\r\n\r\n{OSC52_CLIPBOARD}Paragraph\twith tab\x07.\n"
    assert printable(body, keep_newlines=True) == "# Title red\n\nParagraph\twith tab.\n"


def test_strip_escape_sequences_leaves_other_characters_alone() -> None:
    # Only sequences go; lone controls are for `printable` to drop at display.
    assert strip_escape_sequences("a\x1b[31mb\x07c\nd") == "ab\x07c\nd"
    assert strip_escape_sequences("plain [31m text") == "plain [31m text"
    assert strip_escape_sequences("中文 › quotes “x”") == "中文 › quotes “x”"


@pytest.mark.parametrize(
    ("text", "keep_newlines"),
    [
        ("An ordinary ASCII title about Rust 1.85", False),
        ("推理语言模型（RLM）：AI 推理的未来基石", False),
        ("A body\n\nwith paragraphs\tand a tab.\n", True),
    ],
)
def test_clean_text_takes_the_fast_path_unchanged(text: str, keep_newlines: bool) -> None:
    # The same object comes back: nothing was scanned character by character.
    assert printable(text, keep_newlines=keep_newlines) is text
    assert strip_escape_sequences(text) is text


def _reference_printable(text: str, keep_newlines: bool) -> str:
    """The per-character rule `printable` applies after escape sequences, written plainly."""
    invisible = set(
        "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
    )
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    previous_break = False
    for char in text:
        if not keep_newlines and char in "\r\n\t\u2028\u2029":
            if not previous_break:
                out.append(" ")
            previous_break = True
            continue
        previous_break = False
        unsafe = (
            char in invisible
            or char in "\u2028\u2029"
            or unicodedata.category(char) in {"Cc", "Cs", "Co"}
        )
        if not unsafe or (keep_newlines and char in "\n\t"):
            out.append(char)
    return "".join(out)


def test_printable_keeps_its_character_rules_on_random_text_without_escapes() -> None:
    alphabet = [
        *"ab [/]*_#\n\t\r",
        "\x00", "\x07", "\x0b", "\x7f", "\x85", "\u200b", "\u202e", "\ue000", "\U000f0001",
        "中", "\xa0", "\u2028", "\u3000", "\ud800", "é", "\U0001f980",
    ]  # fmt: skip
    generator = random.Random(20250228)
    for _ in range(20_000):
        text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 12)))
        for keep_newlines in (False, True):
            assert printable(text, keep_newlines=keep_newlines) == _reference_printable(
                text, keep_newlines
            ), repr(text)


def test_imported_text_loses_escape_sequences_whole() -> None:
    raw = b"# Issue \x1b[32mgreen\n\n## [/] Section \x1b[31mred\n\n\x1b]8;;http://evil/\x07x\n"
    assert decode_text(raw) == "# Issue green\n\n## [/] Section red\n\nx\n"


# --- Markdown ----------------------------------------------------------------------


def _rendered(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("strikethrough").render(markdown)


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("[@click=app.quit]Click me[/]", r"\[@click=app.quit\]Click me\[/\]"),
        ("# not a heading", r"\# not a heading"),
        ("C# weekly #", r"C\# weekly \#"),
        ("`rm -rf` and *bold* and _it_", r"\`rm -rf\` and \*bold\* and \_it\_"),
        ("a [b](https://evil.example) c", r"a \[b\](https://evil.example) c"),
        ("<script>x</script> &amp; & ~~gone~~", r"\<script\>x\</script\> \&amp; & \~\~gone\~\~"),
        ("back\\slash | pipe", r"back\\slash \| pipe"),
        ("two\nlines \x1b[31mred", "two lines red"),
        ("plain title, 1.2", "plain title, 1.2"),
    ],
)
def test_markdown_text_renders_as_the_title_itself(title: str, written: str) -> None:
    assert markdown_text(title) == written
    expected = html.escape(" ".join(printable(title).split()), quote=False)
    assert _rendered(f"### {markdown_text(title)}") == f"<h3>{expected}</h3>\n"


def test_markdown_link_stays_one_link_with_its_own_url() -> None:
    title = "[@click=app.quit]Click [me](https://evil.example)[/] `x`"
    url = "https://example.com/wiki/Rust_(language)?q=<1>"
    written = markdown_link(title, url)
    assert written == (
        r"[\[@click=app.quit\]Click \[me\](https://evil.example)\[/\] \`x\`]"
        r"(https://example.com/wiki/Rust_\(language\)?q=\<1\>)"
    )
    rendered = _rendered(written)
    assert rendered.count("<a ") == 1
    assert 'href="https://example.com/wiki/Rust_(language)?q=%3C1%3E"' in rendered
    assert ">[@click=app.quit]Click [me](https://evil.example)[/] `x`</a>" in rendered


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "file:///etc/passwd"])
def test_markdown_link_drops_links_a_browser_may_not_open(url: str | None) -> None:
    assert markdown_link("Title [x]", url) == r"Title \[x\]"


def test_feed_html_and_mail_subjects_lose_escape_sequences_whole() -> None:
    from reader.core.convert import split_html
    from reader.core.email import parse_message

    issue = split_html(
        "<h1>Weekly</h1><h2>News \x1b[31mred\x1b[0m</h2>"
        '<h4><a href="https://example.com/a">Item \x1b]52;c;ZXZpbA==\x07one</a></h4><p>Body.</p>'
    )
    assert [(s.title, [i.title for i in s.items]) for s in issue.sections] == [
        ("News red", ["Item one"])
    ]
    message = (
        b"From: a@example.com\r\nSubject: Digest \x1b[1mbold\x1b[0m no. 5\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
    )
    assert parse_message(message).title == "Digest bold no. 5"


def test_an_export_keeps_only_links_a_browser_may_open() -> None:
    from reader.core.safety import without_unsafe_links

    body = (
        "See [x](javascript:alert(1)) and [ok](https://example.com/a_(b)), "
        '![pic](file:///etc/passwd) ![logo](https://example.com/l.png "Logo") '
        "<javascript:alert(1)> <https://example.org> [rel](../notes.md) [mail](mailto:a@b.example)"
    )
    assert without_unsafe_links(body) == (
        "See x and [ok](https://example.com/a_(b)), "
        'pic ![logo](https://example.com/l.png "Logo") '
        "javascript:alert(1) <https://example.org> rel [mail](mailto:a@b.example)"
    )


def test_the_markdown_export_of_an_item_drops_its_unsafe_links(home: object) -> None:
    from datetime import datetime

    from reader import paths
    from reader.core.library import Library
    from reader.core.model import ParsedIssue, ParsedItem, ParsedSection

    item = ParsedItem(
        "Item", "https://example.com/i", "Read [this](javascript:alert(1)) or [that](file:///x)."
    )
    issue = ParsedIssue("Weekly", datetime(2025, 3, 1), None, (ParsedSection("S", (item,)),))
    with Library(paths.database_path()) as library:
        library.store_parsed(library.imports_source_id(), issue)
        digest = library.export_markdown(view="all")
    assert "Read this or that." in digest
    assert "javascript:" not in digest and "file:" not in digest
