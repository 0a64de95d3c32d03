"""Scraped-article cleaning: keep the headline and every body paragraph, drop page noise.

Decisions come from line features (length, links, digits, punctuation, position
against the densest run of prose) and small tables of generic cue words.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

# --- tunables ---------------------------------------------------------------

# A line this heavy (CJK characters + 1.7 per Latin word) that ends a sentence
# counts as prose: roughly one full sentence in either script.
PROSE_MIN_WEIGHT = 25.0
# A Latin word carries about as much text as 1.7 CJK characters.
LATIN_WORD_WEIGHT = 1.7
# Below this the densest block is not an article and nothing is cut by position.
MIN_ARTICLE_WEIGHT = 20.0
# The most a single noise line may cost the block; a larger toll would let one
# stray line in the middle of an article cut off the paragraphs after it.
MAX_NOISE_PENALTY = 60.0
# How far above the article body a headline is looked for, in lines.
TITLE_WINDOW_UNITS = 14
TITLE_MIN_WEIGHT = 5.0
TITLE_MAX_WEIGHT = 90.0

# --- character classes --------------------------------------------------------

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_LATIN_WORD = re.compile(f"(?:(?![{_CJK}])[^\\W_])+")
_TONE_VOWELS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN_LETTERS = f"a-zü{_TONE_VOWELS}"

# A CJK character followed by a parenthesised pinyin syllable with a tone mark:
# what some traditional/simplified converters leave behind (`發(fā)`).
_PINYIN_ARTIFACT = re.compile(
    f"(?<=[{_CJK}])[(（](?=[{_PINYIN_LETTERS}]{{1,6}}[)）])"
    f"[a-zü]*[{_TONE_VOWELS}][{_PINYIN_LETTERS}]*[)）]"
)
_COMMA_RUN = re.compile(r"[,，]{2,}")
# A comma directly before a stronger mark is an artifact; the stronger mark wins.
_COMMA_BEFORE_STRONGER = re.compile(r"[,，]+(?=[。！？；：、;])")
_COMMA_AFTER_FULL_STOP = re.compile(r"(?<=[。！？])[,，]+")
# Exactly two full stops; three or more are an informal ellipsis and stay.
_DOUBLE_FULL_STOP = re.compile(r"(?<!。)。。(?!。)")
# Spans that punctuation repair must not touch.
_PROTECTED_SPAN = re.compile(r"`[^`\n]*`|\]\([^)\s]*\)|https?://\S+")

# --- Markdown shapes ------------------------------------------------------------

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\S")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Matches start only at a token's first character, so long runs stay linear.
_BARE_URL = re.compile(
    r"<?(?:https?://|www\.)[^\s>]+>?|(?<![^\s<(\[])[^\s@<>()\[\]]+@[^\s@<>()\[\]]+\.\w+"
)
_EMPHASIS = re.compile(r"[*_`~]+")

# --- line shapes ------------------------------------------------------------------

_CLOSERS = "\"'”’」』）)]】》>*_"
_ENDS_SENTENCE = re.compile(f"[。．.!?！？][{re.escape(_CLOSERS)}]*$")
_ENDS_FULL_STOP = re.compile(f"[。．.][{re.escape(_CLOSERS)}]*$")
# A short parenthetical after the last full stop: `(Reporter Li)`, `(AP)`.
_TRAILING_ASIDE = re.compile(r"[(（\[【][^()（）\[\]【】]{1,24}[)）\]】]$")
_TRUNCATED = re.compile(r"(?:\.{3}|…{1,3}|。{3,6})\s?[\])]?$|(?:\.{3}|…)\s\S")
_INNER_PUNCT = re.compile(r"[，,、；;：:。.!?！？]")
_LIST_SEPARATORS = re.compile(r"\s*(?:[|｜,，、;；/•·]|\s{2,}|»|›|>>?|→)\s*")
_CRUMB_SEPARATORS = re.compile(r"\S\s*(?:>>?|»|›|→|/)\s*\S")
_LABEL = re.compile(r"^[^\s:：]{1,12}\s?[:：]\s*")
_NUMBER_TOKEN = re.compile(r"^[+#]?\d[\d,.]*\s*[kKmMwW万萬亿億+]?$")

# Every digit run is anchored on a non-digit before it, so long numbers stay linear.
_DATE = re.compile(
    r"(?<!\d)\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}"
    r"|\b\d{1,2}[-/]\d{1,2}\b"
    r"|(?<!\d)\d{1,2}:\d{2}"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b\d{1,6}\s+(?:second|minute|hour|day|week|month|year)s?\s+ago\b"
    r"|\b(?:yesterday|today)\b"
    r"|(?<!\d)\d{1,6}\s*(?:秒|分钟|分鐘|小时|小時|天|周|週)前|刚刚|剛剛|昨天|今天",
    re.IGNORECASE,
)

# `#topic` tags (not a Markdown heading, which needs a space after the marks).
_HASHTAG = re.compile(r"(?:^|\s)#[^\s#\d]")
_FULL_DATE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_CLOCK = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")

# --- generic cue words (English and Chinese, simplified and traditional) ---------


def _cues(words: str) -> tuple[str, ...]:
    return tuple(word for word in words.split("|") if word)


def _cue_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a cue table; English cues match whole words only."""
    return re.compile(
        "|".join(
            rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
            for word in sorted(words, key=len, reverse=True)
        )
    )


