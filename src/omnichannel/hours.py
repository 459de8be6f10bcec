"""Business hours in the shop's time zone, with dated holidays: is a person there now, and
when next. Used for the handoff notice, so the shopper is told honestly when to expect an
answer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import omnichannel.i18n as i18n
from omnichannel.config import HoursConfig

_ = i18n.translator("gateway")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _span(cfg: HoursConfig, day: date) -> tuple[time, time] | None:
    if day in cfg.holidays:
        return None
    raw: str = getattr(cfg, DAYS[day.weekday()])
    if not raw:
        return None
    start, end = raw.split("-")
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    close = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    return time(h1, m1), close


def is_open(cfg: HoursConfig, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(cfg.timezone))
    span = _span(cfg, local.date())
    return span is not None and span[0] <= local.time() < span[1]


def next_open(cfg: HoursConfig, now: datetime) -> datetime | None:
    """The next opening after `now` (local time), within two weeks; None if never."""
    zone = ZoneInfo(cfg.timezone)
    local = now.astimezone(zone)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        span = _span(cfg, day)
        if span is None:
            continue
        opening = datetime.combine(day, span[0], zone)
        if opening > local:
            return opening
    return None


def describe(opening: datetime, now: datetime) -> str:
    """ "today at 9:00", "tomorrow at 9:00", "Monday at 9:00", "Monday 28 December at 9:00",
    in the turn's language (day and month names from Babel)."""
    from babel.dates import format_date

    local_now = now.astimezone(opening.tzinfo)
    clock = f"{opening.hour}:{opening.minute:02d}"
    days = (opening.date() - local_now.date()).days
    if days == 0:
        return _("today at {time}").format(time=clock)
    if days == 1:
        return _("tomorrow at {time}").format(time=clock)
    locale = i18n.locale_of()
    weekday = format_date(opening, "EEEE", locale=locale)
    if days < 7:
        return _("{weekday} at {time}").format(weekday=weekday, time=clock)
    return _("{weekday} {day} {month} at {time}").format(
        weekday=weekday, day=opening.day, month=format_date(opening, "MMMM", locale=locale),
        time=clock)


def handoff_notice(in_hours: str, out_of_hours: str, cfg: HoursConfig, now: datetime) -> str:
    if is_open(cfg, now):
        return in_hours
    opening = next_open(cfg, now)
    when = describe(opening, now) if opening else _("the next working day")
    return out_of_hours.format(next_open=when)
