"""Commerce: the shop's data and actions behind one protocol, with interchangeable backends."""

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
    WriteResult,
)
from omnichannel.commerce.protocol import (
    Commerce,
    CommerceError,
    InvalidRequest,
    NeedsPerson,
    NotEligible,
    NotFound,
)

__all__ = [
    "Address",
    "Commerce",
    "CommerceError",
    "Customer",
    "Fulfillment",
    "InvalidRequest",
    "NeedsPerson",
    "NotEligible",
    "NotFound",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Payment",
    "PaymentMethod",
    "PaymentSource",
    "Product",
    "Promo",
    "Variant",
    "WriteResult",
]
