"""The Commerce protocol every backend implements, and its errors."""

from __future__ import annotations

from typing import Protocol

from omnichannel.commerce.model import (
    Address,
    Customer,
    Order,
    Product,
    Promo,
    WriteResult,
)


class CommerceError(Exception):
    """A request the shop refused; the message is safe to explain to the shopper."""


class NotFound(CommerceError):
    pass


class NotEligible(CommerceError):
    """The order's status (or window) does not allow this action."""


class InvalidRequest(CommerceError):
    """Wrong items, unknown payment method, not enough gift-card balance, and the like."""


class NeedsPerson(CommerceError):
    """The shop's state is uncertain (a write cut off mid-way, a job still running, a
    change the shop reported but did not make): a person checks, the agent hands off."""


class Commerce(Protocol):
    """Async access to one shop. Every write takes an idempotency key: the same key twice
    changes nothing the second time and returns the first outcome with `replayed=True`."""

    name: str

    # lookups
    async def find_customer_by_email(self, email: str) -> str | None: ...
    async def find_customer_by_name_zip(
        self, first_name: str, last_name: str, zip_code: str
    ) -> str | None: ...
    async def find_customer_by_phone(self, phone: str) -> str | None: ...
    async def get_customer(self, customer_id: str) -> Customer: ...
    async def list_orders(self, customer_id: str) -> list[Order]: ...
    async def get_order(self, order_id: str) -> Order: ...
    async def get_product(self, product_id: str) -> Product: ...
    async def list_products(self) -> list[Product]: ...
    async def search_products(self, query: str, limit: int = 5) -> list[Product]: ...
    async def get_promo(self, code: str) -> Promo | None: ...

    # writes
    async def cancel_order(self, order_id: str, reason: str, *, key: str) -> WriteResult: ...
    async def modify_order_address(
        self, order_id: str, address: Address, *, key: str
    ) -> WriteResult: ...
    async def modify_order_payment(
        self, order_id: str, payment_method_id: str, *, key: str
    ) -> WriteResult: ...
    async def modify_order_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str],
        payment_method_id: str, *, key: str,
    ) -> WriteResult: ...
    async def return_items(
        self, order_id: str, item_ids: list[str], payment_method_id: str, *, key: str
    ) -> WriteResult: ...
    async def exchange_items(
        self, order_id: str, item_ids: list[str], new_item_ids: list[str],
        payment_method_id: str, *, key: str,
    ) -> WriteResult: ...
    async def update_default_address(
        self, customer_id: str, address: Address, *, key: str
    ) -> WriteResult: ...
    async def refund(
        self, order_id: str, amount: float, payment_method_id: str, *, key: str
    ) -> WriteResult: ...
