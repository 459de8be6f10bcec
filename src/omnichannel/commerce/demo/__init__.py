"""The demo shop: an embedded SQLite shop generated from a seed (Juniper & Pine)."""

from omnichannel.commerce.demo.generate import DEFAULT_NOW, content_hash, generate
from omnichannel.commerce.demo.shop import DemoCommerce

__all__ = ["DEFAULT_NOW", "DemoCommerce", "content_hash", "generate"]
