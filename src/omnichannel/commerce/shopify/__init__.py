"""Shopify Admin GraphQL backend (in progress)."""
