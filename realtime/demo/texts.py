"""The prose of the demo directory: bios, approaches, reviews and the people in them."""

from __future__ import annotations

OPENINGS = (
    "I'm a {licence} in {city} and have worked with couples for {years} years.",
    "After {years} years in practice in {city}, I still love the moment two people start to "
    "really hear each other.",
    "I'm based in {city} and have been a {licence} for {years} years.",
    "I spent my first years as a {licence} in community clinics around {city}; {years} years "
    "on, I see couples and individuals online.",
    "{years} years, thousands of conversations, one belief: most couples are closer to "
    "repair than they think. I practise from {city}.",
)
FOCUS = (
    "Most of my clients come to me for {s1} and {s2}.",
    "My work centres on {s1}, and often on {s2} too.",
    "People usually find me when they are dealing with {s1} or {s2}.",
)
PERSONAL = (
    "Outside sessions I garden badly and cook well.",
    "I've been married for fifteen years, and we still use the tools I teach.",
    "I work with couples of every background, faith and configuration.",
    "I'm a parent of two, so I know how little time couples have for each other.",
    "Sessions with me are warm, direct and sometimes funny.",
    "I also train new therapists, which keeps me honest about what works.",
    "I grew up between two cultures and often work with intercultural couples.",
    "I'm LGBTQ+ affirming and have worked with queer couples for most of my career.",
)
APPROACHES = (
    "I use the Gottman Method: we start with an assessment, then build friendship, manage "
    "conflict and create shared meaning, with small exercises between sessions.",
    "My work is grounded in Emotionally Focused Therapy. We look for the cycle you get stuck "
    "in and the attachment needs underneath it, then practise reaching for each other.",
    "I draw on cognitive behavioural therapy: we notice the thoughts that drive a fight, test "
    "them, and try new ways of responding. Expect practical homework.",
    "I'm solution-focused. Rather than dig through the past, we name what is already working "
    "and do more of it, in small steps you choose.",
    "I combine Internal Family Systems with attachment theory, which helps when one partner's "
    "reaction feels much bigger than the moment.",
    "I use Imago dialogue to slow conversations down so each partner feels heard before "
    "anyone tries to fix anything.",
    "My approach is integrative: narrative therapy to rewrite the story you tell about your "
    "relationship, and acceptance and commitment therapy for the hard feelings that remain.",
    "I'm a coach, not a therapist: sessions are about goals, accountability and skills, and I "
    "refer on when therapy would serve you better.",
)
# Review texts by star rating.
REVIEWS: dict[int, tuple[str, ...]] = {
    5: (
        "Changed how we argue. We actually listen now.",
        "Warm, sharp and never took sides.",
        "We came in ready to separate. Six months later we're planning our anniversary trip.",
        "Practical tools we used the same week.",
        "I felt safe from the first session.",
        "Helped me understand my attachment style and stop repeating old patterns.",
        "Worth every minute. Highly recommend for premarital work.",
        "Patient, kind, and very good at slowing us down.",
        "The best decision we made this year.",
        "Direct when we needed it, gentle when we needed that.",
    ),
    4: (
        "Very helpful, though scheduling across time zones was tricky.",
        "Good exercises; a bit structured for my taste.",
        "We made real progress on communication.",
        "Thoughtful and well prepared. Sessions sometimes felt short.",
        "Helpful perspective on a hard year.",
    ),
    3: (
        "Some good insights, but we didn't click.",
        "Okay overall; a lot of homework.",
        "Helpful for me, less so for my partner.",
    ),
    2: ("Felt rushed and generic.", "Not the right fit for us."),
    1: ("Missed a session without notice.",),
}
RESPONSES = (
    "Thank you for trusting me with something so important.",
    "Thank you for the feedback; I've added more evening times.",
    "I'm sorry this wasn't the right fit, and I wish you both well.",
)
REVIEWERS = (
    "Maya R.",
    "Tom & Jess",
    "Aisha K.",
    "Carlos M.",
    "Hannah",
    "Sam P.",
    "Ravi",
    "Julia W.",
    "Noah & Eli",
    "Fatima",
    "Grace L.",
    "Ben",
)
REFEREES = ("Dr. Helen Park", "Marcus Ode", "Ingrid Solberg", "Tomás Ferreira", "Ruth Adebayo")
REFEREE_RELATIONSHIPS = (
    "Clinical supervisor, 3 years",
    "Former colleague",
    "Training programme director",
)
