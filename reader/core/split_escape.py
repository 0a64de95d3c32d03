"""Escaping that keeps markdown-it-pyrs from panicking on code spans left open in link text.

Pure text to text: the meaning of the Markdown is kept, only crashing inputs change.
"""

from __future__ import annotations

import re
from bisect import bisect_left

_FENCED = re.compile(
    r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(?:.*?^ {0,3}\1[ \t]*$|.*\Z)", re.MULTILINE | re.DOTALL
)
_PARAGRAPH = re.compile(r"(?:^[ \t]*[^\s][^\n]*(?:\n|\Z))+", re.MULTILINE)
_BLOCK_START = re.compile(
    r"\n(?=[ \t]*(?:[*+-]|\d{1,9}[.)])[ \t]|[ \t]{0,3}#{1,6}[ \t]|[ \t]{0,3}>)"
)
_FLAT_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_BRACKET = re.compile(r"(?<!\\)[\[\]]")
# Hostile text with thousands of `[` is not worth a quadratic scan.
_MAX_BRACKETS_CHECKED = 200
_BACKTICKS = re.compile(r"(?<!\\)`+")


def escape_open_code_in_brackets(text: str) -> str:
    """Escape the backtick runs left open after a `[` in a paragraph.

    markdown-it-pyrs 0.4 panics on `[a `b](url)` or `[`` (a code span opened
    in possible link text and never closed there). An unclosed run is literal
    text in CommonMark anyway, so a backslash keeps the meaning and avoids the
    crash; what still gets through falls back to one item of raw text.
    """
    first_bracket = text.find("[")
    if first_bracket < 0 or text.rfind("`") < first_bracket:
        return text
    pieces: list[str] = []
    position = 0
    # Paragraphs (runs of non-blank lines) outside fenced code, found by regex
    # rather than line by line: this runs on every document.
    fences = list(_FENCED.finditer(text)) if "```" in text or "~~~" in text else []
    for fence in [*fences, None]:
        stop = fence.start() if fence is not None else len(text)
        for paragraph in _PARAGRAPH.finditer(text, position, stop):
            pieces.append(text[position : paragraph.start()])
            pieces.append(_escape_paragraph(paragraph.group()))
            position = paragraph.end()
        if fence is not None:
            pieces.append(text[position : fence.end()])
            position = fence.end()
    pieces.append(text[position:])
    return "".join(pieces)


def escape_all_backticks(text: str) -> str:
    """Every backtick outside fenced code made literal."""
    lines = text.split("\n")
    fence = ""
    for index, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) < 4 and stripped[:3] in ("```", "~~~"):
            fence = "" if stripped[:3] == fence else fence or stripped[:3]
        elif not fence and "`" in line:
            lines[index] = _BACKTICKS.sub(lambda run: "\\`" * len(run.group()), line)
    return "\n".join(lines)


def _escape_paragraph(text: str) -> str:
    first_bracket = text.find("[")
    if first_bracket < 0 or text.rfind("`") < first_bracket or _plainly_paired(text):
        return text
    pieces = _BLOCK_START.split(text)
    if len(pieces) > 1:
        # Code spans and link text end with their list item or heading.
        return "\n".join(_escape_block(piece) for piece in pieces)
    return _escape_block(text)


def _escape_block(text: str) -> str:
    first_bracket = text.find("[")
    if first_bracket < 0 or text.rfind("`") < first_bracket or _plainly_paired(text):
        return text
    runs = [(run.start(), run.end() - run.start()) for run in _BACKTICKS.finditer(text)]
    starts = [start for start, _length in runs]
    code, _unpaired = _pair_runs(runs)
    escaped: set[tuple[int, int]] = set()
    for opening, closing in _bracket_spans(text, code):
        first = bisect_left(starts, opening)
        inside = runs[first : bisect_left(starts, closing, first)]
        while inside and (open_run := _open_backtick_run(inside, escaped)) is not None:
            escaped.add(open_run)
    for start, length in sorted(escaped, reverse=True):
        text = text[:start] + "\\`" * length + text[start + length :]
    return text


