"""Plain-text rules of the splitter: cleaning and clipping titles, separators, numbering.

Pure functions on strings; no Markdown nodes here.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from reader.core.safety import strip_escape_sequences

# Titles made from running text (an intro, a list entry without a link) are clipped.
DERIVED_TITLE_MAX_CHARS = 80
# An intro's title is its opening sentence, cut to this many terminal cells (a
# CJK character takes two); a first sentence narrower than the minimum
# ("Hello again!", "第 90 期。") is joined by the next.
INTRO_TITLE_MAX_CELLS = 80
INTRO_TITLE_MIN_CELLS = 20
HEADING_TITLE_MAX_CHARS = 300
# `Title - summary` list entries: a longer text before the dash is a sentence.
ENTRY_TITLE_MAX_CHARS = 50
_WEB_SCHEMES = ("http://", "https://")
TAG_PREFIX = re.compile(r"^\s*(?:\[[^\[\]\n]{1,24}\]\s*)+$")
_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+|:\s+|：\s*")
SENTENCE_ENDINGS = (".", "!", "?", ":", "。", "！", "？", "：", "…")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|[。！？]")
# `Photo: the harbour at dawn.`, `本期封面：初春的西湖。`: a one-word label (a
# word of letters, or up to four CJK characters), a colon, a short sentence.
_CAPTION_SENTENCE = re.compile(
    r"(?:[^\W\d_\u3400-\u9fff]{1,12}|[\u3400-\u9fff]{1,4})[ \t]*[:：]\s*"
    r"[^:：.!?。！？\n]{1,40}(?:[.!?](?=\s)|[。！？])\s*"
)
# Where an intro's opening sentence ends: `.`, `!` or `?` (closing quotes
# included) before a space and a word that does not go on in lower case
# (`e.g. the`, `No. 11`), or `。！？`.
_SENTENCE_STOP = re.compile(
    r"[.!?]+[\"'”’)）\]」』]*(?=\s+[^\sa-z0-9(]|\s*$)|[。！？]+[”’」』）)]*"
)
_SPACE = re.compile(r"\s+")
# A letter or digit of any script (what str.isalnum accepts).
_ALNUM = re.compile(r"[^\W_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BARE_URL = re.compile(r"https?://[^\s()<>\[\]\"']+")
# Titles are read from at most this many characters of running text.
TITLE_SCAN_CHARS = 400
# Text after a link that goes on with the sentence: a lower-case word (not an
# author's `by`) or CJK text straight after it.
_CONTINUATION = re.compile(r"[ \t]*(?!(?:by|via|from)\b)[a-z]|[\u3400-\u9fff]")
_EMPTY_BRACKETS_AT_END = re.compile(r"\s*[(（\[][^\w()（）\[\]]{0,4}[)）\]]$")
# What may sit between emoji: variation selectors, joiners, skin tones.
_JOINER_CATEGORIES = frozenset({"Sk", "Mn", "Cf"})
_BULLETS = frozenset("•‣◦∙·▪")
_CJK_DIGITS = dict(
    zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_CJK_NUMERAL = "零〇一二三四五六七八九十百两"
# Paragraph numbering styles, (name, pattern); group 1 is the number.
NUMBER_STYLES = (
    ("cjk", re.compile(rf"^([{_CJK_NUMERAL}]{{1,4}})\s*[、.．]\s*")),
    ("cjk-paren", re.compile(rf"^[（(]([{_CJK_NUMERAL}]{{1,4}})[）)]\s*")),
    ("paren", re.compile(r"^[（(](\d{1,3})[）)]\s*")),
    ("comma", re.compile(r"^(\d{1,3})\s*[、．]\s*")),
    ("dot", re.compile(r"^(\d{1,3})[.)]\s+")),
    # `1/ `, `2/ `: a thread's posts, numbered as on social media.
    ("slash", re.compile(r"^(\d{1,3})/\s+")),
    ("decimal", re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\s+(?=\D)")),
    ("padded", re.compile(r"^(0[1-9]|[1-9]\d)(?:\s+|$)")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
    ("ordinal", re.compile(rf"^第([{_CJK_NUMERAL}\d]{{1,4}})[章节部分篇条点期]\s*")),
)
NUMBER_PATTERNS = dict(NUMBER_STYLES)
# `【标题】` alone on its line: a title in lenticular brackets, as Chinese digests write them.
BRACKETED_TITLE = re.compile(r"【([^【】\n]{1,80})】")
NUMBER_STARTS = frozenset("0123456789（(第①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳" + _CJK_NUMERAL)


def unbracketed(title: str) -> str:
    """A title without the `【】` around it whole."""
    match = BRACKETED_TITLE.fullmatch(title)
    return match.group(1).strip() if match and has_alnum(match.group(1)) else title


def label_key(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def clean(text: str) -> str:
    """Whitespace collapsed, escape sequences (whole) and control characters dropped."""
    if text.isprintable() and "  " not in text:
        return text.strip()
    text = " ".join(strip_escape_sequences(text).split())
    return text if text.isprintable() else _CONTROL.sub("", text)


def clip(text: str, limit: int = DERIVED_TITLE_MAX_CHARS) -> str:
    text = _title_text(text[: 4 * limit + 16])
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [match.end() for match in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= 20:
        return head[: ends[-1]].strip()
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,，、;；:：-") + "…"


def intro_title(text: str, *, after_picture: bool = False) -> str:
    """The opening sentence of running text, as its title: at most INTRO_TITLE_MAX_CELLS wide.

    A short first sentence is joined by the next; a sentence too wide is cut
    at a word (or a CJK character) and ends with an ellipsis. Right after a
    picture, a first sentence that labels it (`Cover: the harbour at dawn.`,
    `本期封面：初春的西湖。`) is its caption, and the title starts after it.
    """
    text = _title_text(text[:TITLE_SCAN_CHARS])
    if after_picture:
        caption = _CAPTION_SENTENCE.match(text)
        if caption is not None and has_alnum(text[caption.end() :]):
            text = text[caption.end() :]
    title = ""
    for stop in [*(match.end() for match in _SENTENCE_STOP.finditer(text)), len(text)]:
        candidate = text[:stop].strip()
        if cell_width(candidate) > INTRO_TITLE_MAX_CELLS:
            return clip_cells(candidate, INTRO_TITLE_MAX_CELLS)
        title = candidate
        if cell_width(title) >= INTRO_TITLE_MIN_CELLS:
            break
    return title


def cell_width(text: str) -> int:
    """How many terminal cells the text takes: two for wide (CJK) characters."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def clip_cells(text: str, limit: int) -> str:
    """Text cut to `limit` cells with an ellipsis, between words or CJK characters."""
    if cell_width(text) <= limit:
        return text
    used = 0
    cut = len(text)
    for index, character in enumerate(text):
        used += cell_width(character)
        if used > limit - 1:  # a cell kept for the ellipsis
            cut = index
            break
    # Back to a boundary: a space, or either side a wide character. Within a
    # long word (a URL), cut anyway.
    boundary = cut
    while boundary > cut // 2 and not (
        text[boundary].isspace()
        or text[boundary - 1].isspace()
        or cell_width(text[boundary]) == 2
        or cell_width(text[boundary - 1]) == 2
    ):
        boundary -= 1
    if boundary > cut // 2:
        cut = boundary
    return text[:cut].rstrip(" ,，、;；:：-–—([（「『“‘") + "…"


