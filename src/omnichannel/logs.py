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
_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")
# Keys whose values are message bodies or contact details.
_PRIVATE = {"text", "body", "email", "phone", "name"}


def redact(value: str) -> str:
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", value))


class RedactionFilter(logging.Filter):
    """Drops private fields above DEBUG and masks emails and phone numbers everywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in (_PRIVATE & set(vars(record))) - _RESERVED:
            if record.levelno > logging.DEBUG:
                setattr(record, key, "[redacted]")
            elif isinstance(getattr(record, key), str):
                setattr(record, key, redact(getattr(record, key)))
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
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
            out["exc"] = self.formatException(record.exc_info)
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
