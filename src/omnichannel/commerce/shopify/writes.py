"""The Shopify backend's writes: each reads the order fresh, checks it, sends one mutation,
then reads the order again, because a success answer does not always mean the change was
made. Every write goes through `_write`, which keeps the idempotency ledger."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, is_dataclass
from typing import Any

from omnichannel.commerce.model import Address, Customer, Order, OrderStatus, Product, WriteResult
from omnichannel.commerce.protocol import CommerceError, InvalidRequest, NotEligible
from omnichannel.commerce.shopify import convert, queries
from omnichannel.commerce.shopify.cache import OrderCache
from omnichannel.commerce.shopify.client import GraphQLClient, Sleep
from omnichannel.commerce.shopify.convert import Raw, gid, nodes, tail
from omnichannel.commerce.shopify.errors import (
    NotApplied,
    ShopifyUnavailable,
    StillProcessing,
    UncertainWrite,
    check_user_errors,
)
from omnichannel.commerce.shopify.ledger import Entry, Ledger

log = logging.getLogger(__name__)
CANCEL_REASONS = ("no longer needed", "ordered by mistake")
EXCHANGES_SINCE = "2024-07"  # ReturnInput.exchangeLineItems
REFUND_METHOD_SINCE = "2025-07"  # orderCancel(refundMethod:) replaced refund: Boolean
NOTE = "Requested by the shopper through the support assistant."
_WHY = {
    OrderStatus.PENDING: "hasn't shipped or been delivered yet",
    OrderStatus.PROCESSED: "is already being packed for shipping",
    OrderStatus.SHIPPED: "has already shipped and isn't delivered yet",
    OrderStatus.DELIVERED: "has already been delivered",
    OrderStatus.CANCELLED: "has been cancelled",
    OrderStatus.RETURN_REQUESTED: "already has a return in progress",
    OrderStatus.EXCHANGE_REQUESTED: "already has an exchange in progress",
}
_COUNTRIES = {"us": "US", "usa": "US", "united states": "US", "united states of america": "US",
              "ca": "CA", "can": "CA", "canada": "CA", "uk": "GB", "gb": "GB",
              "united kingdom": "GB", "great britain": "GB", "au": "AU", "australia": "AU",
              "nz": "NZ", "new zealand": "NZ", "ie": "IE", "ireland": "IE", "de": "DE",
              "germany": "DE", "fr": "FR", "france": "FR", "mx": "MX", "mexico": "MX"}


def _refusal(order: Order, consequence: str) -> NotEligible:
    return NotEligible(f"Order {order.id} {_WHY.get(order.status, 'is ' + order.status.value)}"
                       f", so {consequence}.")


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else str(value)


def mailing(address: Address, keep: Raw | None = None) -> dict[str, Any]:
    """A MailingAddressInput; the recipient's name, company and phone are kept from `keep`."""
    code = _COUNTRIES.get(address.country.strip().lower())
    if code is None and len(address.country.strip()) == 2:
        code = address.country.strip().upper()
    if code is None:
        raise InvalidRequest("Please give the country as a name like 'United States' or a "
                             "two-letter code like 'US'.")
    if not all(p.strip() for p in (address.address1, address.city, address.zip)):
        raise InvalidRequest("Please give the street address, city and ZIP or postal code.")
    out: dict[str, Any] = {"address1": address.address1.strip(),
                           "address2": address.address2.strip(), "city": address.city.strip(),
                           "zip": address.zip.strip(), "countryCode": code}
    state = address.state.strip()
    if state:
        out["provinceCode" if len(state) <= 3 else "province"] = (
            state.upper() if len(state) <= 3 else state)
    for field in ("firstName", "lastName", "company", "phone"):
        value = (keep or {}).get(field)
        if value:
            out[field] = value
    return out


