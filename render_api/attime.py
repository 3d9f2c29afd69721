"""Graphite's time grammar: `from`/`until`/`now` strings to epoch seconds, and interval strings.

What: `parse_attime` reads the at-style times of the render API ("-1h30min", "noon yesterday",
"16:00_20240101", "1700000000"...), `parse_time_offset` the signed intervals functions take
("5min", "-1d"), `parse_time_range` the request's from/until/now trio and `parse_tz` its `tz`.
Why here, with these rules: Grafana and scripts depend on graphite-web 1.1.10's exact results,
quirks included (`12am` is noon, `m` is no unit, a month is 30 days). Wall-clock references are
placed in the zone the way pytz's `localize(is_dst=False)` places them; offsets are then added as
absolute seconds, as adding a timedelta to a pytz time and normalizing does.
"""

from __future__ import annotations

import functools
import itertools
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")   # graphite's order: Sunday first
NAMED_TIMES = (("noon", 12), ("midnight", 0), ("teatime", 16))

# pytz winds the clock back this far to place a wall time skipped by a DST jump
_GAP_PROBE = timedelta(hours=6)


class TimeParseError(ValueError):
    """A from/until/now/interval string graphite-web would refuse (HTTP 400 on /render)."""


def parse_attime(text: str, tz: ZoneInfo, now: int) -> int:
    """Epoch seconds of a graphite at-time string, relative references resolved against `now`."""
    s = text.strip().lower().replace("_", "").replace(",", "").replace(" ", "")
    if s.isdigit() and not _is_yyyymmdd(s):
        return _epoch_digits(s, tz)
    if "+" in s:
        ref, sign, rest = s.partition("+")
    else:
        ref, sign, rest = s.partition("-")
    start = _reference_datetime(ref, tz, now)
    offset = _offset_delta(sign + rest)
    try:
        return _epoch(start + offset)
    except OverflowError:
        raise TimeParseError(f"Time out of range: {text}") from None


def parse_time_offset(text: str) -> int:
    """Seconds of a graphite interval ("5min", "-1d", "+1h30min"); case-sensitive, unsigned is +."""
    delta = _offset_delta(text)
    return delta.days * 86400 + delta.seconds


def parse_time_range(from_: str | None, until: str | None, now: str | None, tz: ZoneInfo,
                     clock: int) -> tuple[int, int, int]:
    """(start, end, now) of a render request; None means the parameter was absent."""
    now_epoch = clock if now is None else parse_attime(now, tz, clock)
    until_epoch = now_epoch if until is None else parse_attime(until, tz, now_epoch)
    from_epoch = parse_attime("-1d" if from_ is None else from_, tz, now_epoch)
    start, end = min(from_epoch, until_epoch), max(from_epoch, until_epoch)
    if start == end:
        raise TimeParseError("Invalid empty time range")
    return start, end, now_epoch


