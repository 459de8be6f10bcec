"""The claim checker (the module moved to reading.py; the next commit splits it)."""

from omnichannel.agent.claims.reading import (
    ANY,
    CAPABILITIES,
    ENGLISH,
    HANDED_OFF,
    LANGUAGES,
    NEVER,
    Aux,
    Capability,
    Claim,
    Language,
    Role,
    Verb,
    Who,
    backed_kinds,
    claims,
    unbacked,
)

__all__ = [
    "ANY", "CAPABILITIES", "ENGLISH", "HANDED_OFF", "LANGUAGES", "NEVER", "Aux", "Capability",
    "Claim", "Language", "Role", "Verb", "Who", "backed_kinds", "claims", "unbacked",
]
