"""Typed errors of the Shopify backend, all CommerceError, so the tool layer shows their text.

Two families: the connection (unavailable, access denied, a query Shopify rejected) and the
shop's answer to a write (`userErrors`, or a success that did not take effect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omnichannel.commerce.protocol import (
    CommerceError,
    InvalidRequest,
    NeedsPerson,
    NotEligible,
    NotFound,
)


class ShopifyError(CommerceError):
    """The connection to Shopify failed; nothing about the shopper's request is wrong."""


class ShopifyUnavailable(ShopifyError):
    """Network, timeout or HTTP 5xx after retries. `uncertain`: a write may have happened."""

    def __init__(self, message: str, *, uncertain: bool = False) -> None:
        super().__init__(message)
        self.uncertain = uncertain


class ShopifyAccessDenied(ShopifyError):
    """The token was refused, or lacks a scope (see docs/shopify.md for what each enables)."""


class ShopifyQueryError(ShopifyError):
    """Shopify rejected the query itself (a version mismatch or a bug on our side)."""


class UserError:
    """What Shopify said in `userErrors`: message, the input field path and a code."""

    field: tuple[str, ...] = ()
    code: str | None = None

    def _explain(self, action: str, error: Mapping[str, Any]) -> str:
        self.field = tuple(str(f) for f in error.get("field") or ())
        self.code = error.get("code")
        message = str(error.get("message") or "no reason given").rstrip(".")
        where = ", ".join(p for p in (
            f"field {'.'.join(self.field)}" if self.field else "",
            f"code {self.code}" if self.code else "") if p)
        return f"Shopify refused to {action}: {message}" + (f" ({where})." if where else ".")


class ShopifyRefused(UserError, InvalidRequest):
    def __init__(self, action: str, error: Mapping[str, Any]) -> None:
        InvalidRequest.__init__(self, self._explain(action, error))


class ShopifyNotEligible(UserError, NotEligible):
    def __init__(self, action: str, error: Mapping[str, Any]) -> None:
        NotEligible.__init__(self, self._explain(action, error))


class ShopifyNotFound(UserError, NotFound):
    def __init__(self, action: str, error: Mapping[str, Any]) -> None:
        NotFound.__init__(self, self._explain(action, error))


class NotApplied(NeedsPerson):
    """Shopify answered success but a re-read shows the change is not there."""


class StillProcessing(NeedsPerson):
    """An asynchronous job (a cancellation) did not finish in time; asking again resumes it."""


class UncertainWrite(NeedsPerson):
    """An earlier attempt with this key was interrupted; staff must check before retrying."""


_NOT_FOUND = {"NOT_FOUND", "ORDER_NOT_FOUND", "CUSTOMER_DOES_NOT_EXIST"}
_NOT_ELIGIBLE = {"INVALID_STATE", "NOT_EDITABLE", "FEATURE_NOT_ENABLED", "ALREADY_EXISTS",
                 "ORDER_ALREADY_CANCELLED", "NO_REFUND_PERMISSION"}


def user_error(action: str, errors: Sequence[Mapping[str, Any]]) -> CommerceError:
    """The first userError as a typed error (`action` reads "cancel order #1001")."""
    first = errors[0]
    code = str(first.get("code") or "").upper()
    if code in _NOT_FOUND:
        return ShopifyNotFound(action, first)
    if code in _NOT_ELIGIBLE:
        return ShopifyNotEligible(action, first)
    return ShopifyRefused(action, first)


def check_user_errors(action: str, payload: Mapping[str, Any] | None,
                      *keys: str) -> Mapping[str, Any]:
    """The mutation payload, or its first error raised (keys: "userErrors" and the like)."""
    if payload is None:
        raise NotApplied(f"Shopify returned nothing when asked to {action}.")
    for key in keys or ("userErrors",):
        errors = payload.get(key) or []
        if errors:
            raise user_error(action, errors)
    return payload
