"""Tests of decoding issue files: BOMs, UTF-8, legacy CJK encodings, newlines, binary data."""

from __future__ import annotations

import codecs

import pytest

from reader.core.errors import InputError
from reader.core.textio import decode_text

SIMPLIFIED = (
    "本周推荐：推理语言模型融合了大型语言模型的广度与强化学习的探索深度。\n第二段，中文标点。"
)
TRADITIONAL = (
    "本週推薦：推理語言模型融合了大型語言模型的廣度與強化學習的探索深度。\n第二段，中文標點。"
)


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_byte_order_marks(bom: bytes, encoding: str) -> None:
    assert decode_text(bom + SIMPLIFIED.encode(encoding)) == SIMPLIFIED


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom(encoding: str) -> None:
    text = "# Weekly\n\n" + SIMPLIFIED
    assert decode_text(text.encode(encoding)) == text


def test_plain_utf8() -> None:
    assert decode_text("Café — 中文 — 🦀".encode()) == "Café — 中文 — 🦀"


@pytest.mark.parametrize("encoding", ["gbk", "gb2312", "gb18030"])
def test_simplified_chinese_legacy_encodings(encoding: str) -> None:
    assert decode_text(SIMPLIFIED.encode(encoding)) == SIMPLIFIED


def test_gb18030_only_characters_survive() -> None:
    # 鎔 and 𠀀 are outside GB2312; decoding as GB18030 keeps them.
    text = SIMPLIFIED + "鎔𠀀"
    assert decode_text(text.encode("gb18030")) == text


def test_short_gbk_text_prefers_gb18030_over_big5() -> None:
    assert decode_text("标题：短".encode("gbk")) == "标题：短"


def test_big5() -> None:
    assert decode_text(TRADITIONAL.encode("big5")) == TRADITIONAL


def test_western_legacy_encodings() -> None:
    text = "Café résumé naïve – déjà vu, über straße"
    assert decode_text(text.encode("cp1252")) == text
    russian = "Цитата #17703 — пример текста на русском языке, достаточно длинный."
    assert decode_text(russian.encode("cp1251")) == russian


def test_newlines_become_lf() -> None:
    assert decode_text(b"a\r\nb\rc\nd") == "a\nb\nc\nd"
    assert decode_text(codecs.BOM_UTF16_LE + "x\r\ny".encode("utf-16-le")) == "x\ny"


def test_empty_bytes_are_empty_text() -> None:
    assert decode_text(b"") == ""


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        bytes(range(256)) * 8,
        b"PK\x03\x04" + b"\x00\x14\x00\x08\x00" * 20,
        b"text with a NUL\x00 in the middle",
    ],
)
def test_binary_data_is_refused_with_a_clear_message(data: bytes) -> None:
    with pytest.raises(InputError, match=r"binary|not text"):
        decode_text(data)


def test_a_broken_bom_is_reported() -> None:
    with pytest.raises(InputError, match="mark"):
        decode_text(codecs.BOM_UTF8 + b"\xff\xfe\xfd")