def _plainly_paired(text: str) -> bool:
    """Whether every bracket pair is flat and holds an even number of single backticks.

    The common case (`[`code`: title](url)`), settled with C-speed string
    methods before any pairing is worked out in Python.
    """
    if "``" in text or "\\" in text:
        return False
    labels = _FLAT_BRACKETS.findall(text)
    return len(labels) == text.count("[") == text.count("]") and all(
        label.count("`") % 2 == 0 for label in labels
    )


def _pair_runs(
    runs: list[tuple[int, int]],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Backtick runs paired as CommonMark pairs them: (code spans, runs left unpaired).

    A run opens a code span closed by the next run of the same length; a run
    with no such partner is literal, and pairing resumes right after it.
    """
    spans: list[tuple[int, int]] = []
    unpaired: list[tuple[int, int]] = []
    index = 0
    while index < len(runs):
        start, length = runs[index]
        partner = next(
            (later for later in range(index + 1, len(runs)) if runs[later][1] == length), None
        )
        if partner is None:
            unpaired.append(runs[index])
            index += 1
        else:
            spans.append((start, runs[partner][0] + length))
            index = partner + 1
    return spans, unpaired


def _bracket_spans(text: str, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each `[` outside code spans with the `]` that closes it (nesting counted), or the text's end."""
    code_starts = [start for start, _end in code]
    spans: list[tuple[int, int]] = []
    stack: list[int] = []
    for match in _BRACKET.finditer(text):
        position = match.start()
        index = bisect_left(code_starts, position) - 1
        if index >= 0 and position < code[index][1]:
            continue  # `#[no_std]` inside code is no bracket
        if match.group() == "[":
            stack.append(position)
        elif stack:
            spans.append((stack.pop(), position))
    spans.extend((opening, len(text)) for opening in stack)
    return spans[:_MAX_BRACKETS_CHECKED]


def _open_backtick_run(
    runs: list[tuple[int, int]], escaped: set[tuple[int, int]]
) -> tuple[int, int] | None:
    """The run left open when runs pair in order, the way the crashing scanner sees them."""
    open_run: tuple[int, int] | None = None
    for run in runs:
        if run in escaped:
            continue
        if open_run is None:
            open_run = run
        elif open_run[1] == run[1]:
            open_run = None
    return open_run


# Deeper nesting than this is no newsletter: markdown-it-pyrs walks and frees
# its tree recursively and overflows the native stack near 100,000 levels, and
# lists nested on one line cost it quadratic time.
MAX_NESTING_DEPTH = 32
MAX_LEADING_SPACES = 4 * MAX_NESTING_DEPTH
_DEEP_MARKERS = re.compile(
    r"^((?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*){"
    + str(MAX_NESTING_DEPTH)
    + r"})(?=[ \t]*(?:>|[-*+]|\d))",
    re.MULTILINE,
)
_DEEP_INDENT = re.compile(r"^[ \t]{" + str(MAX_LEADING_SPACES + 1) + ",}", re.MULTILINE)
# What a line must start with for either pattern above to match it: two
# markers, or the deep indent. Searched for after a newline, which the regex
# engine finds fast; `^` makes it try every position of the text.
_MAYBE_DEEP = re.compile(
    r"\n(?:[ \t]{"
    + str(MAX_LEADING_SPACES + 1)
    + r"}|[ \t]*+(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])[ \t]*+(?:>|[-*+]|\d))"
)


def flatten_deep_nesting(text: str) -> str:
    """Text whose quote and list nesting stops at MAX_NESTING_DEPTH; deeper markers become text."""
    if not _MAYBE_DEEP.search("\n" + text):
        return text
    text = _DEEP_MARKERS.sub(lambda match: match.group(1) + "\\", text)
    return _DEEP_INDENT.sub(" " * MAX_LEADING_SPACES, text)
