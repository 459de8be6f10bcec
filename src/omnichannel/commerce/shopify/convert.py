"""Shopify's GraphQL objects -> the shop model (Order, Customer, Product, Promo).

Ids: customers, products and variants are known by the number at the end of their GID
("gid://shopify/Customer/7001" -> "7001"); orders by their name ("#1001"), which is what the
shopper sees on the receipt. Each unit of a line item becomes one OrderItem, as the model
counts items one by one. Fields Shopify withholds (protected customer data) arrive as null
and become empty strings, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from omnichannel.commerce.model import (
    Address,
    Customer,
    Fulfillment,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Product,
    Promo,
    Variant,
)

Raw = Mapping[str, Any]
UNSHIPPED = {"UNFULFILLED", "OPEN", "SCHEDULED", "ON_HOLD", "REQUEST_DECLINED"}
PACKING = {"PENDING_FULFILLMENT", "IN_PROGRESS"}
RETURNING = {"RETURN_REQUESTED", "IN_PROGRESS", "INSPECTION_COMPLETE", "RETURNED"}
OPEN_RETURNS = {"REQUESTED", "OPEN"}
ARRIVED = {"DELIVERED", "PICKED_UP"}
PAID_KINDS = {"SALE", "CAPTURE"}


def gid(kind: str, value: str) -> str:
    value = value.strip()
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


def tail(value: str | None) -> str:
    """The number at the end of a GID (query strings such as "?model_name=" dropped)."""
    return (value or "").rsplit("/", 1)[-1].split("?", 1)[0]


def nodes(connection: Raw | None) -> list[Raw]:
    return list((connection or {}).get("nodes") or [])


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def money(value: Raw | None) -> float:
    shop = (value or {}).get("shopMoney") or value or {}
    return round(float(shop.get("amount") or 0.0), 2)


def address(raw: Raw | None) -> Address:
    a = raw or {}
    return Address(a.get("address1") or "", a.get("address2") or "", a.get("city") or "",
                   a.get("provinceCode") or a.get("province") or "", a.get("country") or "",
                   a.get("zip") or "")


def _options(raw: Raw | None) -> tuple[tuple[str, str], ...]:
    options = tuple((str(o["name"]), str(o["value"]))
                    for o in (raw or {}).get("selectedOptions") or [])
    # Shopify's single-variant products carry one option "Title: Default Title".
    return () if options == (("Title", "Default Title"),) else options


# --- payments -------------------------------------------------------------------------------

def payment_method(tx: Raw) -> PaymentMethod:
    """A payment method named after what paid: "credit_card_4242", "paypal", "gift_card"."""
    gateway = str(tx.get("gateway") or "manual").lower()
    details = tx.get("paymentDetails") or {}
    last_four = "".join(ch for ch in str(details.get("number") or "") if ch.isdigit())[-4:]
    if "gift_card" in gateway:
        return PaymentMethod("gift_card", PaymentSource.GIFT_CARD)
    if "paypal" in gateway:
        return PaymentMethod("paypal", PaymentSource.PAYPAL)
    if last_four:
        return PaymentMethod(f"credit_card_{last_four}", PaymentSource.CREDIT_CARD,
                             (details.get("company") or "card").lower(), last_four)
    return PaymentMethod(gateway.replace(" ", "_"), PaymentSource.CREDIT_CARD, gateway, "")


def paid_transactions(transactions: Sequence[Raw]) -> list[Raw]:
    """Successful captures and sales, plus authorizations not (yet) captured."""
    ok = [t for t in transactions if t.get("status") == "SUCCESS"]
    captured = {(t.get("parentTransaction") or {}).get("id") for t in ok
                if t.get("kind") == "CAPTURE"}
    return [t for t in ok if t.get("kind") in PAID_KINDS or (
        t.get("kind") == "AUTHORIZATION" and t.get("id") not in captured)]


def payments(transactions: Sequence[Raw]) -> tuple[Payment, ...]:
    by_id = {t.get("id"): t for t in transactions}
    out = [Payment("payment", money(t.get("amountSet")), payment_method(t).id)
           for t in paid_transactions(transactions)]
    for t in transactions:
        if t.get("kind") == "REFUND" and t.get("status") == "SUCCESS":
            parent = by_id.get((t.get("parentTransaction") or {}).get("id"), t)
            out.append(Payment("refund", money(t.get("amountSet")), payment_method(parent).id))
    return tuple(out)


# --- orders ---------------------------------------------------------------------------------

def status(raw: Raw) -> OrderStatus:
    """Shopify's order state in the model's words (docs/shopify.md has the table)."""
    if raw.get("cancelledAt"):
        return OrderStatus.CANCELLED
    returns = [r for r in nodes(raw.get("returns")) if r.get("status") in OPEN_RETURNS]
    if any(nodes(r.get("exchangeLineItems")) for r in returns):
        return OrderStatus.EXCHANGE_REQUESTED
    if raw.get("returnStatus") in RETURNING or returns:
        return OrderStatus.RETURN_REQUESTED
    shipping = raw.get("displayFulfillmentStatus") or "UNFULFILLED"
    if shipping in UNSHIPPED:
        return OrderStatus.PENDING
    if shipping in PACKING:
        return OrderStatus.PROCESSED
    if shipping == "RESTOCKED":
        return OrderStatus.CANCELLED
    live = [f for f in raw.get("fulfillments") or [] if f.get("status") != "CANCELLED"]
    if shipping == "FULFILLED" and live and all(
            f.get("deliveredAt") or f.get("displayStatus") in ARRIVED for f in live):
        return OrderStatus.DELIVERED
    return OrderStatus.SHIPPED


def _fulfillment(raw: Raw) -> Fulfillment:
    tracking = raw.get("trackingInfo") or []
    items = tuple(tail(((f.get("lineItem") or {}).get("variant") or {}).get("id"))
                  for f in nodes(raw.get("fulfillmentLineItems"))
                  for _ in range(int(f.get("quantity") or 0)))
    delivered = when(raw.get("deliveredAt"))
    return Fulfillment(
        tuple(str(t["number"]) for t in tracking if t.get("number")), items,
        next((t["company"] for t in tracking if t.get("company")), None),
        next((t["url"] for t in tracking if t.get("url")), None),
        when(raw.get("inTransitAt")) or when(raw.get("createdAt")),
        when(raw.get("estimatedDeliveryAt")), delivered)


def order_items(raw: Raw) -> tuple[OrderItem, ...]:
    items = []
    for line in nodes(raw.get("lineItems")):
        variant = line.get("variant") or {}
        count = line.get("currentQuantity")
        for _ in range(int((line.get("quantity") if count is None else count) or 0)):
            items.append(OrderItem(
                str(line.get("title") or line.get("name") or "item"),
                tail((line.get("product") or {}).get("id")), tail(variant.get("id")),
                money(line.get("discountedUnitPriceAfterAllDiscountsSet")), _options(variant)))
    return tuple(items)


def order(raw: Raw) -> Order:
    return Order(
        id=str(raw["name"]), customer_id=tail((raw.get("customer") or {}).get("id")),
        address=address(raw.get("shippingAddress")), items=order_items(raw),
        fulfillments=tuple(_fulfillment(f) for f in raw.get("fulfillments") or []
                           if f.get("status") != "CANCELLED"),
        status=status(raw), payment_history=payments(raw.get("transactions") or []),
        created_at=when(raw.get("createdAt")),
        cancel_reason=(raw.get("cancelReason") or "").lower() or None)


# --- customers, products, promos ---------------------------------------------------------------

def customer(raw: Raw) -> Customer:
    methods: dict[str, PaymentMethod] = {}
    names = []
    for o in nodes(raw.get("orders")):
        names.append(str(o["name"]))
        for t in paid_transactions(o.get("transactions") or []):
            method = payment_method(t)
            methods.setdefault(method.id, method)
    email = (raw.get("defaultEmailAddress") or {}).get("emailAddress") or ""
    phone = (raw.get("defaultPhoneNumber") or {}).get("phoneNumber")
    return Customer(tail(raw["id"]), raw.get("firstName") or "", raw.get("lastName") or "",
                    email, address(raw.get("defaultAddress")), tuple(methods.values()),
                    tuple(names), phone)


def product(raw: Raw) -> Product:
    variants = []
    for v in nodes(raw.get("variants")):
        stock = v.get("inventoryQuantity")
        variants.append(Variant(tail(v["id"]), _options(v), bool(v.get("availableForSale")),
                                round(float(v.get("price") or 0.0), 2),
                                None if stock is None else int(stock)))
    return Product(tail(raw["id"]), str(raw.get("title") or ""), tuple(variants),
                   str(raw.get("description") or ""))


def promo(code: str, raw: Raw | None) -> Promo | None:
    discount = (raw or {}).get("codeDiscount")
    if not discount:
        return None
    value = ((discount.get("customerGets") or {}).get("value")) or {}
    minimum = ((discount.get("minimumRequirement") or {})
               .get("greaterThanOrEqualToSubtotal") or {}).get("amount")
    return Promo(
        code=code.strip().upper(),
        description=str(discount.get("summary") or discount.get("title") or ""),
        percent_off=round(float(value.get("percentage") or 0.0) * 100, 2),
        amount_off=round(float((value.get("amount") or {}).get("amount") or 0.0), 2),
        min_subtotal=round(float(minimum or 0.0), 2), expires_at=when(discount.get("endsAt")),
        active=discount.get("status") == "ACTIVE",
        once_per_customer=bool(discount.get("appliesOncePerCustomer")))