def _title_text(text: str) -> str:
    """Running text made a title's: spaces collapsed, bare URLs and back-reference marks dropped."""
    text = clean(text)
    if "://" in text:
        # A bare URL in running text is its link, not part of its title.
        without = BARE_URL.sub("", text)
        if has_alnum(without):
            text = clean(without).rstrip(" :：-–—|,，(（")
    if text.endswith((")", "）", "]")):
        # `(⇡)`, `[↩]`: a back-reference mark, not words of the title.
        text = _EMPTY_BRACKETS_AT_END.sub("", text) or text
    return text


def url_first(url: str, links: list[str]) -> tuple[str, ...]:
    if links and links[0] == url:
        return tuple(links)
    return (url, *(link for link in links if link != url))


def is_web(url: str) -> bool:
    return url[:8].lower().startswith(_WEB_SCHEMES)


def has_alnum(text: str) -> bool:
    return bool(text) and _ALNUM.search(text) is not None


def entry_title(text: str, before_link: str) -> str:
    """A list entry's title: `Title - summary` cut at the dash, `Label: text` only when long.

    The separator is looked for in `before_link`, the text before the entry's
    first link (code masked), which starts like `text`.
    """
    for separator in _TITLE_SEPARATOR.finditer(before_link + " "):
        if not 0 < separator.start() <= ENTRY_TITLE_MAX_CHARS:
            break
        if separator.group().strip() == ":" and len(text) <= DERIVED_TITLE_MAX_CHARS:
            # `Ask: what do you use for backups?` reads whole (`标题：摘要` is cut).
            continue
        prefix = text[: separator.start()]
        if is_title_like(prefix) and text[separator.end() :].strip():
            return prefix
        break
    return text


