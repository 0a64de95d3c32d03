"""Line breaking for Chinese, Japanese and Korean text mixed with English.

Textual wraps text at spaces only: a run of Chinese is one "word" folded wherever the line
ends, which cuts English words inside it in half ("Stan|ford") and leaves lines half-full
before every space. Here a line may break between any two wide characters, English words
stay whole, and punctuation obeys the usual rules of CJK typesetting: closing marks (，。、
）」 …) never start a line and opening marks (（「 …) never end one. A no-break space
(U+00A0) holds its neighbours together, as it should.

`install()` puts `divide_line` in place of the function Textual's Content.wrap calls (the
same signature and result: the character offsets to break at). Text without wide
characters or no-break spaces takes Textual's own path, so English wraps exactly as before.
"""

from __future__ import annotations

import functools
import re

import textual.content
from rich._loop import loop_last
from rich.cells import cell_len, chop_cells

# Characters a line may break before and after: Han (with extensions and compatibility
# ideographs), kana, Hangul, CJK symbols, and full-width forms. Punctuation among them is
# handled by the two classes below.
_WIDE = (
    "\u1100-\u115f\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
    "\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003134f"
)
# Marks that close or follow: never at the start of a line (kinsoku). The ASCII ones only
# count after a wide character; inside an English run they belong to the run.
_CLOSING = (
    "、。，．：；？！）」』】〕〉》〙〗｝］〞’”…‥・ーゝゞ々"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ％"
    ",.;:!?)\\]}%"
)
# Marks that open: never at the end of a line.
_OPENING = "（「『【〔〈《〘〖｛［〝‘“"
_FULL_WIDTH_MARKS = "".join(char for char in _CLOSING + _OPENING if not char.isascii())

# A no-break space joins what it separates (Python counts it as white space, so Textual
# would break there).
NO_BREAK_SPACE = "\u00a0"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(text that needs these rules, one unbreakable unit with the spaces after it).

    Compiled at the first text that is not plain ASCII: the character classes take some
    milliseconds to compile, which the app's start need not pay.
    """
    needs_rules = re.compile(f"[{_WIDE}{NO_BREAK_SPACE}]")
    # Opening marks, then one wide character or a run of anything else that is not a
    # breaking space, then closing marks, then the spaces after. Leading spaces alone.
    unit = re.compile(
        f"[{re.escape(_OPENING)}]*"
        f"(?:[{_WIDE}]|(?:[^\\s{_WIDE}{re.escape(_FULL_WIDTH_MARKS)}]|{NO_BREAK_SPACE})+"
        f"|[{re.escape(_FULL_WIDTH_MARKS)}])"
        f"[{re.escape(_CLOSING)}]*[^\\S{NO_BREAK_SPACE}]*"
        f"|[^\\S{NO_BREAK_SPACE}]+"
    )
    return needs_rules, unit


_textual_divide_line = textual.content.divide_line


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """The offsets at which to break `text` so that each line fits in `width` cells."""
    if width <= 0 or text.isascii():
        return _textual_divide_line(text, width, fold)
    needs_rules, unit_pattern = _patterns()
    if needs_rules.search(text) is None:
        return _textual_divide_line(text, width, fold)
    breaks: list[int] = []
    used = 0
    for match in unit_pattern.finditer(text):
        start = match.start()
        unit = match.group()
        unit_width = cell_len(unit.rstrip())
        if width - used >= unit_width:
            used += cell_len(unit)
        elif unit_width > width:
            # Longer than a whole line (a long URL): fold it across lines.
            if fold:
                for last, piece in loop_last(chop_cells(unit, width)):
                    if start:
                        breaks.append(start)
                    if last:
                        used = cell_len(piece)
                    else:
                        start += len(piece)
            else:
                if start:
                    breaks.append(start)
                used = cell_len(unit)
        elif unit.strip():
            if start:
                breaks.append(start)
            used = cell_len(unit)
    return breaks


def install() -> None:
    """Make Textual's Content wrap with `divide_line` (idempotent)."""
    textual.content.divide_line = divide_line
