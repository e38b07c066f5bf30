"""What an email address and a display name may be: normalised, visible, one script a word.

Rules, and why:

- Both are NFKC-normalised first (full-width letters become ASCII ones, a no-break space a
  space); emails are also case-folded, so `Ann@X.org` and `ann@x.org` are one account.
- Nothing invisible: control and format characters (zero-width spaces and joiners,
  direction overrides, soft hyphens), private-use and unassigned code points, and letters that
  render as blank (the Hangul fillers). In an email, no whitespace at all.
- One script a word: each label of an email (split at `@`, `.`, `-`, `+`, `_`) and each word
  of a name has its letters from one script, so `client` written with a Cyrillic `i`
  (U+0456) among Latin letters is refused while `Олена`, `Łukasz` or `山田 太郎` are not.
  Han may mix with Hiragana and Katakana (Japanese) or Hangul (Korean), as those languages
  write. Digits and punctuation belong to no script. A letter's script is the first word of
  its Unicode name, which names the script for every letter of the scripts we have seen
  (LATIN, CYRILLIC, GREEK, ...).
"""

from __future__ import annotations

import re
import unicodedata

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_EMAIL_LABELS = re.compile(r"[@.+_\-]")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# Letters or symbols that draw nothing: Hangul fillers, the blank Braille pattern.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_EAST_ASIAN = (frozenset({"CJK", "HIRAGANA", "KATAKANA"}), frozenset({"CJK", "HANGUL"}))


def _script(char: str) -> str | None:
    """The script of a letter, or None for digits, marks, punctuation and symbols."""
    if not unicodedata.category(char).startswith("L"):
        return None
    first = unicodedata.name(char, "UNKNOWN").split()[0]
    if first in ("MODIFIER", "UNKNOWN"):
        return None
    return "CJK" if first in ("CJK", "IDEOGRAPHIC") else first


def _one_script(word: str) -> bool:
    scripts = {s for s in map(_script, word) if s is not None}
    return len(scripts) <= 1 or any(scripts <= allowed for allowed in _EAST_ASIAN)


def _invisible(char: str, *, space_allowed: bool) -> bool:
    if char == " ":
        return not space_allowed
    category = unicodedata.category(char)
    return category in _INVISIBLE_CATEGORIES or category == "Zs" or char in _BLANK


def _check_visible(text: str, *, space_allowed: bool) -> None:
    for char in text:
        if _invisible(char, space_allowed=space_allowed):
            raise ValueError(f"contains an invisible or control character (U+{ord(char):04X})")


def normalise_email(raw: str) -> str:
    """The address in the one form we store and compare; ValueError says what is wrong."""
    email = unicodedata.normalize("NFKC", raw.strip()).casefold()
    _check_visible(email, space_allowed=False)
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValueError("not a valid email address")
    for label in _EMAIL_LABELS.split(email):
        if not _one_script(label):
            raise ValueError(f"mixes letters of different scripts in {label!r}")
    return email


def check_display_name(raw: str) -> str:
    """The name as shown to others; ValueError says what is wrong."""
    name = unicodedata.normalize("NFKC", raw).strip()
    if not 1 <= len(name) <= 120:
        raise ValueError("must be 1 to 120 characters long")
    _check_visible(name, space_allowed=True)
    for word in re.split("[\\s\\-'.\u2019]+", name):
        if not _one_script(word):
            raise ValueError(f"mixes letters of different scripts in {word!r}")
    return name
