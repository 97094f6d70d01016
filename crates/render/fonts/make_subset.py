#!/usr/bin/env python3
"""Makes NotoSansKR-subset.otf, the Hangul font bundled by ml4a-render.

The full Noto Sans CJK collection is about 20 MB per weight; the figures need only Korean.
The subset keeps the Korean face (Noto Sans CJK KR Regular) for:
  - the 2,350 Hangul syllables of KS X 1001 (those EUC-KR encodes, the set most Korean
    text is written in),
  - Hangul Jamo and Hangul Compatibility Jamo,
  - printable ASCII, and the punctuation and symbols the figures put beside Korean words,
with its CFF outlines and subroutines, without hinting or vertical-writing tables.

Run from anywhere, with fontTools (`pip install fonttools`) and the Debian package
fonts-noto-cjk installed:

    python3 crates/render/fonts/make_subset.py

A syllable outside KS X 1001 that a figure needs fails the render crate's glyph test; add
it to EXTRA below and run this again.
"""

import pathlib

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE = "Noto Sans CJK KR"
OUT = pathlib.Path(__file__).resolve().parent / "NotoSansKR-subset.otf"

# Syllables outside KS X 1001 that our strings use (none so far).
EXTRA = ""


def ks_x_1001_syllables():
    syllables = []
    for cp in range(0xAC00, 0xD7A4):
        ch = chr(cp)
        # EUC-KR encodes exactly the KS X 1001 repertoire, each syllable in two bytes.
        if len(ch.encode("euc_kr", errors="ignore")) == 2:
            syllables.append(cp)
    assert len(syllables) == 2350, len(syllables)
    return syllables


def face_index():
    collection = TTCollection(SOURCE)
    for i, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == FACE:
            return i
    raise SystemExit(f"{FACE} not found in {SOURCE}")


def main():
    unicodes = set(ks_x_1001_syllables())
    unicodes |= set(range(0x1100, 0x1200))  # Hangul Jamo
    unicodes |= set(range(0x3130, 0x3190))  # Hangul Compatibility Jamo
    unicodes |= set(range(0x20, 0x7F))  # printable ASCII
    # Punctuation and the symbols the figures put beside Korean words (arrows of axis labels,
    # the star of an emphasised bar), so a Korean label is drawn in this one font.
    unicodes |= {ord(c) for c in "·…‘’“”–—×±≥≤%~「」『』、。←↑→↓★Σ"}
    unicodes |= {ord(c) for c in EXTRA}

    options = subset.Options()
    options.font_number = face_index()
    options.hinting = False
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]
    # Keep the copyright and licence records (OFL condition 2) and the family names.
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True

    font = subset.load_font(SOURCE, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes))
    subsetter.subset(font)
    # Fixed timestamps, so running this again gives the same bytes.
    font["head"].created = font["head"].modified = 0
    subset.save_font(font, str(OUT), options)
    print(f"{OUT.name}: {OUT.stat().st_size} bytes, {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main()