_SHARE_WORDS = _cues(
    "share|shares|shared|tweet|like|likes|comment|comments|email|print|save|follow|"
    "reply|replies|repost|views|reads|"
    "分享|转发|轉發|点赞|點讚|點贊|收藏|评论|評論|阅读|閱讀|浏览|瀏覽|关注|關注|"
    "举报|舉報|打印|复制链接|複製鏈接|赞|讚|在看"
)
_SHARE_WORD = _cue_pattern(_SHARE_WORDS)
_SHARE_LEAD = re.compile(
    r"^(?:share|分享|转发|轉發)\s*(?:this|on|to|via|it|article|story|post|到|至)?\s*(?:[:：!]|$)",
    re.IGNORECASE,
)
_RELATED_WORDS = _cues(
    "related|popular|trending|recommended|you might also like|you may also like|"
    "read more|read next|more from|more stories|most read|see also|further reading|"
    "top stories|latest news|"
    "相关|相關|推荐|推薦|热门|熱門|热点|熱點|排行|往期|延伸阅读|延伸閱讀|猜你喜欢|"
    "猜你喜歡|要闻|要聞|头条|頭條|精彩|更多"
)
_RELATED_WORD = _cue_pattern(_RELATED_WORDS)
_FOOTER_WORDS = _cues(
    "©|copyright|all rights reserved|powered by|privacy policy|terms of use|"
    "terms of service|cookie|about us|contact us|icp|"
    "版权|版權|备案|備案|公网安备|公網安備|未经授权|未經授權|不得转载|不得轉載|"
    "联系我们|聯繫我們|聯系我們|关于我们|關於我們|關于我們"
)
_FOOTER_WORD = _cue_pattern(_FOOTER_WORDS)
_FOOTER_LABEL = re.compile(
    r"^(?:[©]|\(c\)\s*\d{4}|copyright\b|disclaimer\s*[:：]|notice\s*[:：]"
    r"|(?:免责|免責|特别|特別|版权|版權|法律|郑重|鄭重)(?:声明|聲明))",
    re.IGNORECASE,
)
_META_LEAD = re.compile(
    r"^(?:by\s+\S|posted\b|published\b|updated\b|written by\b"
    r"|作者|来源|來源|发布|發布|發佈|发表|發表|编辑|編輯|责任编辑|責任編輯|记者|記者|时间|時間)",
    re.IGNORECASE,
)
_META_WORDS = re.compile(
    r"\bmin(?:ute)?s?\s+read\b|字号|字號|阅读量|閱讀量"
    r"|(?:来源|來源|作者|编辑|編輯|责编|責編|记者|記者|出处|出處|source|author)\s*[:：]",
    re.IGNORECASE,
)
_PLACE_LEAD = re.compile(r"^(?:当前位置|當前位置|您的位置|你的位置|所在位置|you are here)", re.I)
_AD_LINE = re.compile(r"^(?:advertisement|sponsored|广告|廣告|推广|推廣)$", re.IGNORECASE)

# Flags that remove a line wherever it stands; the others only matter by position.
_STRONG_FLAGS = frozenset({"keywords", "breadcrumb", "share", "footer", "related", "ad"})


@dataclass(frozen=True)
class CleanedArticle:
    """A scraped article with its page noise removed."""

    title: str | None
    body: str
    removed: tuple[str, ...] = ()


