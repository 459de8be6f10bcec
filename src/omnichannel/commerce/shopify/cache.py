"""A small in-memory cache of orders, kept fresh by Shopify's webhooks.

Entries are Shopify's own GraphQL JSON for an order someone asked about, kept for
`cache_seconds`. A webhook (REST-shaped JSON) patches an entry in place: cancellation,
fulfillment status, shipping address and each fulfillment's tracking and delivery. What a
webhook cannot express faithfully (edited line items, new refunds) drops the entry instead,
so the next lookup reads Shopify again. Orders nobody asked about are not cached.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from omnichannel.commerce.shopify.convert import gid, nodes, tail, when

Raw = dict[str, Any]
SHIPMENT = {"delivered": "DELIVERED", "in_transit": "IN_TRANSIT",
            "out_for_delivery": "OUT_FOR_DELIVERY", "attempted_delivery": "ATTEMPTED_DELIVERY",
            "failure": "FAILURE", "confirmed": "CONFIRMED", "label_printed": "LABEL_PRINTED",
            "label_purchased": "LABEL_PURCHASED", "ready_for_pickup": "READY_FOR_PICKUP",
            "picked_up": "PICKED_UP"}
UNSHIPPED_FAMILY = {"UNFULFILLED", "OPEN", "SCHEDULED", "ON_HOLD", "REQUEST_DECLINED",
                    "PENDING_FULFILLMENT", "IN_PROGRESS"}


@dataclass
class _Slot:
    raw: Raw
    expires: float


class OrderCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic,
                 max_orders: int = 2000) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max = max_orders
        self._by_name: dict[str, _Slot] = {}
        self._names: dict[str, str] = {}  # numeric order id -> name

    def get(self, name: str) -> Raw | None:
        slot = self._by_name.get(name)
        if slot is None or slot.expires <= self._clock():
            return None
        return slot.raw

    def put(self, raw: Mapping[str, Any]) -> None:
        if self.ttl <= 0:
            return
        if len(self._by_name) >= self._max:
            now = self._clock()
            self._by_name = {k: s for k, s in self._by_name.items() if s.expires > now}
            while len(self._by_name) >= self._max:
                self._by_name.pop(next(iter(self._by_name)))
        name = str(raw["name"])
        self._by_name[name] = _Slot(copy.deepcopy(dict(raw)), self._clock() + self.ttl)
        self._names[tail(raw.get("id"))] = name

    def drop(self, name: str) -> None:
        self._by_name.pop(name, None)

    def _cached(self, order_id: object) -> Raw | None:
        name = self._names.get(str(order_id))
        return None if name is None else self.get(name)

    # --- webhooks ------------------------------------------------------------------------

    def apply_order(self, payload: Mapping[str, Any]) -> bool:
        """orders/updated (and orders/cancelled, orders/fulfilled): True if an entry changed."""
        raw = self._cached(payload.get("id"))
        if raw is None:
            return False
        mine, theirs = when(raw.get("updatedAt")), when(payload.get("updated_at"))
        if mine and theirs and theirs < mine:
            return False  # an older delivery arriving late
        if _lines(payload) != _lines_cached(raw) or _refunds(payload) != _refunds_cached(raw):
            self.drop(str(raw["name"]))
            return True
        raw["updatedAt"] = payload.get("updated_at") or raw.get("updatedAt")
        raw["cancelledAt"] = payload.get("cancelled_at")
        if payload.get("cancel_reason"):
            raw["cancelReason"] = str(payload["cancel_reason"]).upper()
        shipping = payload.get("fulfillment_status")
        if shipping is None:
            if raw.get("displayFulfillmentStatus") not in UNSHIPPED_FAMILY:
                raw["displayFulfillmentStatus"] = "UNFULFILLED"
        else:
            raw["displayFulfillmentStatus"] = {"partial": "PARTIALLY_FULFILLED"}.get(
                shipping, str(shipping).upper())
        if payload.get("shipping_address") is not None:
            raw["shippingAddress"] = _address(payload["shipping_address"],
                                              raw.get("shippingAddress") or {})
        for fulfillment in payload.get("fulfillments") or []:
            _merge_fulfillment(raw, fulfillment)
        self.put(raw)
        return True

    def apply_fulfillment(self, payload: Mapping[str, Any]) -> bool:
        """fulfillments/create and fulfillments/update."""
        raw = self._cached(payload.get("order_id"))
        if raw is None:
            return False
        _merge_fulfillment(raw, payload)
        if raw.get("displayFulfillmentStatus") != "RESTOCKED":
            raw["displayFulfillmentStatus"] = _fulfilled(raw)
        self.put(raw)
        return True


def _lines(payload: Mapping[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in payload.get("line_items") or []:
        qty = line.get("current_quantity", line.get("quantity"))
        out[str(line.get("id"))] = int(qty or 0)
    return {k: v for k, v in out.items() if v}


def _lines_cached(raw: Raw) -> dict[str, int]:
    out = {}
    for line in nodes(raw.get("lineItems")):
        qty = line.get("currentQuantity")
        out[tail(line.get("id"))] = int((line.get("quantity") if qty is None else qty) or 0)
    return {k: v for k, v in out.items() if v}


def _refunds(payload: Mapping[str, Any]) -> int:
    return sum(1 for r in payload.get("refunds") or [] for t in r.get("transactions") or []
               if t.get("kind") == "refund" and t.get("status") == "success")


def _refunds_cached(raw: Raw) -> int:
    return sum(1 for t in raw.get("transactions") or []
               if t.get("kind") == "REFUND" and t.get("status") == "SUCCESS")


def _address(rest: Mapping[str, Any], old: Mapping[str, Any]) -> Raw:
    out = dict(old)
    for key, field in (("address1", "address1"), ("address2", "address2"), ("city", "city"),
                       ("province", "province"), ("province_code", "provinceCode"),
                       ("country", "country"), ("country_code", "countryCodeV2"),
                       ("zip", "zip"), ("first_name", "firstName"),
                       ("last_name", "lastName"), ("phone", "phone"), ("company", "company")):
        if key in rest:
            out[field] = rest[key]
    return out


def _merge_fulfillment(raw: Raw, rest: Mapping[str, Any]) -> None:
    fid = rest.get("admin_graphql_api_id") or gid("Fulfillment", str(rest.get("id")))
    fulfillments: list[Raw] = raw.setdefault("fulfillments", [])
    old = next((f for f in fulfillments if f.get("id") == fid), None)
    new: Raw = dict(old or {"id": fid, "fulfillmentLineItems": {"nodes": [
        {"id": None, "quantity": int(li.get("quantity") or 0),
         "lineItem": {"id": gid("LineItem", str(li.get("id"))),
                      "variant": {"id": gid("ProductVariant", str(li.get("variant_id")))}}}
        for li in rest.get("line_items") or []]}})
    new["name"] = rest.get("name") or new.get("name")
    new["status"] = str(rest.get("status") or "success").upper()
    new["createdAt"] = rest.get("created_at") or new.get("createdAt")
    shipment = SHIPMENT.get(str(rest.get("shipment_status") or ""))
    new["displayStatus"] = shipment or new.get("displayStatus") or "FULFILLED"
    numbers = rest.get("tracking_numbers") or ([rest["tracking_number"]]
                                               if rest.get("tracking_number") else [])
    urls = rest.get("tracking_urls") or ([rest["tracking_url"]]
                                         if rest.get("tracking_url") else [])
    if numbers:
        new["trackingInfo"] = [
            {"company": rest.get("tracking_company"), "number": n,
             "url": urls[i] if i < len(urls) else None} for i, n in enumerate(numbers)]
    stamp = rest.get("updated_at")
    if shipment in ("IN_TRANSIT", "OUT_FOR_DELIVERY") and not new.get("inTransitAt"):
        new["inTransitAt"] = stamp
    if shipment in ("DELIVERED", "PICKED_UP") and not new.get("deliveredAt"):
        new["deliveredAt"] = stamp
    if old is None:
        fulfillments.append(new)
    else:
        fulfillments[fulfillments.index(old)] = new


def _fulfilled(raw: Raw) -> str:
    """FULFILLED when every unit is in a live fulfillment, else PARTIALLY_FULFILLED."""
    wanted = _lines_cached(raw)
    shipped: dict[str, int] = {}
    for f in raw.get("fulfillments") or []:
        if f.get("status") == "CANCELLED":
            continue
        for item in nodes(f.get("fulfillmentLineItems")):
            key = tail((item.get("lineItem") or {}).get("id"))
            shipped[key] = shipped.get(key, 0) + int(item.get("quantity") or 0)
    if not shipped:
        return str(raw.get("displayFulfillmentStatus") or "UNFULFILLED")
    done = all(shipped.get(k, 0) >= v for k, v in wanted.items())
    return "FULFILLED" if done else "PARTIALLY_FULFILLED"
