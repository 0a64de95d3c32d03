"""Script folding for search: every Traditional Chinese character read as its Simplified form.

One character for one character, so offsets in folded text are offsets in the original.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from reader.core.store.fold_table import SIMPLIFIED, TRADITIONAL

# The table is vendored (fold_table.py) rather than read from the OpenCC package at run time:
# the search index holds folded text, so a change to the table needs a migration that
# rebuilds the index, and an upgrade of the package must not change it behind our back.

# Every key of the BMP part sits below this code point, so a list indexed by code point is
# the table str.translate reads fastest (twice a dict's speed); the rest goes in a dict.
_BMP_TABLE_SIZE = 0xA000
_BMP_TABLE: list[int] = list(range(_BMP_TABLE_SIZE))
_ASTRAL_TABLE: dict[int, int] = {}
for _traditional, _simplified in zip(TRADITIONAL, SIMPLIFIED, strict=True):
    if ord(_traditional) < _BMP_TABLE_SIZE:
        _BMP_TABLE[ord(_traditional)] = ord(_simplified)
    else:
        _ASTRAL_TABLE[ord(_traditional)] = ord(_simplified)
_ASTRAL_CHAR = re.compile("[\U00010000-\U0010ffff]")


def fold_han(text: str) -> str:
    """`text` with each Traditional Chinese character replaced by its Simplified form.

    Characters with several Simplified counterparts fold to the commonest one, and the
    characters that several Traditional ones share stay as they are: 發 and 髮 both give 发,
    後 gives 后, 裡 and 裏 give 里, so a query in either script finds text in the other.
    """
    if text.isascii():
        return text
    folded = text.translate(_BMP_TABLE)
    if _ASTRAL_CHAR.search(folded):
        folded = folded.translate(_ASTRAL_TABLE)
    return folded


def fold_char(char: str) -> str:
    """One character as search compares it: width, accents, case and script folded.

    Returns `char` itself when folding would turn it into several characters.
    """
    normal = unicodedata.normalize("NFKC", char)
    if len(normal) != 1:
        return char
    base = unicodedata.normalize("NFD", normal)[0]
    lower = base.casefold()
    if len(lower) != 1:
        lower = base.lower() if len(base.lower()) == 1 else base
    return fold_han(lower)


# Characters whose folded forms a highlight must find written any way: Latin letters with
# accents, full-width forms and the Traditional characters.
_VARIANT_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00), (0xFF01, 0xFF5F), (0x3000, 0x3001))


@functools.cache
def _variants() -> dict[str, str]:
    groups: dict[str, set[str]] = {}
    candidates = [chr(code) for start, end in _VARIANT_RANGES for code in range(start, end)]
    for char in [*candidates, *TRADITIONAL]:
        folded = fold_char(char)
        if folded != char:
            groups.setdefault(folded, {folded}).add(char)
    return {folded: "".join(sorted(chars)) for folded, chars in groups.items()}


def char_pattern(char: str) -> str:
    """A regular expression (use with IGNORECASE) for every way of writing `char`'s fold."""
    folded = fold_char(char)
    variants = _variants().get(folded)
    if variants is None:
        return re.escape(folded) if folded == char else "[" + re.escape(folded + char) + "]"
    return "[" + re.escape(variants if char in variants else variants + char) + "]"


# --- the vendored table, rebuilt from the OpenCC dictionaries ---------------------------------

_OPENCC_TABLES = ("TSCharacters.txt",)
# Taiwan and Hong Kong variants that OpenCC's Traditional table spells differently
# (偽 for 僞): each is read as the standard form, then folded.
_OPENCC_VARIANT_TABLES = ("TWVariantsRev.txt", "HKVariantsRev.txt")


def _read_opencc_table(folder: Path, name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    with (folder / name).open(encoding="utf-8") as lines:
        for line in lines:
            key, _, values = line.rstrip("\n").partition("\t")
            if len(key) == 1 and values.split():
                # The first counterpart is OpenCC's usual choice (乾 -> 干 rather than 乾).
                table[key] = values.split()[0]
    return table


def fold_pairs_from_opencc(folder: Path) -> dict[str, str]:
    """The character fold as derived from OpenCC's dictionary folder (to regenerate the table)."""
    standard: dict[str, str] = {}
    for name in _OPENCC_TABLES:
        standard.update(_read_opencc_table(folder, name))
    pairs = dict(standard)
    for name in _OPENCC_VARIANT_TABLES:
        for variant, usual in _read_opencc_table(folder, name).items():
            # A variant table also maps Simplified characters (么 -> 幺); only variants whose
            # usual form is Traditional are folded.
            if variant not in pairs and usual in standard:
                pairs[variant] = standard[usual]
    # Folding twice must change nothing, so follow chains to their end.
    for key, value in list(pairs.items()):
        seen = {key}
        while value in pairs and value not in seen:
            seen.add(value)
            value = pairs[value]
        pairs[key] = value
    return {key: value for key, value in sorted(pairs.items()) if key != value}


def write_fold_table(folder: Path, target: Path) -> None:
    """Write fold_table.py from OpenCC's dictionary folder."""
    pairs = fold_pairs_from_opencc(folder)
    traditional = "".join(pairs)
    simplified = "".join(pairs.values())
    width = 64
    lines = [
        '"""Traditional -> Simplified Chinese, one character for one, generated from OpenCC\'s',
        "TSCharacters, TWVariantsRev and HKVariantsRev by `python -m reader.core.store.folding`.",
        "",
        "Do not edit by hand. The search index holds folded text: a change here needs a migration",
        'that rebuilds the index (see schema.py)."""',
        "",
        "# fmt: off",
        "TRADITIONAL = (",
        *(f'    "{traditional[i : i + width]}"' for i in range(0, len(traditional), width)),
        ")",
        "SIMPLIFIED = (",
        *(f'    "{simplified[i : i + width]}"' for i in range(0, len(simplified), width)),
        ")",
        "# fmt: on",
        "",
    ]
    target.write_text("\n".join(lines), encoding="utf-8")


def opencc_dictionary_folder() -> Path:
    """Where the installed OpenCC package keeps its dictionaries (without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the opencc package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dictionary"


if __name__ == "__main__":
    write_fold_table(opencc_dictionary_folder(), Path(__file__).with_name("fold_table.py"))
