"""Retention: message bodies and media older than `[retention] message_days` are purged.

What goes: message texts (rows stay, `text = ''`, `purged = 1`), journal payloads of handled
events, outbox texts of finished deliveries, the free text of note and handoff events, the
dialogue state of conversations idle since the cutoff, media files and SMS full-reply pages
last written before it. What stays: every row that analytics count (conversations, messages,
events, actions, usage), with their times, roles, statuses, costs and refunds.

Rows are purged in small batches through the store's writer, so a purge beside a running
daemon never holds the writer for long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from omnichannel.config import Config
from omnichannel.datacare import files
from omnichannel.datacare.errors import DataCareError
from omnichannel.store import Store

log = logging.getLogger(__name__)
DAY = 86400.0
BATCH = 500


@dataclass(slots=True)
class PurgeReport:
    cutoff: float
    dry_run: bool
    rows: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    media_bytes: int = 0
    pages: int = 0

    def summary(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.cutoff))
        verb = "would purge" if self.dry_run else "purged"
        rows = ", ".join(f"{n} {table}" for table, n in self.rows.items())
        return (f"{verb} what is older than {when}: {rows}; {self.media_files} media files "
                f"({self.media_bytes / 1e6:.1f} MB); {self.pages} SMS full-reply pages")


async def purge(store: Store, config: Config, *, days: int | None = None,
                dry_run: bool = False, now: float | None = None) -> PurgeReport:
    """One retention pass. `days` overrides `retention.message_days`."""
    days = config.retention.message_days if days is None else days
    if days <= 0:
        raise DataCareError("retention is off (retention.message_days = 0 keeps everything); "
                            "set message_days or pass --days")
    cutoff = (time.time() if now is None else now) - days * DAY
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    for table in await store.purge_tables():
        if dry_run:
            report.rows[table] = await store.purge_count(table, cutoff)
            continue
        total, after = 0, 0
        while True:
            n, after = await store.purge_step(table, cutoff, after, BATCH)
            total += n
            if n < BATCH:
                break
        report.rows[table] = total
    roots = files.media_roots(config)
    media = await asyncio.to_thread(files.older_than, roots, cutoff)
    pages = await asyncio.to_thread(files.pages_older_than, config.store.state_dir, cutoff)
    if dry_run:
        report.media_files = len(media)
        report.media_bytes = sum(_size(p) for p in media)
        report.pages = len(pages)
    else:
        report.media_files, report.media_bytes = await asyncio.to_thread(files.remove, media)
        report.pages, _ = await asyncio.to_thread(files.remove, pages)
    return report


async def retention_loop(store: Store, config: Config) -> None:
    """The daemon's retention task: a pass at start, then every `interval_hours`.

    Returns at once when `message_days` is 0 (retention off). A failed pass is logged and
    tried again at the next interval; cancellation ends the loop.
    """
    settings = config.retention
    if settings.message_days == 0:
        log.info("retention off: message bodies and media are kept")
        return
    while True:
        try:
            report = await purge(store, config)
            log.info("retention pass done", extra={
                "cutoff": report.cutoff, **{f"purged_{t}": n for t, n in report.rows.items()},
                "media_files": report.media_files, "pages": report.pages})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention pass failed; next try in %s hours",
                          settings.interval_hours)
        await asyncio.sleep(settings.interval_hours * 3600)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
