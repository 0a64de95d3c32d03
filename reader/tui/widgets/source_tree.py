"""The tree on the left: views, then sources -> issues (newest first) -> sections.

Issues load when a source opens, a page at a time; sections when an issue opens.
Every label carries its unread count and is built from plain text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from reader.core.errors import ReaderError
from reader.core.library import Library
from reader.core.model import UNTITLED_SECTION, Issue, Source
from reader.tui.scope import VIEW_TITLES, VIEWS, Scope
from reader.tui.text import plain, short_date, shorten

ISSUE_PAGE_ROWS = 50
# A title is cut no shorter than this to make room for its unread count.
MIN_TITLE_CELLS = 6
LABEL_CELLS = 44
# Revealing an issue deep in a source's history stops after this many pages.
MAX_REVEAL_PAGES = 40


@dataclass(frozen=True)
class NodeData:
    """What a tree node stands for; `more` nodes load the next page of issues."""

    kind: str  # view, source, issue, section, more
    scope: Scope | None = None
    source_id: int | None = None
    offset: int = 0


class SourceTree(Tree[NodeData]):
    """Views, sources, issues and sections with unread counts."""

    DEFAULT_CSS = """
    SourceTree {
        background: $panel;
        padding: 0 1 0 0;
        scrollbar-size-vertical: 1;
        /* Long titles are cut at the edge; the status line shows them whole. */
        overflow-x: hidden;
        & > .tree--cursor { text-style: bold; }
    }
    """

    # As in a file manager: right opens a node (or steps into it), left closes it (or
    # steps out to its parent).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "open_or_enter", "Open the node", show=False),
        Binding("left", "close_or_leave", "Close the node", show=False),
    ]

    def action_open_or_enter(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.is_expanded and node.children:
            self.move_cursor(node.children[0])

    def action_close_or_leave(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded:
            node.collapse()
        elif node.parent is not None and not node.parent.is_root:
            self.move_cursor(node.parent)

    class ScopeChosen(Message):
        """The cursor moved to (or enter was pressed on) a node that has items."""

        def __init__(self, scope: Scope, *, activated: bool) -> None:
            super().__init__()
            self.scope = scope
            self.activated = activated

    def __init__(
        self,
        library: Library,
        *,
        id: str | None = None,
        issue_of: Callable[[str], Issue | None] | None = None,
    ) -> None:
        super().__init__("Library", id=id)
        self.library = library
        # Where an issue's sections come from: the screen's cache, which has read the
        # issue already when its items are listed.
        self.issue_of = issue_of or self._read_issue
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False
        self.view_nodes: dict[str, TreeNode[NodeData]] = {}
        self.source_nodes: dict[int, TreeNode[NodeData]] = {}
        self.issue_nodes: dict[str, TreeNode[NodeData]] = {}
        self.section_nodes: dict[str, TreeNode[NodeData]] = {}
        self.sources: dict[int, Source] = {}
        self.view_counts: dict[str, int] = {}
        # node id -> (prefix, title): what a label shows besides its count.
        self._titles: dict[int, tuple[str, str]] = {}
        # A node the app moved the cursor to: its highlight must not reload the list.
        self._revealed: TreeNode[NodeData] | None = None

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        """The label as Tree draws it, with an issue's or a section's title cut short when
        the tree is too narrow for it, so that its unread count stays in sight."""
        text = super().render_label(node, base_style, style)
        data = node.data
        if data is None or data.kind not in ("issue", "section"):
            return text
        depth = 0
        parent = node.parent
        while parent is not None and parent is not self.root:
            depth += 1
            parent = parent.parent
        room = self.scrollable_content_region.width - (depth + 1) * self.guide_depth
        label = node.label
        spans = label.spans
        if text.cell_len <= room or not spans:
            return text
        count = spans[-1]
        if count.end != len(label.plain) or str(count.style) != "bold":
            return text  # no unread count to keep
        prefix = self._titles.get(node.id, ("", ""))[0]
        start = len(text.plain) - len(label.plain) + len(prefix)
        end = start + len(label.plain) - len(prefix) - (count.end - count.start)
        keep = room - text[:start].cell_len - (count.end - count.start)
        if keep < MIN_TITLE_CELLS:
            return text
        shortened = text[start:end]
        shortened.truncate(keep, overflow="ellipsis")
        return text[:start] + shortened + text[end:]

    def process_label(self, label: str | Text) -> Text:
        # Tree parses str labels as markup; feed titles must never be.
        text = label if isinstance(label, Text) else Text(label)
        return text.split()[0] if text.plain else text

    # --- building --------------------------------------------------------

    def load(self) -> None:
        """(Re)build the top level: the views and every source."""
        self.clear()
        self.view_nodes.clear()
        self.source_nodes.clear()
        self.issue_nodes.clear()
        self.section_nodes.clear()
        for view in VIEWS:
            node = self.root.add_leaf(
                Text(VIEW_TITLES[view]), NodeData("view", Scope.of_view(view))
            )
            self.view_nodes[view] = node
        self.update_view_counts()
        for source in self.library.sources():
            self._add_source(source)
        self.root.expand()

    def expand_first_source(self) -> None:
        """Open the first source, so that a newcomer sees what a source holds."""
        for node in self.source_nodes.values():
            if node.allow_expand:
                node.expand()
            return

    def _add_source(self, source: Source) -> None:
        self.sources[source.id] = source
        node = self.root.add(
            self._source_label(source),
            NodeData("source", Scope("source", source_id=source.id), source_id=source.id),
            allow_expand=source.issues > 0,
        )
        self.source_nodes[source.id] = node

    def refresh_sources(
        self,
        sources: Iterable[Source] | None = None,
        view_counts: Mapping[str, int] | None = None,
    ) -> None:
        """Pick up new sources, new issues and new states after a refresh.

        `sources` and `view_counts`, when given, were read already (counting a large
        library takes long enough to be done off the UI thread).
        """
        for source in self.library.sources() if sources is None else sources:
            node = self.source_nodes.get(source.id)
            if node is None:
                self._add_source(source)
                continue
            self.sources[source.id] = source
            node.set_label(self._source_label(source))
            node.allow_expand = source.issues > 0
            if node.is_expanded and node.children:
                self._reload_issues(node, source.id)
        if view_counts is None:
            self.update_view_counts()
        else:
            for view, count in view_counts.items():
                if view in self.view_nodes:
                    self._set_view_count(view, count)

    def set_source_state(
        self, source_id: int, status: str, error: str | None, *, new_items: int = 0
    ) -> None:
        """Show a source's fetch result (from a running refresh) in its label.

        Its `new_items` are added to the counts without counting again (which takes
        milliseconds per source on a large library); the refresh's end recounts.
        """
        source = self.sources.get(source_id)
        node = self.source_nodes.get(source_id)
        if source is None or node is None:
            return
        source = replace(source, status=status, error=error, unread=source.unread + new_items)
        self.sources[source_id] = source
        node.set_label(self._source_label(source))
        if new_items:
            for view in ("unread", "all"):
                if view in self.view_counts:
                    self._set_view_count(view, self.view_counts[view] + new_items)

    def reload_issues(self, source_ids: Iterable[int]) -> None:
        """New issues of these sources show where their issues are listed (opened sources)."""
        for source_id in source_ids:
            node = self.source_nodes.get(source_id)
            if node is not None and node.is_expanded and node.children:
                self._reload_issues(node, source_id)

    def _reload_issues(self, node: TreeNode[NodeData], source_id: int) -> None:
        shown = [
            child.data.scope.issue_id
            for child in node.children
            if child.data and child.data.kind == "issue" and child.data.scope
        ]
        issues = self.library.issues(source_id, limit=max(len(shown), ISSUE_PAGE_ROWS))
        # Unchanged unless an issue came in among the shown ones (a dated one, at the top)
        # or after them on a page not yet full (an undated one, at the end).
        if [issue.id for issue in issues] == shown:
            for issue in issues:
                if issue.id in self.issue_nodes:
                    self._relabel(self.issue_nodes[issue.id], issue.unread)
            self._recount_sections(source_id)
            return
        # Rebuild this source's page; the cursor stays on the node it was on, not its line.
        cursor = self.cursor_node
        kept = cursor.data.scope if cursor is not None and cursor.data else None
        for child in list(node.children):
            self._forget(child)
        node.remove_children()
        self._add_issue_page(node, source_id, 0)
        if kept is not None and kept.source_id == source_id and kept.kind != "source":
            self.reveal(kept)

    def _recount_sections(self, source_id: int) -> None:
        """Count the unread items of this source's loaded sections anew."""
        for section_id, node in list(self.section_nodes.items()):
            if node.data is not None and node.data.source_id == source_id:
                unread = self.library.count_items(section_id=section_id, view="unread")
                self._relabel(node, unread)

    def _forget(self, node: TreeNode[NodeData]) -> None:
        for child in node.children:
            self._forget(child)
        data = node.data
        if data and data.scope:
            if data.kind == "issue" and data.scope.issue_id:
                self.issue_nodes.pop(data.scope.issue_id, None)
            if data.kind == "section" and data.scope.section_id:
                self.section_nodes.pop(data.scope.section_id, None)

    def _add_issue_page(self, node: TreeNode[NodeData], source_id: int, offset: int) -> int:
        issues = self.library.issues(source_id, limit=ISSUE_PAGE_ROWS, offset=offset)
        for issue in issues:
            date = short_date(issue.date, this_year=datetime.now().year)
            child = node.add(
                self._count_label(issue.title, issue.unread, prefix=f"{date} " if date else ""),
                NodeData(
                    "issue",
                    Scope("issue", source_id=source_id, issue_id=issue.id),
                    source_id=source_id,
                ),
            )
            self.issue_nodes[issue.id] = child
            self._titles[child.id] = (f"{date} " if date else "", issue.title)
        source = self.sources.get(source_id)
        if source is not None and offset + len(issues) < source.issues:
            remaining = source.issues - offset - len(issues)
            node.add_leaf(
                Text(f"… {remaining} older issues", style="italic"),
                NodeData("more", source_id=source_id, offset=offset + len(issues)),
            )
        return len(issues)

    def _read_issue(self, issue_id: str) -> Issue | None:
        try:
            return self.library.issue(issue_id)
        except ReaderError:
            return None

    def _add_sections(self, node: TreeNode[NodeData], issue_id: str) -> None:
        issue = self.issue_of(issue_id)
        sections = issue.sections if issue is not None else ()
        if issue is None or (len(sections) <= 1 and not (sections and sections[0].title)):
            # One untitled section is the issue itself: nothing to open.
            node.allow_expand = False
            return
        for section in sections:
            unread = self.library.count_items(section_id=section.id, view="unread")
            child = node.add_leaf(
                self._count_label(section.title or UNTITLED_SECTION, unread),
                NodeData(
                    "section",
                    Scope(
                        "section",
                        source_id=issue.source_id,
                        issue_id=issue.id,
                        section_id=section.id,
                    ),
                    source_id=issue.source_id,
                ),
            )
            self.section_nodes[section.id] = child
            self._titles[child.id] = ("", section.title or UNTITLED_SECTION)

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        event.stop()
        node = event.node
        data = node.data
        if data is None or node.children:
            return
        if data.kind == "source" and data.source_id is not None:
            self._add_issue_page(node, data.source_id, 0)
        elif data.kind == "issue" and data.scope and data.scope.issue_id:
            self._add_sections(node, data.scope.issue_id)

    def load_more(self, node: TreeNode[NodeData]) -> None:
        """Replace a `more` node by the next page of issues."""
        data = node.data
        parent = node.parent
        if data is None or parent is None or data.source_id is None:
            return
        node.remove()
        self._add_issue_page(parent, data.source_id, data.offset)

    # --- labels ----------------------------------------------------------

    def _count_label(self, title: str, unread: int, *, prefix: str = "", style: str = "") -> Text:
        label = Text(no_wrap=True)
        if prefix:
            label.append(prefix, style="dim")
        label.append(shorten(plain(title), LABEL_CELLS), style=style)
        if unread:
            label.append(f" {unread}", style="bold")
        return label

    def _source_label(self, source: Source) -> Text:
        broken = source.status == "error"
        label = self._count_label(
            source.title or source.url, source.unread, style="bold" if not broken else "red"
        )
        if broken:
            label.append(" ⚠", style="bold red")
        return label

    def update_view_counts(self, views: Iterable[str] = VIEWS) -> None:
        for view in views:
            if view in self.view_nodes:  # else the tree is not filled yet: it counts then
                self._set_view_count(view, self.library.count_items(view=view))

    def _set_view_count(self, view: str, count: int) -> None:
        self.view_counts[view] = count
        label = Text(VIEW_TITLES[view], no_wrap=True)
        label.append(f" {count}", style="bold" if view == "unread" and count else "dim")
        self.view_nodes[view].set_label(label)

    def update_counts(
        self,
        *,
        source_ids: Iterable[int] = (),
        issue_ids: Iterable[str] = (),
        section_ids: Iterable[str] = (),
        views: Iterable[str] = VIEWS,
    ) -> None:
        """Recount unread items for the named nodes (those that are loaded) and views."""
        self.update_view_counts(views)
        section_ids = set(section_ids)
        for issue_id in issue_ids:
            node = self.issue_nodes.get(issue_id)
            if node is not None:
                for issue_node_section in node.children:
                    data = issue_node_section.data
                    if data and data.scope and data.scope.section_id:
                        section_ids = {*section_ids, data.scope.section_id}
                self._relabel_issue(node, issue_id)
        for section_id in section_ids:
            node = self.section_nodes.get(section_id)
            if node is not None:
                self._relabel(node, self.library.count_items(section_id=section_id, view="unread"))
        for source_id in source_ids:
            node = self.source_nodes.get(source_id)
            source = self.sources.get(source_id)
            if node is not None and source is not None:
                unread = self.library.count_items(source_id=source_id, view="unread")
                source = replace(source, unread=unread)
                self.sources[source_id] = source
                node.set_label(self._source_label(source))

    def _relabel_issue(self, node: TreeNode[NodeData], issue_id: str) -> None:
        self._relabel(node, self.library.count_items(issue_id=issue_id, view="unread"))

    def _relabel(self, node: TreeNode[NodeData], unread: int) -> None:
        prefix, title = self._titles.get(node.id, ("", str(node.label)))
        node.set_label(self._count_label(title, unread, prefix=prefix))

    def recount_loaded(self) -> None:
        """Recount everything that is loaded (after an undo or a refresh)."""
        self.update_counts(
            source_ids=set(self.source_nodes),
            issue_ids=set(self.issue_nodes),
            section_ids=set(self.section_nodes),
        )

    # --- moving ----------------------------------------------------------

    def _on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if event.node is self._revealed:
            self._revealed = None
            return
        if data is not None and data.scope is not None:
            self.post_message(self.ScopeChosen(data.scope, activated=False))

    def _on_tree_node_selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if data is None:
            return
        if data.kind == "more":
            self.load_more(event.node)
        elif data.scope is not None:
            self.post_message(self.ScopeChosen(data.scope, activated=True))

    def reveal(self, scope: Scope) -> None:
        """Put the cursor on the node of `scope`, opening its parents, without reloading the list."""
        node = self._find_node(scope)
        if node is None:
            return
        parent = node.parent
        while parent is not None and parent is not self.root:
            parent.expand()
            parent = parent.parent
        self._revealed = node
        # Expanding rebuilds the tree's lines on the next refresh; the node has
        # no line to move to before then.
        self.call_after_refresh(self._move_to, node)

    def _move_to(self, node: TreeNode[NodeData]) -> None:
        if node is not self._revealed:
            return  # a later reveal replaced this one
        if self.cursor_node is node:
            self._revealed = None
            return
        self.move_cursor(node, animate=False)

    def _find_node(self, scope: Scope) -> TreeNode[NodeData] | None:
        if scope.kind == "view":
            return self.view_nodes.get(scope.view)
        if scope.source_id is None:
            return None
        source_node = self.source_nodes.get(scope.source_id)
        if source_node is None:
            return None
        if scope.kind == "source":
            return source_node
        if not source_node.children:
            self._add_issue_page(source_node, scope.source_id, 0)
        pages = 0
        while scope.issue_id not in self.issue_nodes and pages < MAX_REVEAL_PAGES:
            more = [c for c in source_node.children if c.data and c.data.kind == "more"]
            if not more:
                break
            self.load_more(more[0])
            pages += 1
        issue_node = self.issue_nodes.get(scope.issue_id or "")
        if issue_node is None or scope.kind == "issue":
            return issue_node
        if not issue_node.children and issue_node.allow_expand:
            self._add_sections(issue_node, scope.issue_id or "")
        return self.section_nodes.get(scope.section_id or "", issue_node)
