"""The reader pane: an item's header (title, issue, section, date, link) over its Markdown.

The body is the item's summary, or its saved article (one key switches). Bodies are
cleaned of control characters before the Markdown widget sees them, and clicked links
go to the screen, which opens only http, https and mailto.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.widgets import Static

from reader.core.model import AlsoIn, Article, Item
from reader.core.safety import is_openable_url, printable
from reader.tui.linebreak import NO_BREAK_SPACE
from reader.tui.text import local_time, plain, shorten

if TYPE_CHECKING:
    # Imported when the first body is drawn: markdown-it and the widget's many
    # styles would cost the first frame about 40 ms.
    from textual.widgets import Markdown

# Markdown mounts one widget per block; past this size a body is cut so that
# opening a huge scraped article never stalls the app.
MAX_BODY_CHARS = 200_000

WELCOME = """\
# reader

Pick an issue on the left, or press `1` for everything unread.

* `j` / `k` move, `enter` opens, `space` marks read and moves on
* `/` searches, `?` lists every key, `ctrl+p` offers every action

An empty library? Quit with `q`, then `reader import FILE...` or
`reader add URL` fills it, and `reader demo` shows one.
"""


NO_ARTICLE = "*No saved article yet: `d` saves this one, `D` every one of the issue.*"
# Reads the saved article of an item (or None); the screen hands it to the pane.
ArticleReader = Callable[[Item], Article | None]


@dataclass(frozen=True)
class ItemContext:
    """Where an item sits, for its header; `also_in` lists where else its story is told."""

    issue_title: str = ""
    section_title: str = ""
    date: str = ""
    source_title: str = ""
    also_in: tuple[AlsoIn, ...] = ()


def item_links(item: Item) -> list[str]:
    """The item's links, its source link first, each once."""
    links: list[str] = []
    for link in (item.url, *item.links):
        if link and link not in links:
            links.append(link)
    return links


class ItemHeader(Static):
    """Title, place, date, flags and the current link of the open item."""

    DEFAULT_CSS = """
    ItemHeader {
        height: auto;
        padding: 0 1;
        background: $boost;
        border-bottom: solid $primary 40%;
    }
    """