@dataclass
class _Unit:
    """One logical line (or a fenced code block, or a hard-wrapped paragraph)."""

    first: int
    lines: list[str]
    kind: str  # text, heading, list, quote, table, image, code
    visible: str = ""
    weight: float = 0.0
    flags: set[str] = field(default_factory=set)

    @cached_property
    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines)


def repair_punctuation(text: str) -> str:
    """Fix doubled punctuation and converter pinyin artifacts outside code."""
    out: list[str] = []
    fence_char = ""
    for line in text.split("\n"):
        fence = _FENCE.match(line)
        if fence and (not fence_char or fence.group(1)[0] == fence_char):
            fence_char = "" if fence_char else fence.group(1)[0]
            out.append(line)
        elif fence_char:
            out.append(line)
        else:
            out.append(_repair_line(line))
    return "\n".join(out)


def _repair_line(line: str) -> str:
    pieces: list[str] = []
    position = 0
    for match in _PROTECTED_SPAN.finditer(line):
        pieces.append(_repair_plain(line[position : match.start()]))
        pieces.append(match.group())
        position = match.end()
    pieces.append(_repair_plain(line[position:]))
    return "".join(pieces)


def _repair_plain(text: str) -> str:
    text = _PINYIN_ARTIFACT.sub("", text)
    text = _COMMA_RUN.sub(lambda m: "，" if "，" in m.group() else ",", text)
    text = _COMMA_BEFORE_STRONGER.sub("", text)
    text = _COMMA_AFTER_FULL_STOP.sub("", text)
    return _DOUBLE_FULL_STOP.sub("。", text)


def clean_article(text: str) -> CleanedArticle:
    """Split a scraped page into its headline and body, dropping navigation and clutter."""
    lines = _normalise(text).split("\n")
    units = _units(lines)
    if not units:
        return CleanedArticle(title=None, body="", removed=())
    _flag_units(units)
    start, end, total = _densest_block(units)
    keep = [False] * len(units)
    title_index: int | None = None
    if total < MIN_ARTICLE_WEIGHT:
        # No article-shaped block: cut nothing by position, only clear noise.
        for index, unit in enumerate(units):
            keep[index] = not (unit.flags & _STRONG_FLAGS)
        title_index = _markdown_title(units, len(units))
    else:
        end = _extend_block_end(units, end)
        title_index = _find_title(units, start)
        for index, unit in enumerate(units):
            if start <= index <= end:
                keep[index] = not (unit.flags & _STRONG_FLAGS)
            else:
                # Outside the article only Markdown the author wrote survives.
                keep[index] = unit.kind in {"heading", "list", "quote", "table", "image"} and (
                    not unit.flags
                )
    title: str | None = None
    if title_index is not None:
        keep[title_index] = False
        title = units[title_index].visible.strip()
    body = _assemble([unit for index, unit in enumerate(units) if keep[index]])
    removed = tuple(
        line.strip()
        for index, unit in enumerate(units)
        if not keep[index] and index != title_index
        for line in unit.lines
        if line.strip()
    )
    return CleanedArticle(title=title, body=body, removed=removed)


# --- preparing lines ----------------------------------------------------------------


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    text = re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", text)
    text = text.replace("\xa0", " ")
    return repair_punctuation(text)


def _display_width(text: str) -> int:
    return len(text) + len(_CJK_CHAR.findall(text))


def _kind(line: str) -> str:
    if _ATX_HEADING.match(line):
        return "heading"
    if _IMAGE_LINE.match(line):
        return "image"
    if _TABLE_ROW.match(line):
        return "table"
    if _LIST_ITEM.match(line):
        return "list"
    if _QUOTE.match(line) and not _CRUMB_SEPARATORS.search(line.lstrip(" >")):
        return "quote"
    return "text"


def _wrap_width(lines: list[str]) -> int | None:
    """The column a hard-wrapped text breaks at, or None for one-line paragraphs."""
    widths = sorted(
        _display_width(line.strip())
        for line in lines
        if line.strip() and _kind(line) == "text" and not _FENCE.match(line)
    )
    if len(widths) < 5:
        return None
    typical = widths[int(len(widths) * 0.8)]
    if not 40 <= typical <= 120:
        return None
    near = sum(1 for width in widths if width >= 0.75 * typical)
    return typical if near >= 0.4 * len(widths) else None


