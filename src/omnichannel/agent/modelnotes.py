"""Every text the engine addresses to the model: tool results and system notes.

A note is instruction lines for the model and at most one labelled line the shopper may read
(`Summary for the shopper: ...`). Each instruction sentence carries one of `MARKERS`, so
outgoing.py can drop an echoed instruction even without the note at hand, and keep the
labelled words. `internal_part` is what a reply must never copy.
"""

from __future__ import annotations

import json
import re
from typing import Any

from omnichannel.agent.tools import DEFERRED, TOOL_NAMES, WRITES, ToolBox, ToolResult
from omnichannel.agent.toolschema import check_args

SUMMARY = "Summary for the shopper:"
REASON = "Reason for the shopper:"
WORDS = "Plain words for the shopper:"
LABELS = (SUMMARY, REASON, WORDS)
REWRITE_PREFIX = "Rewrite needed: your reply claimed"  # rewrite_note, not filtered_note

# Lowercase; matched case-insensitively. Besides the notes' own phrases, the fixed parts of
# the argument errors ToolBox and toolschema.check_args write, which reach the model inside
# a note.
MARKERS = (
    "the shopper",
    "needs confirmation, nothing was done",
    "held for staff approval",
    "submitted for staff approval",
    "refused, nothing was done",
    "transfer successful",
    "with exactly these arguments",
    "with exactly the same arguments",
    "do not promise the outcome",
    "internal reason",
    "no action backs",
    "rewrite needed",
    "no shop is connected",
    "done: the tool ran",
    "unknown tool",
    "unknown argument",
    "missing argument",
    "not valid json",
    "must be a json object",
    "must be a list of strings",
    "must be a string",
    "must be a number",
)

_HELD_WORDS = ("This needs a quick check by a member of our team before it can go ahead; a "
               "person will look at it and reply here.")
_CAP_WORDS = ("A refund of this size needs a quick approval from our team before it can go "
              "ahead; a person will look at it and reply here.")
_TRANSFER_WORDS = "I've passed this to our team; a person will reply here."
_LABEL_LINE = re.compile("|".join(re.escape(label) for label in LABELS), re.I)


def tool_note(name: str, args: dict[str, Any], result: ToolResult) -> str:
    """What the model reads as the answer to one tool call."""
    if result.confirmation is not None:
        return (f"NEEDS CONFIRMATION, nothing was done yet. Once the shopper says yes, call "
                f"{name} again with exactly the same arguments. Ask the shopper for an explicit "
                f"yes, showing the summary word for word; ask the shopper to confirm exactly "
                f"this:\n{SUMMARY} {result.confirmation.summary}")
    if result.held is not None:
        words = _CAP_WORDS if result.held.startswith("needs staff approval") else _HELD_WORDS
        reason = result.held.strip().rstrip(".")
        return (f"HELD FOR STAFF APPROVAL, nothing was done. Internal reason, not for the "
                f"shopper: {reason}.\nPass the plain words below on to the shopper; do not "
                f"promise the outcome.\n{WORDS} {words}")
    if result.error is not None:
        problem = result.error.removeprefix("Error:").strip()
        if _argument_problem(name, args):
            return (f"Error: {problem}. Fix the call and call again; the shopper never sees "
                    "this.")
        return ("Error: REFUSED, nothing was done. Give the shopper the reason below in plain "
                f"words, and what the shopper can do instead.\n{REASON} {_sentence(problem)}")
    if result.output == DEFERRED:
        return ("SUBMITTED FOR STAFF APPROVAL, not done yet; staff approve it first. Pass the "
                "plain words below on to the shopper, and never tell the shopper it is done."
                f"\n{WORDS} {DEFERRED}")
    if result.handoff:
        return ("Transfer successful: the shop's team has the conversation now. Pass the plain "
                "words below on to the shopper, and ask the shopper nothing more.\n"
                f"{WORDS} {_TRANSFER_WORDS}")
    if name in WRITES:
        return f"DONE: the tool ran and the change is made; its result follows.\n{result.output}"
    return result.output or "ok"


def bad_arguments(problem: str) -> str:
    """The model's tool call could not be read (not JSON, not an object)."""
    return f"Error: {problem}. Fix the call and call again; the shopper never sees this."


def no_shop() -> str:
    """No commerce backend: the model answers from the help center."""
    return ("Error: no shop is connected, so no tool can run. Answer the shopper from the help "
            "center only.")


def confirmed_note(summary: str, tool: str, args: dict[str, Any]) -> str:
    """The shopper said yes to a pending action: the model repeats the call exactly."""
    return (f"The shopper confirmed: yes to the action summarised on the next line.\n"
            f"{SUMMARY} {summary}\nDo it now, with no new question to the shopper. Call {tool} "
            f"now with exactly these arguments: {json.dumps(args)}")


def declined_note(summary: str) -> str:
    """The shopper said no to a pending action."""
    return ("The shopper said no to the summary below. Do not do it, and do not ask the "
            f"shopper again unless the shopper brings it up.\n{SUMMARY} {summary}")


def rewrite_note(claims: list[str]) -> str:
    """The reply claimed actions no tool call backs: rewrite without them, or act first."""
    quoted = ", ".join(repr(c) for c in claims)
    return (f"{REWRITE_PREFIX} {quoted}, and no action backs that. Write the "
            "reply to the shopper again without that claim, or call the tool first.")


def filtered_note() -> str:
    """The reply spoke of internals; shopper_text left nothing worth sending."""
    return ("Rewrite needed: your reply quoted internals the shopper never sees (these notes, "
            "tool names, JSON, ids or errors). Write the reply to the shopper again in plain "
            "words.")


def internal_part(note: str) -> str:
    """The note without its words for the shopper and without raw tool data."""
    kept = [line for line in note.splitlines()
            if line.strip() and not _LABEL_LINE.match(line.strip()) and not _is_data(line)]
    return "\n".join(kept)


def shopper_part(note: str) -> str:
    """The labelled words of a note that the shopper may read, without the label."""
    for line in note.splitlines():
        found = _LABEL_LINE.match(line.strip())
        if found:
            return line.strip()[found.end():].strip()
    return ""


def _argument_problem(name: str, args: dict[str, Any]) -> bool:
    """True when the error is about the call itself, not a refusal meant for the shopper."""
    if name not in TOOL_NAMES or name in ("calculate", "think"):
        return True
    return check_args(getattr(ToolBox, name), args) is not None


def _is_data(line: str) -> bool:
    text = line.strip()
    if text == "ok":
        return True
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _sentence(text: str) -> str:
    """A refusal as the shopper reads it: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
