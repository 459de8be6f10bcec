"""Shopify backend: the Commerce protocol over a store's Admin GraphQL API (docs/shopify.md)."""

from omnichannel.commerce.shopify.backend import ShopifyCommerce, open_shopify

__all__ = ["ShopifyCommerce", "open_shopify"]
