"""What an email and a display name may be, with plain values (no server needed)."""

from __future__ import annotations

import pytest

from realtime.auth.identifiers import check_display_name, normalise_email

# олена@приклад.укр, every letter Cyrillic
CYRILLIC_EMAIL = (
    "\u043e\u043b\u0435\u043d\u0430@\u043f\u0440\u0438\u043a\u043b\u0430\u0434.\u0443\u043a\u0440"
)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (" Ann@Example.ORG ", "ann@example.org"),
        ("\uff41\uff4e\uff4e@example.org", "ann@example.org"),  # full-width letters
        ("STRASSE@example.org", "strasse@example.org"),
        ("Stra\u00dfe@example.org", "strasse@example.org"),  # case-folded, not just lowered
        ("ann+flourish@mail-1.example.org", "ann+flourish@mail-1.example.org"),
        (CYRILLIC_EMAIL, CYRILLIC_EMAIL),  # all in one script: fine
    ],
)
def test_emails_are_stored_in_one_form(raw: str, stored: str) -> None:
    assert normalise_email(raw) == stored


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("cl\u0456ent@example.org", "scripts"),  # Cyrillic i among Latin letters
        ("ann@ex\u0430mple.org", "scripts"),  # Cyrillic a in the domain
        ("\u03b1nn@example.org", "scripts"),  # Greek alpha among Latin letters
        ("ann\u200b@example.org", "invisible"),  # zero-width space
        ("ann\u00ad@example.org", "invisible"),  # soft hyphen
        ("ann\u202e@example.org", "invisible"),  # right-to-left override
        ("an n@example.org", "invisible"),
        ("ann.example.org", "valid"),
    ],
)
def test_look_alike_and_invisible_emails_are_refused(raw: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalise_email(raw)


@pytest.mark.parametrize(
    "name",
    [
        "Ann Lee",
        "Jos\u00e9 O\u2019Brien-Smith",
        "\u041e\u043b\u0435\u043d\u0430 \u041a\u043e\u0432\u0430\u043b\u044c",  # Cyrillic
        "\u5c71\u7530 \u305f\u308d\u3046",  # Han with Hiragana (Japanese)
        "\u30b5\u30c8\u30a6\u82b1\u5b50",  # Katakana with Han
        "\uae40\u6c11\uc218",  # Hangul with Han (Korean)
        "Dr. Ann Lee 2nd",
    ],
)
def test_names_in_one_script_a_word_are_kept(name: str) -> None:
    assert check_display_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "P\u0430t Doe",  # Cyrillic a in a Latin word
        "Ann\u200dLee",  # zero-width joiner
        "\u3164",  # Hangul filler, blank
        "Ann\u0007",  # a control character
        "   ",
    ],
)
def test_look_alike_blank_or_invisible_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"scripts|invisible|characters long"):
        check_display_name(name)
