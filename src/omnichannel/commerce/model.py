"""The shop as the agent sees it: customers, orders, products, promo codes.

Plain frozen dataclasses shared by every backend. Money is a float in the shop's currency,
rounded to cents by the backend that computes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import omnichannel.i18n as i18n

_ = i18n.translator("commerce")


class OrderStatus(StrEnum):
    PENDING = "pending"
    PENDING_ITEMS_MODIFIED = "pending (item modified)"
    PROCESSED = "processed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURN_REQUESTED = "return requested"
    EXCHANGE_REQUESTED = "exchange requested"


class PaymentSource(StrEnum):
    CREDIT_CARD = "credit_card"
    PAYPAL = "paypal"
    GIFT_CARD = "gift_card"


@dataclass(frozen=True, slots=True)
class Address:
    address1: str
    address2: str
    city: str
    state: str
    country: str
    zip: str

    def one_line(self) -> str:
        street = f"{self.address1}, {self.address2}" if self.address2 else self.address1
        return f"{street}, {self.city}, {self.state} {self.zip}, {self.country}"


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    id: str
    source: PaymentSource
    brand: str | None = None
    last_four: str | None = None
    balance: float | None = None  # gift cards only

    def label(self) -> str:
        """How the shopper knows it, in the turn's language: "Visa ending 4242"."""
        if self.source is PaymentSource.CREDIT_CARD:
            brand = self.brand.title() if self.brand else _("Card")
            return _("{brand} ending {last_four}").format(brand=brand, last_four=self.last_four)
        if self.source is PaymentSource.GIFT_CARD:
            if self.balance is None:
                return _("gift card")
            left = f"{self.balance:.2f}" if i18n.current() == "en" else i18n.number(
                self.balance, decimals=2)
            return _("gift card ({balance} left)").format(balance=left)
        return "PayPal"


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    first_name: str
    last_name: str
    email: str
    address: Address
    payment_methods: tuple[PaymentMethod, ...]
    order_ids: tuple[str, ...]
    phone: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def payment(self, method_id: str) -> PaymentMethod | None:
        return next((p for p in self.payment_methods if p.id == method_id), None)


@dataclass(frozen=True, slots=True)
class OrderItem:
    name: str
    product_id: str
    item_id: str
    price: float
    options: tuple[tuple[str, str], ...]

    def options_text(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.options)


@dataclass(frozen=True, slots=True)
class Fulfillment:
    tracking_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    carrier: str | None = None
    tracking_url: str | None = None
    shipped_at: datetime | None = None
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    transaction_type: str  # "payment" | "refund"
    amount: float
    payment_method_id: str


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    customer_id: str
    address: Address
    items: tuple[OrderItem, ...]
    fulfillments: tuple[Fulfillment, ...]
    status: OrderStatus
    payment_history: tuple[Payment, ...]
    created_at: datetime | None = None
    # Set by returns and exchanges (the backend's own records of what was asked).
    return_items: tuple[str, ...] = ()
    exchange_items: tuple[str, ...] = ()
    exchange_new_items: tuple[str, ...] = ()
    cancel_reason: str | None = None

    @property
    def total(self) -> float:
        return round(sum(i.price for i in self.items), 2)

    @property
    def delivered_at(self) -> datetime | None:
        dates = [f.delivered_at for f in self.fulfillments if f.delivered_at]
        return max(dates) if dates else None


@dataclass(frozen=True, slots=True)
class Variant:
    item_id: str
    options: tuple[tuple[str, str], ...]
    available: bool
    price: float
    stock: int | None = None


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    variants: tuple[Variant, ...]
    description: str = ""

    def variant(self, item_id: str) -> Variant | None:
        return next((v for v in self.variants if v.item_id == item_id), None)


@dataclass(frozen=True, slots=True)
class Promo:
    code: str
    description: str
    percent_off: float = 0.0
    amount_off: float = 0.0
    min_subtotal: float = 0.0
    expires_at: datetime | None = None
    active: bool = True
    once_per_customer: bool = False


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a write did. `replayed` is true when the idempotency key had been seen."""

    order: Order | None = None
    customer: Customer | None = None
    replayed: bool = False
    detail: str = ""
