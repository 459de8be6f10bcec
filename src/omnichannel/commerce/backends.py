"""Open the commerce backend named in `[commerce]`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from omnichannel.commerce.protocol import Commerce


class BackendError(Exception):
    """The configured backend cannot be opened (missing data, bad file)."""


def open_backend(
    backend: str, data: Path | None, state_dir: Path, seed: int = 7,
    return_window_days: int | None = 30, shopify: Any = None,
) -> Commerce | None:
    """`shopify` is the `[commerce.shopify]` table (config.ShopifyConfig) for that backend."""
    if backend == "none":
        return None
    if backend == "shopify":
        if shopify is None:
            raise BackendError("commerce.shopify: the table is missing (shop_domain, "
                               "access_token, api_version)")
        from omnichannel.commerce.shopify import open_shopify

        return open_shopify(shopify, state_dir)
    if backend == "taubench":
        from omnichannel.commerce.taubench import TaubenchCommerce

        if data is None or not (data / "users.json").is_file():
            raise BackendError(f"commerce.data: {data} has no users.json (a τ-bench folder "
                               "with users.json, orders.json and products.json is expected)")
        return TaubenchCommerce.load(data)
    from omnichannel.commerce.demo import DemoCommerce

    # A new shop is generated with orders over the 90 days before today.
    return DemoCommerce.open(data or state_dir / "demo-shop.db", seed=seed,
                             now=datetime.now(UTC), return_window_days=return_window_days)


async def close_backend(commerce: Commerce | None) -> None:
    close = getattr(commerce, "close", None)
    if close is not None:
        result = close()
        if hasattr(result, "__await__"):
            await result
