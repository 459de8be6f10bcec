"""Logging: JSON lines carrying the conversation id; personal data only at DEBUG, redacted."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time

conversation_var: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "conversation_id", default=None
)

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_CARD = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w.])")
# Not a decimal: "1795361891.917" (a timestamp) or "129.99" are figures, not phones.
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d\s()-]{7,}\d(?![\w.])")
# Credentials that end up in URLs and error texts: Slack, Telegram bot, OpenAI-style and
# Meta tokens, bearer headers, Twilio account sids and long hex / base64 secrets.
_TOKEN = re.compile(
    r"xox[abprs]-[\w-]+|xapp-[\w-]+|\b\d{6,12}:[\w-]{30,}|\b(?:sk|pk|rk)-[\w-]{16,}"
    r"|\bEAA[\w]{20,}|Bearer\s+[\w.~+/=-]+|\bAC[0-9a-f]{32}\b|\b[0-9a-f]{40,}\b"
    r"|\b[A-Za-z0-9+/_-]{48,}={0,2}")
# Keys whose values are message bodies or contact details.
_PRIVATE = {"text", "body", "email", "phone", "name"}


def redact(value: str) -> str:
    """Mask tokens, emails, card-like numbers and phone numbers (in that order)."""
    value = _TOKEN.sub("[token]", value)
    value = _EMAIL.sub("[email]", value)
    value = _CARD.sub("[card]", value)
    return _PHONE.sub("[phone]", value)


class RedactionFilter(logging.Filter):
    """Drops private fields above DEBUG and masks emails and phone numbers everywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in set(vars(record)) - _RESERVED:
            value = getattr(record, key)
            if key in _PRIVATE and record.levelno > logging.DEBUG:
                setattr(record, key, "[redacted]")
            elif isinstance(value, str):
                setattr(record, key, redact(value))
        if record.args:  # "%s" arguments: formatted into the message later
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        conv = conversation_var.get()
        if conv is not None:
            out["conversation_id"] = conv
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            out["exc"] = redact(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        conv = conversation_var.get()
        extra = " ".join(
            f"{k}={v}" for k, v in vars(record).items()
            if k not in _RESERVED and not k.startswith("_")
        )
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if conv is not None:
            line += f" conversation={conv}"
        if extra:
            line += f" {extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactionFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