def _same_place(raw: Raw | None, wanted: dict[str, Any]) -> bool:
    """Whether Shopify's address is the one asked for (case, spacing and ZIP format aside)."""
    def norm(v: Any) -> str:
        return " ".join(str(v or "").lower().replace("-", " ").split())
    have = raw or {}
    if any(norm(have.get(k)) != norm(wanted.get(k)) for k in ("address1", "city")):
        return False
    if norm(have.get("zip")).replace(" ", "") != norm(wanted.get("zip")).replace(" ", ""):
        return False
    if "provinceCode" in wanted and norm(have.get("provinceCode")) != norm(
            wanted["provinceCode"]):
        return False
    return norm(have.get("countryCodeV2") or wanted["countryCode"]) == norm(
        wanted["countryCode"])


class Writes:
    """The write half of ShopifyCommerce (backend.py), which provides these reads."""

    client: GraphQLClient
    ledger: Ledger
    cache: OrderCache
    api_version: str
    returns_autonomous: bool
    job_timeout: float
    _sleep: Sleep
    _clock: Callable[[], float]
    _locks: dict[str, asyncio.Lock]

    async def _order_raw(self, order_id: str, *, fresh: bool = False) -> Raw:
        raise NotImplementedError

    async def _customer_raw(self, customer_id: str) -> Raw:
        raise NotImplementedError

    async def get_customer(self, customer_id: str) -> Customer:
        raise NotImplementedError

    async def get_product(self, product_id: str) -> Product:
        raise NotImplementedError

    def _forget_customer(self, customer_id: str) -> None:
        raise NotImplementedError

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def _write(self, op: str, key: str, args: tuple[Any, ...],
                     run: Callable[[str], Awaitable[WriteResult]],
                     resume: Callable[[str, Entry], Awaitable[WriteResult]] | None = None,
                     ) -> WriteResult:
        fingerprint = hashlib.sha256(json.dumps([op, args], default=_plain,
                                                sort_keys=True).encode()).hexdigest()
        async with self._lock(key):
            seen = self.ledger.begin(key, op, fingerprint)
            if seen is not None:
                if seen.state in ("done", "applied"):
                    return await self._replay(seen)
                if resume is not None:
                    return await resume(key, seen)
                raise UncertainWrite("An earlier attempt at this change was interrupted, so I "
                                     "can't tell whether it went through. A person from the "
                                     "team needs to check before it is tried again.")
            try:
                result = await run(key)
            except ShopifyUnavailable as exc:
                state = self._state(key)
                if state == "started" and not exc.uncertain:
                    self.ledger.forget(key)  # a read failed before anything was sent
                    raise
                if state in ("applied", "sent"):
                    raise ShopifyUnavailable("The shop accepted the change, but I couldn't "
                                             "read the order back just now; ask me again in "
                                             "a moment.") from exc
                raise UncertainWrite("I couldn't confirm with the shop whether that change "
                                     "went through; a person from the team needs to check "
                                     "it.") from exc
            except CommerceError:
                if self._state(key) == "started":
                    self.ledger.forget(key)  # refused before or by Shopify: nothing changed
                raise
            self.ledger.finish(key, order=result.order.id if result.order else None,
                               customer=result.customer.id if result.customer else None,
                               detail=result.detail)
            return result

    def _state(self, key: str) -> str | None:
        entry = self.ledger.get(key)
        return None if entry is None else entry.state

    def _applied(self, key: str, *, order: str | None = None,
                 customer: str | None = None) -> None:
        """Shopify accepted the mutation: from now on the key replays instead of resending."""
        self.ledger.note(key, state="applied", order=order, customer=customer)

    async def _replay(self, entry: Entry) -> WriteResult:
        order = None if entry.order is None else convert.order(
            await self._order_raw(entry.order, fresh=True))
        customer = None if entry.customer is None else await self.get_customer(entry.customer)
        return WriteResult(order, customer, replayed=True, detail=entry.detail)

    async def _fresh(self, order_id: str) -> tuple[Raw, Order]:
        raw = await self._order_raw(order_id, fresh=True)
        return raw, convert.order(raw)

    async def _reread(self, name: str) -> tuple[Raw, Order]:
        self.cache.drop(name)
        return await self._fresh(name)

    # --- cancel ---------------------------------------------------------------------------

    async def cancel_order(self, order_id: str, reason: str, *,
                           key: str) -> WriteResult:
        async def run(key: str) -> WriteResult:
            why = reason.strip().lower()
            raw, order = await self._fresh(order_id)
            if order.status is not OrderStatus.PENDING:
                raise _refusal(order, "it can't be cancelled")
            if why not in CANCEL_REASONS:
                raise InvalidRequest("The reason must be 'no longer needed' or 'ordered by "
                                     "mistake'.")
            variables: dict[str, Any] = {
                "orderId": raw["id"], "reason": "CUSTOMER", "restock": True,
                "notifyCustomer": True, "staffNote": f"Cancelled through the support "
                                                     f"assistant: {why}."}
            document = queries.ORDER_CANCEL
            if self.api_version >= REFUND_METHOD_SINCE:
                variables["refundMethod"] = {"originalPaymentMethodsRefund": True}
            else:
                variables["refund"], document = True, queries.ORDER_CANCEL_LEGACY
            answer = await self.client.write("OrderCancel", document, variables)
            payload = check_user_errors(f"cancel order {order.id}", answer.data.get(
                "orderCancel"), "orderCancelUserErrors", "userErrors")
            job = (payload.get("job") or {}).get("id")
            self.ledger.note(key, state="sent", order=order.id, job=job)
            return await self._finish_cancel(key, order.id, job)

        async def resume(key: str, entry: Entry) -> WriteResult:
            if entry.order is None:
                raise UncertainWrite("An earlier attempt to cancel this order was interrupted; "
                                     "a person from the team needs to check it.")
            return await self._finish_cancel(key, entry.order, entry.job)

        return await self._write("cancel_order", key, (order_id, reason), run, resume)

    async def _finish_cancel(self, key: str, name: str,
                             job: str | None) -> WriteResult:
        """Poll orderCancel's job until done (or job_timeout), then check the order."""
        if job is not None:
            deadline, pause = self._clock() + self.job_timeout, 0.25
            while True:
                answer = await self.client.read("Job", queries.JOB, {"id": job})
                if (answer.data.get("job") or {}).get("done"):
                    break
                if self._clock() >= deadline:
                    log.warning("shopify cancellation job still running", extra={"job": job})
                    raise StillProcessing(f"Shopify is still processing the cancellation of "
                                          f"order {name}; ask me again in a minute to confirm.")
                await self._sleep(pause)
                pause = min(pause * 2, 2.0)
        _raw, order = await self._reread(name)
        if order.status is not OrderStatus.CANCELLED:
            self.ledger.forget(key)
            raise NotApplied(f"Shopify finished the cancellation job, but order {name} still "
                             "shows as not cancelled, so nothing was cancelled. The team can "
                             "look at why.")
        detail = f"Order {name} cancelled; the refund goes back to the original payment " \
                 "method within 5-10 business days."
        self.ledger.finish(key, order=name, detail=detail)
        return WriteResult(order, detail=detail)

    # --- address --------------------------------------------------------------------------

    async def modify_order_address(self, order_id: str, address: Address,
                                   *, key: str) -> WriteResult:
        async def run(key: str) -> WriteResult:
            raw, order = await self._fresh(order_id)
            if order.status is not OrderStatus.PENDING:
                raise _refusal(order, "its address can't be changed")
            wanted = mailing(address, raw.get("shippingAddress"))
            answer = await self.client.write("OrderUpdate", queries.ORDER_UPDATE, {
                "input": {"id": raw["id"], "shippingAddress": wanted}})
            check_user_errors(f"change the address of order {order.id}",
                              answer.data.get("orderUpdate"))
            self._applied(key, order=order.id)
            raw, order = await self._reread(order.id)
            if not _same_place(raw.get("shippingAddress"), wanted):
                self.ledger.forget(key)
                log.warning("shopify orderUpdate reported success but the address is unchanged",
                            extra={"order": order.id})
                raise NotApplied(f"Shopify accepted the new address, but order {order.id} "
                                 f"still shows {order.address.one_line()}, so the change did "
                                 "not go through. The team can update it by hand.")
            return WriteResult(order, detail=f"Order {order.id} will ship to "
                               f"{order.address.one_line()}.")
        return await self._write("modify_order_address", key, (order_id, address), run)

    async def update_default_address(self, customer_id: str,
                                     address: Address, *, key: str) -> WriteResult:
        async def run(key: str) -> WriteResult:
            raw = await self._customer_raw(customer_id.strip())
            current = raw.get("defaultAddress")
            keep = current or {"firstName": raw.get("firstName"),
                               "lastName": raw.get("lastName")}
            wanted = mailing(address, keep)
            action = "change your default address"
            if current is not None:
                answer = await self.client.write("CustomerAddressUpdate",
                                                 queries.CUSTOMER_ADDRESS_UPDATE, {
                    "customerId": raw["id"], "addressId": current["id"], "address": wanted})
                check_user_errors(action, answer.data.get("customerAddressUpdate"))
            else:
                answer = await self.client.write("CustomerAddressCreate",
                                                 queries.CUSTOMER_ADDRESS_CREATE, {
                    "customerId": raw["id"], "address": wanted})
                check_user_errors(action, answer.data.get("customerAddressCreate"))
            cid = tail(raw["id"])
            self._applied(key, customer=cid)
            self._forget_customer(cid)
            fresh = await self._customer_raw(cid)
            if not _same_place(fresh.get("defaultAddress"), wanted):
                self.ledger.forget(key)
                raise NotApplied("Shopify accepted the new default address, but the account "
                                 "still shows the old one, so the change did not go through.")
            customer = convert.customer(fresh)
            return WriteResult(customer=customer, detail=f"Default address is now "
                               f"{customer.address.one_line()}.")
        return await self._write("update_default_address", key, (customer_id, address), run)

    # --- payment and items -----------------------------------------------------------------

    async def modify_order_payment(self, order_id: str,
                                   payment_method_id: str, *, key: str) -> WriteResult:
        _raw, order = await self._fresh(order_id)
        raise NotEligible(f"Shopify doesn't let us switch how order {order.id} was paid. If it "
                          "needs a different payment method, the team can cancel it or send a "
                          "new invoice.")

    async def modify_order_items(self, order_id: str, item_ids: list[str],
                                 new_item_ids: list[str], payment_method_id: str, *,
                                 key: str) -> WriteResult:
        _raw, order = await self._fresh(order_id)
        if order.status is not OrderStatus.PENDING:
            raise _refusal(order, "its items can't be changed")
        raise NotEligible(f"Changing the items of order {order.id} needs the shop's team (a "
                          "Shopify order edit with a new invoice or refund); I can hand this "
                          "over to them, or cancel the order if you'd rather reorder.")

    # --- returns, exchanges, refunds ---------------------------------------------------------

    def _check_refund_method(self, raw: Raw, order: Order,
                             method_id: str) -> None:
        paid = {convert.payment_method(t).id: convert.payment_method(t)
                for t in convert.paid_transactions(raw.get("transactions") or [])}
        if method_id.strip() not in paid:
            names = ", ".join(m.label() for m in paid.values()) or "the original payment"
            raise InvalidRequest(f"Shopify refunds order {order.id} to the way it was paid "
                                 f"({names}), not to another payment method.")

    def _return_lines(self, raw: Raw, order: Order,
                      item_ids: list[str]) -> list[dict[str, Any]]:
        """Fulfillment line items covering the item ids (one unit per id)."""
        if not item_ids:
            raise InvalidRequest("Please say which items to return.")
        free: list[list[Any]] = []  # [fulfillment line item id, variant id, units left]
        for f in raw.get("fulfillments") or []:
            if f.get("status") == "CANCELLED":
                continue
            for fli in nodes(f.get("fulfillmentLineItems")):
                variant = tail(((fli.get("lineItem") or {}).get("variant") or {}).get("id"))
                free.append([fli["id"], variant, int(fli.get("quantity") or 0)])
        taken: Counter[str] = Counter()
        for item_id in item_ids:
            slot = next((s for s in free if s[1] == item_id.strip() and s[2] > 0), None)
            if slot is None:
                raise InvalidRequest(f"Item {item_id} isn't among the shipped items of order "
                                     f"{order.id}.")
            slot[2] -= 1
            taken[slot[0]] += 1
        return [{"fulfillmentLineItemId": fli, "quantity": n} for fli, n in taken.items()]

    async def _open_return(self, raw: Raw, order: Order,
                           lines: list[dict[str, Any]], exchange: list[dict[str, Any]],
                           what: str) -> None:
        if self.returns_autonomous:
            answer = await self.client.write("ReturnCreate", queries.RETURN_CREATE, {
                "returnInput": {"orderId": raw["id"], "returnLineItems": [
                    {**line, "returnReason": "OTHER", "returnReasonNote": NOTE}
                    for line in lines], **({"exchangeLineItems": exchange} if exchange else {})}})
            check_user_errors(f"create the {what} for order {order.id}",
                              answer.data.get("returnCreate"))
        else:
            note = NOTE if not exchange else (NOTE + " Wants in exchange: " + "; ".join(
                e["label"] for e in exchange))[:300]
            answer = await self.client.write("ReturnRequest", queries.RETURN_REQUEST, {
                "input": {"orderId": raw["id"], "returnLineItems": [
                    {**line, "returnReason": "OTHER", "customerNote": note}
                    for line in lines]}})
            check_user_errors(f"request the {what} for order {order.id}",
                              answer.data.get("returnRequest"))

    async def return_items(self, order_id: str, item_ids: list[str],
                           payment_method_id: str, *, key: str) -> WriteResult:
        async def run(key: str) -> WriteResult:
            raw, order = await self._fresh(order_id)
            if order.status is not OrderStatus.DELIVERED:
                raise _refusal(order, "items can't be returned")
            self._check_refund_method(raw, order, payment_method_id)
            lines = self._return_lines(raw, order, item_ids)
            await self._open_return(raw, order, lines, [], "return")
            self._applied(key, order=order.id)
            _raw, order = await self._reread(order.id)
            detail = (f"Return opened for {len(item_ids)} item(s) from order {order.id}; "
                      "the refund goes to the original payment method once they arrive."
                      if self.returns_autonomous else
                      f"Return requested for {len(item_ids)} item(s) from order {order.id}. "
                      "The shop reviews it and emails the return instructions; the refund "
                      "goes to the original payment method once the items arrive.")
            return WriteResult(order, detail=detail)
        return await self._write("return_items", key, (order_id, item_ids, payment_method_id),
                                 run)

    async def exchange_items(self, order_id: str, item_ids: list[str],
                             new_item_ids: list[str], payment_method_id: str, *,
                             key: str) -> WriteResult:
        async def run(key: str) -> WriteResult:
            raw, order = await self._fresh(order_id)
            if order.status is not OrderStatus.DELIVERED:
                raise _refusal(order, "items can't be exchanged")
            if self.returns_autonomous and self.api_version < EXCHANGES_SINCE:
                raise NotEligible(f"Exchanges through Shopify's returns need Admin API "
                                  f"{EXCHANGES_SINCE} or later (this shop uses "
                                  f"{self.api_version}); the team can arrange it by hand.")
            if not item_ids or len(item_ids) != len(new_item_ids):
                raise InvalidRequest("Please list each item to exchange with the option it "
                                     "should change to.")
            self._check_refund_method(raw, order, payment_method_id)
            lines = self._return_lines(raw, order, item_ids)
            exchange = await self._exchange_lines(order, item_ids, new_item_ids)
            await self._open_return(raw, order, lines, exchange, "exchange")
            self._applied(key, order=order.id)
            _raw, order = await self._reread(order.id)
            detail = (f"Exchange opened for order {order.id}; Shopify settles any price "
                      "difference with the original payment method." if self.returns_autonomous
                      else f"Exchange requested for order {order.id}: the shop reviews it in "
                      "Shopify and emails the return instructions.")
            return WriteResult(order, detail=detail)
        return await self._write("exchange_items", key,
                                 (order_id, item_ids, new_item_ids, payment_method_id), run)

    async def _exchange_lines(self, order: Order, item_ids: list[str],
                              new_item_ids: list[str]) -> list[dict[str, Any]]:
        items = {i.item_id: i for i in order.items}
        wanted: Counter[str] = Counter()
        labels: dict[str, str] = {}
        for old_id, new_id in zip(item_ids, new_item_ids, strict=True):
            old = items.get(old_id.strip())
            if old is None:
                raise InvalidRequest(f"Item {old_id} isn't in order {order.id}.")
            product = await self.get_product(old.product_id)
            variant = product.variant(new_id.strip())
            if variant is None:
                raise InvalidRequest(f"Item {new_id} is not an option of {old.name}; it can "
                                     "only be exchanged for another option of the same product.")
            options = ", ".join(f"{k} {v}" for k, v in variant.options)
            if not variant.available:
                raise InvalidRequest(f"{old.name} ({options}) is sold out.")
            wanted[variant.item_id] += 1
            labels[variant.item_id] = f"{product.name} ({options}, variant {variant.item_id})"
        if self.returns_autonomous:
            return [{"variantId": gid("ProductVariant", v), "quantity": n}
                    for v, n in wanted.items()]
        return [{"label": f"{n} x {labels[v]}"} for v, n in wanted.items()]

    async def refund(self, order_id: str, amount: float,
                     payment_method_id: str, *, key: str) -> WriteResult:
        async def run(key: str) -> WriteResult:
            value = round(float(amount), 2)
            if not value > 0:
                raise InvalidRequest("A refund must be a positive amount.")
            raw, order = await self._fresh(order_id)
            self._check_refund_method(raw, order, payment_method_id)
            txs = raw.get("transactions") or []
            refunded: Counter[str] = Counter()
            for t in txs:
                if t.get("kind") == "REFUND" and t.get("status") == "SUCCESS":
                    refunded[(t.get("parentTransaction") or {}).get("id") or ""] += round(
                        convert.money(t.get("amountSet")) * 100)
            plan, left = [], round(value * 100)
            for t in convert.paid_transactions(txs):
                if t.get("kind") not in convert.PAID_KINDS or convert.payment_method(
                        t).id != payment_method_id.strip():
                    continue
                room = round(convert.money(t.get("amountSet")) * 100) - refunded[t["id"]]
                take = min(room, left)
                if take > 0:
                    plan.append({"orderId": raw["id"], "parentId": t["id"],
                                 "gateway": t.get("gateway"), "kind": "REFUND",
                                 "amount": f"{take / 100:.2f}"})
                    left -= take
            if left > 0:
                most = value - left / 100
                raise InvalidRequest(f"We can refund at most {_money(most)} to that payment "
                                     f"method on order {order.id}.")
            answer = await self.client.write("RefundCreate", queries.REFUND_CREATE, {
                "input": {"orderId": raw["id"], "notify": True, "transactions": plan,
                          "note": "Refund through the support assistant."}})
            check_user_errors(f"refund order {order.id}", answer.data.get("refundCreate"))
            self._applied(key, order=order.id)
            _raw, order = await self._reread(order.id)
            method = convert.payment_method(next(
                t for t in txs if t.get("id") == plan[0]["parentId"]))
            return WriteResult(order, detail=f"Refunded {_money(value)} to {method.label()}; "
                               "it shows up within 5-10 business days.")
        return await self._write("refund", key, (order_id, amount, payment_method_id), run)