def _units(lines: list[str]) -> list[_Unit]:
    """Group lines into units: fenced blocks whole, wrapped paragraphs joined."""
    wrap = _wrap_width(lines)
    units: list[_Unit] = []
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        fence = _FENCE.match(line)
        if fence:
            closing = fence.group(1)[0] * 3
            block = [line]
            index += 1
            while index < len(lines):
                block.append(lines[index].rstrip())
                index += 1
                if lines[index - 1].strip().startswith(closing):
                    break
            units.append(_Unit(first=index - len(block), lines=block, kind="code"))
            continue
        if not line.strip():
            index += 1
            continue
        kind = _kind(line)
        block = [line if kind in {"list", "code", "table"} else line.strip(" \t\u3000")]
        first = index
        index += 1
        if kind == "list":
            # Indented lines under a list entry belong to it (Markdown continuation).
            while (
                index < len(lines)
                and lines[index].startswith(("  ", "\t"))
                and lines[index].strip()
                and _kind(lines[index]) == "text"
            ):
                block.append(lines[index].rstrip())
                index += 1
        if kind in {"text", "quote", "list"} and wrap:
            while (
                index < len(lines)
                and lines[index].strip()
                and _display_width(block[-1].strip()) >= 0.6 * wrap
                and _kind(lines[index]) == "text"
                and not _FENCE.match(lines[index])
            ):
                block.append(lines[index].strip())
                index += 1
        units.append(_Unit(first=first, lines=block, kind=kind))
    return units


# --- features and flags ---------------------------------------------------------------


def _visible_text(unit: _Unit) -> str:
    """The text a reader sees: no link targets, list markers or emphasis marks."""
    if unit.kind == "code":
        return ""
    text = unit.text
    heading = _ATX_HEADING.match(text)
    if heading:
        text = heading.group(2)
    text = _LIST_MARKER.sub("", text)
    text = _QUOTE.sub("", text) if unit.kind == "quote" else text
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _BARE_URL.sub(" ", text)
    text = _EMPHASIS.sub("", text)
    # Two spaces survive: scraped menus use them as separators.
    return re.sub(r"\s{3,}", "  ", re.sub(r"[\t\n\u3000]", " ", text)).strip()


def _weight(text: str) -> float:
    cjk = len(_CJK_CHAR.findall(text))
    return cjk + LATIN_WORD_WEIGHT * len(_LATIN_WORD.findall(text))


def _is_link_only(unit: _Unit) -> bool:
    text = _LIST_MARKER.sub("", unit.text)
    if not (_MD_LINK.search(text) or _BARE_URL.search(text)):
        return False
    rest = _BARE_URL.sub(" ", _MD_LINK.sub(" ", text))
    rest = _LABEL.sub("", rest.strip())
    return _weight(rest) <= 1.7


def _is_token_list(visible: str) -> bool:
    """A line of short tags, keywords or menu entries rather than a sentence."""
    if _ENDS_SENTENCE.search(visible) and not _TRUNCATED.search(visible):
        return False
    body = _LABEL.sub("", visible, count=1)
    tokens = [token for token in _LIST_SEPARATORS.split(body) if token.strip()]
    menu_separators = len(re.findall(r"[|｜•·»›]|>>", body))
    needed = 3 if menu_separators >= 2 else 4
    if len(tokens) < needed:
        return False
    weights = [_weight(token) for token in tokens]
    # The more entries, the surer the shape, so longer entries are allowed.
    longest, mean = (18.0, 14.0) if len(tokens) >= 6 else (16.0, 10.0)
    if max(weights) > longest or sum(weights) / len(weights) > mean:
        return False
    return not any(_INNER_PUNCT.search(token.strip(" .:：")) for token in tokens)


def _is_breadcrumb(visible: str) -> bool:
    if _PLACE_LEAD.match(visible):
        return True
    if _ENDS_SENTENCE.search(visible) or _weight(visible) > 30:
        return False
    separators = re.findall(r"(?<=\S)\s*(?:>>?|»|›|→)\s*(?=\S)", visible)
    if len(separators) < 2:
        return False
    tokens = re.split(r"\s*(?:>>?|»|›|→)\s*", visible)
    return all(_weight(token) <= 12 for token in tokens)


def _is_share_line(visible: str, weight: float) -> bool:
    if weight > 30:
        return False
    if _SHARE_LEAD.match(visible):
        return True
    if weight > 14:
        return False
    # What is left once share words and counters are taken out must be next to nothing.
    residue = _SHARE_WORD.sub(" ", visible.casefold())
    if residue == visible.casefold():
        return False
    residue = re.sub(r"[+#]?\d[\d,.]*\s*[kmw万萬亿億+]?", " ", residue)
    return _weight(residue) <= 2


