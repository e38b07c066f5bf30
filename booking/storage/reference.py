"""Reference data every deployment starts with: the specialty list, the badges and the first
professional agreement. Inserted by the `reference data` migration; admins extend the lists."""

from __future__ import annotations

from datetime import UTC, datetime

SPECIALTIES: tuple[tuple[str, str], ...] = (
    ("couples-therapy", "Couples therapy"),
    ("marriage-counseling", "Marriage counseling"),
    ("premarital-counseling", "Premarital counseling"),
    ("communication", "Communication skills"),
    ("conflict-resolution", "Conflict resolution"),
    ("infidelity-recovery", "Infidelity recovery"),
    ("divorce-separation", "Divorce and separation"),
    ("dating-coaching", "Dating coaching"),
    ("intimacy-sexuality", "Intimacy and sexuality"),
    ("lgbtq-relationships", "LGBTQ+ relationships"),
    ("family-systems", "Family systems"),
    ("parenting-partnership", "Co-parenting and parenting partnership"),
    ("anxiety", "Anxiety"),
    ("depression", "Depression"),
    ("grief-loss", "Grief and loss"),
    ("trauma-informed", "Trauma-informed care"),
    ("attachment", "Attachment styles"),
    ("blended-families", "Blended families"),
    ("long-distance", "Long-distance relationships"),
    ("life-transitions", "Life transitions"),
)

BADGES: tuple[tuple[str, str, str], ...] = (
    ("gottman-certified", "Certified Gottman therapist", "Completed Gottman Method Level 3."),
    ("eft-certified", "Certified EFT therapist", "ICEEFT-certified Emotionally Focused Therapy."),
    (
        "prepare-enrich",
        "PREPARE/ENRICH facilitator",
        "Certified premarital assessment facilitator.",
    ),
    ("imago", "Imago relationship therapist", "Certified by Imago Relationships International."),
    ("aasect", "AASECT certified sex therapist", "Certified by AASECT."),
)

AGREEMENT_VERSION = "2026-01"
AGREEMENT_PUBLISHED = datetime(2026, 1, 1, tzinfo=UTC)
AGREEMENT_TITLE = "Flourish professional agreement"
AGREEMENT_BODY = """\
By offering sessions on Flourish you confirm that the credentials you submit are yours, current
and accurate; that you will tell Flourish within 7 days if a licence lapses, is suspended or is
restricted; that you will keep client information confidential and use it only to provide your
services; that you will keep session notes within Flourish or in systems that meet the same
safeguards; that you accept the platform commission shown in your account and the published
cancellation policy; and that Flourish may hide your profile while your verification is pending,
lapsed or under review.
"""


def initial_rows() -> dict[str, list[dict[str, object]]]:
    """The rows the `reference data` migration inserts, by table, in insertion order. Later
    changes to the lists go in new migrations, not here."""
    return {
        "specialties": [{"slug": s, "name": n, "description": ""} for s, n in SPECIALTIES],
        "badges": [{"slug": s, "name": n, "description": d} for s, n, d in BADGES],
        "agreements": [
            {
                "version": AGREEMENT_VERSION,
                "title": AGREEMENT_TITLE,
                "body": AGREEMENT_BODY,
                "published_at": AGREEMENT_PUBLISHED,
            }
        ],
    }
