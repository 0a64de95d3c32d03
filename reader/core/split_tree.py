"""The parsed Markdown tree as plain Python objects: each node's name, source span and children.

markdown-it-pyrs converts a node's attribute from Rust on every read, and the splitter
reads them thousands of times per document; it reads this copy, made in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from markdown_it_pyrs import Node as ParsedNode

# Nodes that never have children: their (empty) list is not asked for.
_LEAF_NODES = frozenset(
    {
        *("text", "text_special", "softbreak", "hardbreak", "html_inline"),
        *("hr", "fence", "code_block", "html_block", "definition"),
    }
)


class Node:
    """One node of the parsed document: read-only, like the node it copies."""

    __slots__ = ("children", "end", "mapped", "name", "parsed", "start")

    name: str
    # Source bytes [start, end); (0, 0) for a node without a source map (`mapped` False).
    start: int
    end: int
    mapped: bool
    children: Sequence[Node]
    parsed: ParsedNode

    @property
    def meta(self) -> Mapping[str, Any]:
        """Data specific to the node type (a link's url, a heading's level)."""
        return self.parsed.meta

    def walk(self) -> Iterator[Node]:
        """This node and all below it, depth first, in source order."""
        pending = [self]
        while pending:
            node = pending.pop()
            yield node
            pending.extend(reversed(node.children))


def read_tree(parsed: ParsedNode, wanted: frozenset[str]) -> tuple[Node, list[Node]]:
    """A copy of the tree below `parsed`, and its nodes named in `wanted` (in no order; no leaves).

    Built without recursion: nesting may be deep. Leaves share one empty tuple
    of children, and no node keeps its source map's tuple: fewer objects for
    the garbage collector to follow.
    """
    new = Node.__new__
    root = new(Node)
    root.parsed = parsed
    root.name = parsed.name
    srcmap = parsed.srcmap
    root.mapped = srcmap is not None
    root.start, root.end = srcmap or (0, 0)
    found: list[Node] = []
    pending: list[tuple[Node, ParsedNode]] = [(root, parsed)]
    while pending:
        node, source = pending.pop()
        children: list[Node] = []
        for child in source.children:
            copy = new(Node)
            copy.parsed = child
            copy.name = name = child.name
            srcmap = child.srcmap
            copy.mapped = srcmap is not None
            copy.start, copy.end = srcmap or (0, 0)
            children.append(copy)
            if name in _LEAF_NODES:
                copy.children = ()
            else:
                pending.append((copy, child))
                if name in wanted:
                    found.append(copy)
        node.children = children
    return root, found
