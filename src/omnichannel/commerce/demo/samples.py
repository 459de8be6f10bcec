"""Shoppers to try the demo with: who they are and one order of each status."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SampleShopper:
    name: str
    zip: str
    email: str
    order_id: str
    status: str


def samples(path: Path, statuses: tuple[str, ...] = ("pending", "shipped", "delivered")
            ) -> list[SampleShopper]:
    """One shopper per status, the first in id order (deterministic for a seed)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = []
        for status in statuses:
            row = conn.execute(
                "SELECT c.first_name, c.last_name, c.zip, c.email, o.id FROM orders o "
                "JOIN customers c ON c.id = o.customer_id WHERE o.status = ? "
                "ORDER BY o.id LIMIT 1", (status,)).fetchone()
            if row:
                out.append(SampleShopper(f"{row[0]} {row[1]}", row[2], row[3], row[4], status))
        return out
    finally:
        conn.close()