def _is_numeric(visible: str) -> bool:
    tokens = visible.split()
    return bool(tokens) and all(_NUMBER_TOKEN.match(token) for token in tokens)


def _is_meta(visible: str, weight: float) -> bool:
    if weight > 32 or (_ENDS_SENTENCE.search(visible) and weight > 12):
        return False
    if _META_LEAD.match(visible) or _META_WORDS.search(visible):
        return True
    if not _DATE.search(visible):
        return False
    # A calendar date with a clock time is a dateline; headlines do not carry times.
    if _FULL_DATE.search(visible) and _CLOCK.search(visible):
        return True
    # A date plus little else: a timestamp, a dateline, a byline.
    rest = _DATE.sub(" ", visible)
    rest = re.sub(r"\d+", " ", rest)
    return _weight(rest) <= 10


def _is_footer(visible: str, weight: float) -> bool:
    if _FOOTER_LABEL.match(visible):
        return True
    if re.search(r"ICP\s*[备備证證]", visible, re.IGNORECASE):
        return True
    return weight <= 40 and bool(_FOOTER_WORD.search(visible.casefold()))


def _is_related_heading(visible: str, weight: float) -> bool:
    if weight > 12 or _ENDS_SENTENCE.search(visible):
        return False
    return bool(_RELATED_WORD.search(visible.casefold()))


def _is_related_inline(visible: str) -> bool:
    """`Read more: >>a >>b` - a label with a related cue, then a list of titles."""
    label = re.match(r"^([^:：]{1,12})[:：]", visible)
    return bool(label and _RELATED_WORD.search(label.group(1).casefold()))


def _ends_sentence(visible: str) -> bool:
    return bool(_ENDS_SENTENCE.search(_TRAILING_ASIDE.sub("", visible).rstrip()))


def _is_prose(unit: _Unit) -> bool:
    if unit.weight < PROSE_MIN_WEIGHT or "truncated" in unit.flags:
        return False
    if _ends_sentence(unit.visible):
        return True
    # A long line without a final stop still reads as prose when it has clauses.
    return unit.weight >= 2 * PROSE_MIN_WEIGHT and len(_INNER_PUNCT.findall(unit.visible)) >= 3


def _is_title_like(unit: _Unit) -> bool:
    """A short line that could sit in a list of headlines: no full sentence."""
    if unit.kind == "code":
        return False
    if unit.flags & {"truncated", "link_only", "meta", "numeric", "duplicate"}:
        return True
    return not _is_prose(unit)


def _flag_units(units: list[_Unit]) -> None:
    counts = Counter(unit.text for unit in units if unit.kind != "code")
    for unit in units:
        unit.visible = _visible_text(unit)
        unit.weight = _weight(unit.visible)
        if unit.kind in {"code", "table"}:
            continue
        visible, weight = unit.visible, unit.weight
        flags = unit.flags
        if _is_token_list(visible) or (weight <= 30 and _HASHTAG.search(visible)):
            flags.add("keywords")
        if _is_breadcrumb(visible):
            flags.add("breadcrumb")
        if _is_share_line(visible, weight):
            flags.add("share")
        if _is_footer(visible, weight):
            flags.add("footer")
        if _AD_LINE.match(visible):
            flags.add("ad")
        if _is_related_inline(visible) and weight <= 60:
            flags.add("related")
        if _TRUNCATED.search(visible):
            flags.add("truncated")
        if unit.kind != "image" and _is_link_only(unit):
            flags.add("link_only")
        if _is_meta(visible, weight):
            flags.add("meta")
        if _is_numeric(visible):
            flags.add("numeric")
        # Headline lists repeat their lines (a title, then the same as a caption);
        # a repeated full paragraph is rarer and more likely the author's.
        if counts[unit.text] > 1 and weight >= 4 and not _is_prose(unit):
            flags.add("duplicate")
    _flag_related_runs(units)
    _flag_navigation_runs(units)


def _flag_related_runs(units: list[_Unit]) -> None:
    """A related/popular heading and the run of headline-like lines under it."""
    index = 0
    while index < len(units):
        unit = units[index]
        if unit.kind == "code" or not _is_related_heading(unit.visible, unit.weight):
            index += 1
            continue
        run_end = index + 1
        while run_end < len(units) and _is_title_like(units[run_end]):
            run_end += 1
        if run_end - index - 1 >= 2:
            for member in units[index:run_end]:
                member.flags.add("related")
            # Headings inside the run belong to it; no need to scan from them again.
            index = run_end
        else:
            index += 1