class ReaderPane(Vertical):
    """Header and body of the open item."""

    DEFAULT_CSS = """
    ReaderPane {
        height: 1fr;
        background: $surface;
    }
    ReaderPane > VerticalScroll {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    ReaderPane Markdown {
        margin: 0;
        padding: 0;
    }
    /* Long code lines wrap rather than vanish at the pane's edge: the fence cannot take
       the keys to scroll sideways, and this is for reading. */
    ReaderPane MarkdownFence {
        overflow-x: hidden;
        & > Label { width: 100%; padding: 1 1; }
    }
    """

    class LinkClicked(Message):
        """A link in the body was clicked; the screen decides whether to open it."""

        def __init__(self, href: str) -> None:
            super().__init__()
            self.href = href

    def __init__(self, *, id: str | None = None, article_of: ArticleReader | None = None) -> None:
        super().__init__(id=id)
        self.item: Item | None = None
        self.context = ItemContext()
        self.links: list[str] = []
        self.link_index = 0
        self.article_of = article_of
        # The body shows the saved article instead of the summary (for every item, until
        # switched back), and `article` is the open item's, read when its body is drawn.
        self.show_article = False
        self.article: Article | None = None
        self._article_item_id: str | None = None
        self._body_item_id: str | None = None
        self._body_key: tuple[object, ...] | None = None
        self._markdown: Markdown | None = None
        self._markdown_mounting = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield ItemHeader(id="item-header")
        # The Markdown widget replaces this empty body when the first body is drawn.
        yield VerticalScroll(id="item-body-scroll")

    @property
    def current_link(self) -> str | None:
        if not self.links:
            return None
        return self.links[self.link_index % len(self.links)]

    def show_header(self, item: Item | None, context: ItemContext | None = None) -> None:
        """Show an item's header now; its body follows with `show_body`."""
        same = item is not None and self.item is not None and item.id == self.item.id
        self.item = item
        self.context = context or ItemContext()
        if not same:
            self.links = item_links(item) if item else []
            self.link_index = 0
            self.article = None
            self._article_item_id = None
        self.update_header()

    async def show_body(self, *, reread: bool = False) -> None:
        """Render the body of the item in the header, scrolled to its top: once per item,
        mode and saved article (`reread` reads the article again, as it may be new)."""
        item = self.item
        if item is not None and (reread or self._article_item_id != item.id):
            self._article_item_id = item.id
            article = self.article_of(item) if self.article_of is not None else None
            if article != self.article:
                self.article = article
                self.update_header()
        shown = item.id if item else None
        key = (shown, self.show_article, self.article)
        if key == self._body_key and self._body_item_id is not None:
            return
        self._body_key = key
        self._body_item_id = shown
        markdown = await self._body_widget()
        await markdown.update(self._body_text(item))
        self.query_one("#item-body-scroll", VerticalScroll).scroll_home(animate=False)

    async def _body_widget(self) -> Markdown:
        """The Markdown widget of the body, mounted the first time a body is drawn."""
        async with self._markdown_mounting:
            if self._markdown is None:
                from textual.widgets import Markdown

                markdown = Markdown(id="item-body", open_links=False)
                await self.query_one("#item-body-scroll", VerticalScroll).mount(markdown)
                self._markdown = markdown
        return self._markdown

    async def show(self, item: Item | None, context: ItemContext | None = None) -> None:
        """Show an item (or the welcome text for None): header and body."""
        self.show_header(item, context)
        await self.show_body()

    async def toggle_article(self) -> None:
        """Switch the body between the summary and the saved article."""
        self.show_article = not self.show_article
        self.update_header()
        await self.show_body()

    async def reload_article(self) -> None:
        """The open item's article may have been saved: read it again (the body is
        drawn again only if it changed)."""
        await self.show_body(reread=True)

    def _body_text(self, item: Item | None) -> str:
        if item is None:
            return WELCOME
        summary = _cut(printable(item.body, keep_newlines=True))
        summary = summary or "*(this item has no text; `o` opens its link)*"
        if not self.show_article:
            return summary
        article = self.article
        if article is None:
            return f"{NO_ARTICLE}\n\n---\n\n{summary}"
        if article.markdown is None:
            why = plain(article.error) or "it could not be read"
            return f"*The article could not be saved: {_escape(why)}*\n\n---\n\n{summary}"
        text = _cut(printable(article.markdown, keep_newlines=True))
        return text or "*(the saved article is empty)*"

    def update_flags(self, item: Item) -> None:
        """The open item's flags changed: redraw the header only."""
        if self.item is not None and item.id == self.item.id:
            self.item = item
            self.update_header()

    def next_link(self) -> str | None:
        if not self.links:
            return None
        self.link_index = (self.link_index + 1) % len(self.links)
        self.update_header()
        return self.current_link

    def on_resize(self) -> None:
        # The lines under the title are cut to the pane's width: cut them anew.
        if self.item is not None:
            self.update_header()

    def update_header(self) -> None:
        header = self.query_one(ItemHeader)
        width = header.content_region.width
        content = self.header_content(width)
        # A layout pass costs more than the rest of a cursor move; only pay it
        # when the header's height changes.
        rules = cast(RulesMap, header.styles)
        same_height = width > 0 and content.get_height(rules, width) == header.content_region.height
        header.update(content, layout=not same_height)

    def header_content(self, width: int = 0) -> Content:
        """The header as Content assembled from plain strings (never markup).

        Given the header's `width`, the lines below the title (where the item sits, the
        same story elsewhere, the link) are cut to one line each, so that a narrow pane
        keeps its rows for the text.
        """

        def line(text: str) -> str:
            return shorten(text, width) if width > 0 else text

        item = self.item
        if item is None:
            return Content.assemble(("No item open", "italic $text-muted"))
        context = self.context
        parts: list[str | tuple[str, str] | Content] = [
            (plain(item.title) or "(untitled)", "bold $text")
        ]
        place = " › ".join(plain(p) for p in (context.issue_title, context.section_title) if p)
        if place:
            parts += ["\n", (line(place), "$text-muted")]
        details = [d for d in (context.date, plain(context.source_title)) if d]
        flags = []
        flags.append("read" if item.read else "unread")
        if item.starred:
            flags.append("★ starred")
        if item.later:
            flags.append("◷ later")
        if not self.show_article and self.article is not None and self.article.markdown:
            flags.append("article saved (f)")
        # A narrow pane wraps between the fields, never inside a date or a flag, and the
        # separator stays at the end of its line.
        glued = [NO_BREAK_SPACE.join(flag.split(" ")) for flag in flags]
        if context.date:
            details[0] = NO_BREAK_SPACE.join(details[0].split(" "))
        parts += ["\n", (f"{NO_BREAK_SPACE}· ".join([*details, *glued]), "$text-muted")]
        if context.also_in:
            also_in = Content.assemble(*self._also_in_parts(context.also_in))
            if width > 0 and also_in.cell_length > width:
                also_in = also_in.truncate(width, ellipsis=True)
            parts += ["\n", also_in]
        if self.show_article:
            parts += ["\n", *self._article_parts()]
        link = self.current_link
        if link:
            counter = (
                f"link {self.link_index + 1}/{len(self.links)}  " if len(self.links) > 1 else ""
            )
            style = "underline $primary" if is_openable_url(link) else "$error"
            shown = plain(link)
            if width > 0:
                shown = shorten(shown, max(10, width - len(counter)))
            parts += ["\n", (counter, "$text-muted"), (shown, style)]
            if not is_openable_url(link):
                parts.append(("  (will not be opened)", "$text-muted"))
        return Content.assemble(*parts)

    def _also_in_parts(self, also_in: tuple[AlsoIn, ...]) -> list[str | tuple[str, str]]:
        first = also_in[0]
        place = " · ".join(p for p in (plain(first.issue_title), plain(first.section_title)) if p)
        parts: list[str | tuple[str, str]] = [
            ("also in: ", "$text-muted"),
            (shorten(place or "another issue", 60), "$secondary"),
        ]
        if len(also_in) > 1:
            parts.append((f" (+{len(also_in) - 1} more)", "$text-muted"))
        parts.append(("  (i goes there)", "$text-muted"))
        return parts

    def _article_parts(self) -> list[str | tuple[str, str]]:
        article = self.article
        if article is None:
            return [("Full article: not saved yet (d saves it) · f shows the summary", "$warning")]
        when = local_time(article.fetched_at)
        if article.markdown is None:
            why = shorten(plain(article.error) or "unknown error", 100)
            return [
                ("Full article: could not be saved ", "$error"),
                (f"({when}): {why}", "$text-muted"),
            ]
        return [
            ("Full article", "bold $success"),
            (f" saved {when} · f shows the summary", "$text-muted"),
        ]

    def scroll_body(self, direction: int) -> None:
        scroll = self.query_one("#item-body-scroll", VerticalScroll)
        step = max(1, scroll.size.height // 2)
        scroll.scroll_relative(y=direction * step, animate=False)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        event.prevent_default()
        self.post_message(self.LinkClicked(event.href))


def _cut(body: str) -> str:
    if len(body) > MAX_BODY_CHARS:
        return body[:MAX_BODY_CHARS] + "\n\n*(cut here: the item is too long to show whole)*"
    return body


def _escape(text: str) -> str:
    # An error message inside an emphasis: Markdown punctuation must show as written.
    return "".join(f"\\{char}" if char in "\\`*_[]<>#!|~" else char for char in text)
