"""The widget's own words (buttons, placeholders, status lines) in the conversation's language.

widget.js ships English defaults and takes these from the server: with the session, with the
history frame, and with a reply whenever the conversation's language changed.
"""

from __future__ import annotations

import omnichannel.i18n as i18n

_ = i18n.translator("widget")
# The brand's defaults: a merchant who wrote their own text gets it as written.
DEFAULT_PERSON_LABEL = "Talk to a person"


def language(hint: str | None, conversation: str | None = None) -> str:
    """The conversation's language once known, else the browser's when shipped, else English."""
    return i18n.normalize(conversation) or i18n.normalize(hint) or i18n.DEFAULT


def labels(lang: str, person_label: str = DEFAULT_PERSON_LABEL,
           greeting: str | None = None) -> dict[str, str]:
    """Every label widget.js shows, in `lang` ({name} is filled in by the widget), and the
    shop's greeting in that language when it has one."""
    with i18n.using(lang):
        return {**({"greeting": greeting} if greeting else {}),
            "open": _("Open chat"),
            "close": _("Close chat"),
            "panel": _("{name} chat"),
            "staff_banner": _("You're chatting with our team"),
            "log": _("Conversation"),
            "input": _("Type your message"),
            "placeholder": _("Type your message…"),
            "send": _("Send message"),
            "person": _("Talk to a person") if person_label == DEFAULT_PERSON_LABEL
            else person_label,
            "team": _("{name} team"),
            "support_team": _("Support team"),
            "sending": _("Sending…"),
            "sent": _("✓ Sent"),
            "not_sent": _("Not sent"),
            "suggested": _("Suggested replies"),
            "typing": _("{name} is typing…"),
            "staff_typing": _("Someone from our team is typing…"),
            "error": _("Something went wrong. Please try again."),
            "connecting": _("Connecting…"),
            "reconnecting": _("Reconnecting…"),
        }


def error(code: str, lang: str, limit: int = 0, length: int = 0) -> str:
    """What the shopper reads when the server refuses a message."""
    with i18n.using(lang):
        if code == "too_long":
            return _("message is too long ({length} characters, the limit is {limit})").format(
                length=length, limit=limit)
        if code == "rate_limited":
            return _("you're sending messages too fast, please wait a moment")
        if code == "unavailable":
            return _("we couldn't save your message; it will be re-sent")
        if code == "empty":
            return _("message text is empty")
        return _("Something went wrong. Please try again.")