def continues_sentence(text: str) -> bool:
    """Whether text right after a link goes on with its sentence (`[fixes](url) landed in...`)."""
    return bool(_CONTINUATION.match(text))


def is_title_like(text: str) -> bool:
    """Text with a letter and no bracket or quote left open (a cut inside a quote is no title)."""
    if not any(character.isalpha() for character in text):
        return False
    pairs = ("()", "（）", "[]", "“”", "「」", "《》", "『』")
    return text.count('"') % 2 == 0 and all(
        text.count(pair[0]) == text.count(pair[1]) for pair in pairs
    )


def is_tag(content: str) -> bool:
    """A `[video]` style tag or a lone emoji before an entry's link."""
    content = content.strip()
    return bool(TAG_PREFIX.match(content)) or (len(content) <= 3 and not has_alnum(content))


def cjk_count(text: str) -> int:
    return sum(1 for character in text if "\u3400" <= character <= "\u9fff")


def is_symbol_tag(content: str) -> bool:
    """A `[video]` tag or an emoji before a paragraph's link (a dash before it is an attribution)."""
    content = content.strip()
    if not content or content[0].isalnum():
        return False
    if TAG_PREFIX.match(content):
        return True
    return (
        len(content) <= 3
        and any(_is_marker(character) for character in content)
        and all(
            _is_marker(character) or unicodedata.category(character) in _JOINER_CATEGORIES
            for character in content
        )
    )


def _is_marker(character: str) -> bool:
    """An emoji, an arrow or a bullet (`🔹`, `→`, `•`), not a dash or a letter."""
    return character in _BULLETS or unicodedata.category(character) in ("So", "Sm")


def _cjk_number(text: str) -> int:
    if "十" not in text and "百" not in text:
        value = 0
        for character in text:
            value = value * 10 + _CJK_DIGITS.get(character, 0)
        return value
    value, current = 0, 0
    for character in text:
        if character in "十百":
            value += (current or 1) * (10 if character == "十" else 100)
            current = 0
        else:
            current = _CJK_DIGITS.get(character, 0)
    return value + current


def number_value(style: str, token: str) -> tuple[int, ...]:
    if style == "decimal":
        return tuple(int(part) for part in token.split("."))
    if style == "circled":
        return (ord(token) - ord("①") + 1,)
    return (int(token),) if token.isdigit() else (_cjk_number(token),)


def is_sequence(values: list[tuple[int, ...]]) -> bool:
    """Numbers that count up: at least two, strictly rising, mostly by one."""
    if len(values) < 2:
        return False
    pairs = list(pairwise(values))
    if any(later <= earlier for earlier, later in pairs):
        return False
    if len(values[0]) > 1:
        return True
    return 2 * sum(1 for earlier, later in pairs if later[0] - earlier[0] == 1) >= len(pairs)


def dedent(text: str, indent: int) -> str:
    lines = text.split("\n")
    for index in range(1, len(lines)):
        line = lines[index]
        lines[index] = line[min(indent, len(line) - len(line.lstrip(" "))) :]
    return "\n".join(lines)
