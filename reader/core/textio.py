"""Bytes of an issue file -> text: BOMs, UTF-8, legacy CJK and other encodings, newlines.

Binary data is refused with an InputError rather than decoded into noise.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from reader.core.errors import InputError
from reader.core.safety import strip_escape_sequences

# Order matters: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# GB18030 is a superset of GBK and GB2312, and Big5-HKSCS of Big5: decoding
# with the superset keeps the characters a detector's narrower guess would lose.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
}
_SNIFF_BYTES = 4096
# Binary data read as text is full of control characters (about one in ten bytes);
# a text file may hold a few strays (a backspace, a ^A pasted from a terminal),
# which are dropped on display. Over both the count and the share, it is binary:
# a short file needs more than a handful before its share means anything.
_MAX_CONTROL_RATIO = 0.05
_MIN_CONTROLS_OF_BINARY = 16
# UTF-16 or UTF-32 without a BOM is taken only when what it decodes to is clean.
_MAX_WIDE_CONTROL_RATIO = 0.02
# UTF-16 without a BOM: the share of two-byte units with a NUL on the ASCII
# side needed, and how many times more NULs that side has than the other
# (CJK characters such as 一 U+4E00 put a few on the other side).
_MIN_WIDE_ZERO_RATIO = 0.05
_WIDE_ZERO_SKEW = 4


# Files of the kinds people most often pick by mistake, known by their first bytes,
# so that the message can say what the file is. Each signature is long or odd enough
# that no text file starts with it.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive (or a zipped document: docx, epub, odt...)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xca\xfe\xba\xbe", "a compiled program"),
    (b"\xcf\xfa\xed\xfe", "a compiled program"),
    (b"\x00asm", "a WebAssembly module"),
    (b"OggS\x00", "an audio or video file"),
    (b"fLaC", "an audio file"),
)


def decode_text(data: bytes) -> str:
    """Decode file bytes to text with LF newlines, or raise InputError for binary data.

    Terminal escape sequences go whole: they are never part of a newsletter's text,
    and dropping only their ESC (as display does with lone controls) would leave
    `[31m` in a title.
    """
    if not data:
        return ""
    _refuse_known_binary(data)
    text = _decode(data)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = strip_escape_sequences(text)
    _refuse_control_characters(text)
    return text


def _refuse_known_binary(data: bytes) -> None:
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise InputError(f"This is {kind}, not text.")
    if data[4:8] == b"ftyp":
        raise InputError("This is a video, audio or image file (MP4, MOV, HEIC...), not text.")
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        raise InputError("This is an image, audio or video file (RIFF), not text.")


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise InputError(
                    f"The file starts with a {encoding} mark but is not {encoding} text."
                ) from error
    if b"\x00" in data:
        wide = _wide_encoding(data)
        if wide is None:
            raise InputError("This is a binary file, not text (it contains NUL bytes).")
        try:
            return data.decode(wide)
        except UnicodeDecodeError as error:
            raise InputError("This is a binary file, not text (it contains NUL bytes).") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _detected(data)


def _wide_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM, told apart from binary by where the NUL bytes fall.

    Text in such files has ASCII in it (markup, digits, newlines), and each
    ASCII character leaves its NUL bytes in the same positions.
    """
    sample = data[: _SNIFF_BYTES - _SNIFF_BYTES % 4]
    if len(data) % 4 == 0:
        quads = len(sample) // 4
        zeros = [sample[offset::4].count(0) for offset in range(4)]
        if zeros[2] >= quads * 0.9 and zeros[3] >= quads * 0.9:
            return _plausible(data, "utf-32-le")
        if zeros[0] >= quads * 0.9 and zeros[1] >= quads * 0.9:
            return _plausible(data, "utf-32-be")
    if len(data) % 2:
        return None
    pairs = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    least = max(2, pairs * _MIN_WIDE_ZERO_RATIO)
    if odd >= least and odd >= _WIDE_ZERO_SKEW * even:
        return _plausible(data, "utf-16-le")
    if even >= least and even >= _WIDE_ZERO_SKEW * odd:
        return _plausible(data, "utf-16-be")
    return None


def _plausible(data: bytes, encoding: str) -> str | None:
    try:
        text = data[:_SNIFF_BYTES].decode(encoding, "ignore")
    except UnicodeDecodeError:
        return None
    return encoding if _control_count(text) <= len(text) * _MAX_WIDE_CONTROL_RATIO else None


def _detected(data: bytes) -> str:
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise InputError("This file is not text in any encoding the reader knows.")
    # Short Chinese texts are valid in several CJK encodings with the same
    # score; GB18030 then Big5 are by far the likeliest for a Chinese newsletter,
    # and Windows-1252 is the likeliest of the tied Western code pages.
    candidates = [
        match.encoding
        for match in matches
        if match.chaos <= best.chaos + 0.01 and match.coherence >= best.coherence - 0.1
    ]
    encoding = best.encoding
    for preferred in ("gb18030", "gbk", "gb2312", "big5", "cp1252"):
        if preferred in candidates:
            encoding = preferred
            break
    encoding = _SUPERSETS.get(encoding.lower().replace("_", ""), encoding)
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return str(best)


# Control characters that have no place in text: C0 but the white space, and DEL.
# C1 is left out: a legacy file read in the wrong Western code page shows its quotes
# as C1, and that is a wrong guess to live with, not binary data.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def _control_count(text: str) -> int:
    return len(_CONTROL.findall(text))


def _refuse_control_characters(text: str) -> None:
    sample = text[:_SNIFF_BYTES]
    controls = _control_count(sample)
    if controls > max(_MIN_CONTROLS_OF_BINARY, len(sample) * _MAX_CONTROL_RATIO):
        raise InputError(
            f"This looks like a binary file, not text ({controls} control characters"
            f" in its first {len(sample)} characters)."
        )