def parse_tz(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The zone pytz.timezone(name) would give (case-insensitive); `default` when unknown."""
    if name is None:
        return default
    if name.upper() == "UTC":
        return ZoneInfo("UTC")
    key = _zone_keys().get(name.replace("_plus_", "+").replace("_minus_", "-").lower())
    return default if key is None else ZoneInfo(key)


@functools.cache
def _zone_keys() -> dict[str, str]:
    # pytz knows neither of these pseudo-zones
    names = zoneinfo.available_timezones() - {"Factory", "localtime"}
    return {name.lower(): name for name in names}


def _is_yyyymmdd(s: str) -> bool:
    return len(s) == 8 and int(s[:4]) > 1900 and int(s[4:6]) < 13 and int(s[6:]) < 32


def _epoch_digits(s: str, tz: ZoneInfo) -> int:
    try:
        seconds = int(s)
        datetime.fromtimestamp(seconds, tz)
    except (ValueError, OverflowError, OSError):
        raise TimeParseError(f"Invalid epoch time: {s}") from None
    return seconds


def _epoch(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)


def _offset_delta(text: str) -> timedelta:
    """graphite's parseTimeOffset: an optional sign, then <digits><letters> groups."""
    if not text:
        return timedelta()
    sign, rest = 1, text
    if not text[0].isdigit():
        if text[0] not in "+-":
            raise TimeParseError(f"Invalid offset: {text}")
        sign, rest = (1 if text[0] == "+" else -1), text[1:]
    total = timedelta()
    while rest:
        digits = "".join(itertools.takewhile(str.isdigit, rest))
        rest = rest[len(digits):]
        unit = "".join(itertools.takewhile(str.isalpha, rest))
        rest = rest[len(unit):]
        try:
            count = int(digits)
        except ValueError:
            raise TimeParseError(f"Invalid offset: {text} (expected a number before "
                                 f"{(unit + rest)[:10]!r})") from None
        try:
            total += _unit_delta(unit, sign * count)
        except OverflowError:
            raise TimeParseError(f"Offset out of range: {text}") from None
    return total


def _unit_delta(unit: str, count: int) -> timedelta:
    # first match wins, so "m" and "mo" are no unit at all (graphite's getUnitString)
    if unit.startswith("s"):
        return timedelta(seconds=count)
    if unit.startswith("min"):
        return timedelta(minutes=count)
    if unit.startswith("h"):
        return timedelta(hours=count)
    if unit.startswith("d"):
        return timedelta(days=count)
    if unit.startswith("w"):
        return timedelta(weeks=count)
    if unit.startswith("mon"):
        return timedelta(days=30 * count)
    if unit.startswith("y"):
        return timedelta(days=365 * count)
    raise TimeParseError(f"Invalid offset unit '{unit}'")


def _reference_datetime(ref: str, tz: ZoneInfo, now: int) -> datetime:
    """The aware moment a reference names: `now` itself, or a wall time placed in `tz`."""
    current = datetime.fromtimestamp(now, tz)
    if ref in ("", "now"):
        # a fixed offset, so that adding the offset later is absolute time, as with pytz
        return current.astimezone(timezone(current.utcoffset()))
    try:
        hour, minute, day_ref = _time_of_day(ref)
        wall = current.replace(hour=hour, minute=minute, second=0, microsecond=0, tzinfo=None)
        return _localize(_apply_day(wall, day_ref, ref), tz)
    except TimeParseError:
        raise
    except (ValueError, OverflowError) as exc:
        raise TimeParseError(f"Invalid time reference {ref!r}: {exc}") from None


def _time_of_day(ref: str) -> tuple[int, int, str]:
    """(hour, minute, rest of ref) of a leading "HH:MM[am|pm]", "Ham"/"Hpm" or named time."""
    hour = minute = 0
    colon = ref.find(":")
    if 0 < colon < 3:
        hour, minute = int(ref[:colon]), int(ref[colon + 1:colon + 3])
        ref = ref[colon + 3:]
        if ref[:2] == "am":
            ref = ref[2:]
        elif ref[:2] == "pm":
            hour, ref = (hour + 12) % 24, ref[2:]
    at = ref.find("am")
    if 0 < at < 3:
        hour, ref = int(ref[:at]), ref[at + 2:]        # so "12am" is noon, as in graphite
    at = ref.find("pm")
    if 0 < at < 3:
        hour, ref = (int(ref[:at]) + 12) % 24, ref[at + 2:]  # and "12pm" is midnight
    for name, named_hour in NAMED_TIMES:
        if ref.startswith(name):
            return named_hour, 0, ref[len(name):]
    return hour, minute, ref


def _apply_day(wall: datetime, day_ref: str, raw_ref: str) -> datetime:
    """The naive wall time moved to the day `day_ref` names, keeping its hour and minute."""
    if day_ref in ("", "today"):
        return wall
    if day_ref == "yesterday":
        return wall - timedelta(days=1)
    if day_ref == "tomorrow":
        return wall + timedelta(days=1)
    if day_ref.count("/") == 2:
        month, day, year = (int(part) for part in day_ref.split("/"))
        year += 1900 if year < 1900 else 0
        year += 100 if year < 1970 else 0
        return datetime(year, month, day, wall.hour, wall.minute)
    if len(day_ref) == 8 and day_ref.isdigit():
        return datetime(int(day_ref[:4]), int(day_ref[4:6]), int(day_ref[6:]), wall.hour,
                        wall.minute)
    if day_ref[:3] in MONTHS:
        return wall.replace(month=MONTHS.index(day_ref[:3]) + 1, day=_day_of_month(day_ref))
    if day_ref[:3] in WEEKDAYS:
        today = (wall.weekday() + 1) % 7
        return wall - timedelta(days=(today - WEEKDAYS.index(day_ref[:3])) % 7)
    raise TimeParseError(f"Unknown day reference: {raw_ref}")


def _day_of_month(day_ref: str) -> int:
    # at most the last two characters count: "jan123" is January 23rd
    if day_ref[-2:].isdigit():
        return int(day_ref[-2:])
    if day_ref[-1:].isdigit():
        return int(day_ref[-1:])
    raise TimeParseError("Day of month required after month name")


def _localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """`wall` in `tz` as pytz's localize(is_dst=False) places it, with a fixed-offset tzinfo."""
    valid = []
    for fold in (0, 1):
        offset = wall.replace(tzinfo=tz, fold=fold).utcoffset()
        moment = wall.replace(tzinfo=timezone(offset))
        if moment.astimezone(tz).replace(tzinfo=None) == wall and moment not in valid:
            valid.append(moment)
    if not valid:
        # a wall time skipped by a jump forward keeps the offset in force before the jump
        return _localize(wall - _GAP_PROBE, tz) + _GAP_PROBE
    if len(valid) == 1:
        return valid[0]
    standard = [m for m in valid if not m.astimezone(tz).dst()]
    if len(standard) == 1:
        return standard[0]
    return max(valid)
