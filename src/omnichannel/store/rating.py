"""A typed answer to the rating question: what reads as one, and when it still answers.

Text channels show the question without buttons, and widget shoppers type too, so "5",
"4/5", "5 stars" or "I'd give it a 4" count as the rating, but only as the reply to a
question still open: asked on that chat less than `REPLY_WINDOW` ago, not rated yet, and
nothing answered (agent or staff) since. Then the journal files it on the conversation
that asked, even one resolved meanwhile, with the value of the button it stands for
(`csat:<n>`), so the router and the analytics read it as a pressed rating; otherwise it is
an ordinary message.
"""

from __future__ import annotations

import re
import sqlite3

from omnichannel.conversation import Role

REPLY_WINDOW = 86400.0  # a day: the question is still the last thing the shopper saw

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_LEAD = (r"(?:(?:i(?:'d| would| will|'ll)?\s+(?:give|rate)(?:\s+(?:it|you|you guys|this|that|"
         r"us|the chat|the conversation|the service|the support))?|(?:my\s+)?(?:rating|score)"
         r"(?:\s+is)?:?|it'?s|it is|that'?s|that is|definitely|easily|solid|give it)\s+)?")
_RATING = re.compile(
    _LEAD + r"(?:an?\s+)?(?:solid\s+)?(?P<n>[1-5]|one|two|three|four|five)"
    r"(?:\s*(?:/|out of|of)\s*(?:5|five))?(?:\s*stars?)?"
    r"(?:[\s,.!-]*(?:thanks|thank you|thx|cheers|:\)))?")
_STARS = re.compile(r"[\u2b50\u2605]{1,5}")  # ⭐ or ★, one per point


def score_in(text: str) -> int | None:
    """The 1-5 score a short typed reply gives, or None when it is not a rating."""
    if len(text) > 120:  # every inbound message passes here: long ones leave at once
        return None
    t = " ".join(text.replace("\u2019", "'").lower().split()).strip(" .!?")
    if len(t) > 60:
        return None
    stars = t.replace("\ufe0f", "").replace(" ", "")
    if _STARS.fullmatch(stars):
        return len(stars)
    m = _RATING.fullmatch(t)
    if m is None:
        return None
    n = m["n"]
    return _WORDS.get(n) or int(n)


def awaiting(conn: sqlite3.Connection, conversation_id: int, now: float) -> bool:
    """The conversation asked for a rating that a typed reply may still answer."""
    asked = conn.execute("SELECT MAX(created_at) FROM events WHERE conversation_id = ? AND "
                         "kind = 'csat_asked'", (conversation_id,)).fetchone()[0]
    if asked is None or now - asked > REPLY_WINDOW:
        return False
    rated = conn.execute("SELECT 1 FROM events WHERE conversation_id = ? AND kind = 'csat' "
                         "LIMIT 1", (conversation_id,)).fetchone()
    if rated is not None:
        return False
    since = conn.execute("SELECT 1 FROM messages WHERE conversation_id = ? AND role IN (?, ?) "
                         "AND created_at > ? LIMIT 1",
                         (conversation_id, Role.AGENT.value, Role.STAFF.value, asked)).fetchone()
    return since is None