def _flag_navigation_runs(units: list[_Unit]) -> None:
    """Three or more short link-only lines in a row: a menu, not a reading list."""
    run: list[_Unit] = []
    for unit in [*units, None]:
        if unit is not None and "link_only" in unit.flags and unit.weight <= 7:
            run.append(unit)
            continue
        if len(run) >= 3:
            for member in run:
                member.flags.add("navigation")
        run = []


# --- locating the article ----------------------------------------------------------------


def _score(unit: _Unit) -> float:
    """What a unit adds to the article block: prose pays, clutter costs."""
    if unit.kind == "code":
        return 10.0
    if unit.flags & _STRONG_FLAGS:
        return -min(unit.weight + 10.0, MAX_NOISE_PENALTY)
    if unit.flags & {"truncated", "duplicate", "navigation"}:
        return -min(5.0 + unit.weight / 2, MAX_NOISE_PENALTY)
    if unit.flags & {"meta", "numeric", "link_only"}:
        return -4.0
    if _is_prose(unit):
        return unit.weight
    if unit.kind == "heading":
        return -1.0
    if unit.kind in {"list", "quote", "table"}:
        return max(1.0, unit.weight / 2)
    if _ENDS_FULL_STOP.search(unit.visible) and unit.weight >= 4:
        return unit.weight / 3
    return -3.0


def _densest_block(units: list[_Unit]) -> tuple[int, int, float]:
    """The run of units with the highest total score (maximum subarray)."""
    best = (0, -1, 0.0)
    current_start, current_total = 0, 0.0
    for index, unit in enumerate(units):
        if current_total <= 0:
            current_start, current_total = index, 0.0
        current_total += _score(unit)
        if current_total > best[2]:
            best = (current_start, index, current_total)
    return best


def _extend_block_end(units: list[_Unit], end: int) -> int:
    """Take in short closing sentences ("Thanks for reading!") the scores left out."""
    while end + 1 < len(units):
        unit = units[end + 1]
        if unit.flags or unit.kind == "heading" or not _ends_sentence(unit.visible):
            break
        if unit.weight < 2:
            break
        end += 1
    return end


def _markdown_title(units: list[_Unit], limit: int) -> int | None:
    for index, unit in enumerate(units[:limit]):
        heading = _ATX_HEADING.match(unit.text)
        if heading and len(heading.group(1)) == 1:
            return index
    return None


def _find_title(units: list[_Unit], start: int) -> int | None:
    """The headline: a Markdown H1 above the body, else the heaviest plain line there."""
    markdown = _markdown_title(units, start)
    if markdown is not None:
        return markdown
    best: tuple[float, int] | None = None
    for index in range(max(0, start - TITLE_WINDOW_UNITS), start):
        unit = units[index]
        if unit.flags or unit.kind not in {"text", "heading"}:
            continue
        if not TITLE_MIN_WEIGHT <= unit.weight <= TITLE_MAX_WEIGHT:
            continue
        if _ENDS_FULL_STOP.search(unit.visible) and not _TRUNCATED.search(unit.visible):
            continue
        letters = re.sub(r"[^A-Za-z]", "", unit.visible)
        shouting = len(letters) > 3 and letters.isupper()
        # Dates, all capitals and share/follow words mark datelines, menus and
        # calls to action more often than headlines.
        score = unit.weight * (0.3 if shouting else 1.0)
        if _DATE.search(unit.visible):
            score *= 0.5
        if _SHARE_WORD.search(unit.visible.casefold()):
            score *= 0.5
        # On a tie the line nearer the body wins: headlines sit just above it.
        if best is None or score >= best[0]:
            best = (score, index)
    return best[1] if best else None


# --- output -----------------------------------------------------------------------


def _assemble(units: list[_Unit]) -> str:
    """Units back to Markdown: paragraphs apart, list and table rows kept tight."""
    parts: list[str] = []
    previous: _Unit | None = None
    for unit in units:
        text = "\n".join(unit.lines)
        if previous is not None:
            tight = (
                unit.kind == previous.kind
                and unit.kind in {"list", "table"}
                and unit.first == previous.first + len(previous.lines)
            )
            parts.append("\n" if tight else "\n\n")
        parts.append(text)
        previous = unit
    return "".join(parts).strip("\n") + ("\n" if parts else "")
