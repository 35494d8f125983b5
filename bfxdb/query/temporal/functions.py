"""The temporal functions of Cypher: date(), datetime.truncate(), duration.between(), ...

Each type's function builds a value from nothing (the current time), a
string, another temporal value or a map of components; see CIP2015-08-06.
The current time is read once per query run (the statement clock, which also
serves as the transaction clock) unless ``.realtime()`` is asked for. Zones
default to UTC.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

from .parsing import date_from_fields, parse, time_nanos
from .types import (
    NANOS_PER_DAY,
    NANOS_PER_SECOND,
    UTC,
    Date,
    DateTime,
    Duration,
    Instant,
    LocalDateTime,
    LocalTime,
    Time,
    Zone,
    civil_from_days,
    day_of_week,
    days_from_civil,
    days_from_week_date,
    fail,
    parse_zone,
    plus_months,
    trunc_div,
    week_fields,
)

_DATE_KEYS = frozenset({"year", "month", "day", "week", "dayOfWeek", "quarter", "dayOfQuarter", "ordinalDay"})
_TIME_KEYS = frozenset({"hour", "minute", "second", "millisecond", "microsecond", "nanosecond"})
_INSTANT_KINDS = {
    "date": Date,
    "localtime": LocalTime,
    "time": Time,
    "localdatetime": LocalDateTime,
    "datetime": DateTime,
}


# ---------------------------------------------------------------- the clock


class Clock(Protocol):
    """What the temporal functions need of a query run: when its statement clock was first read."""

    #: nanoseconds since the epoch, or None until a function first reads the clock
    statement_time: int | None


def _now(ctx: Clock, clock: str) -> int:
    """Nanoseconds since the epoch: fixed for the whole run unless the clock is realtime."""
    if clock == "realtime":
        return _time.time_ns()
    if ctx.statement_time is None:
        ctx.statement_time = _time.time_ns()
    return ctx.statement_time


def _convert(kind: type[Instant], value: DateTime) -> Instant:
    """Narrow a DateTime to another instant type."""
    if kind is DateTime:
        return value
    if kind is Date:
        return Date(value.day)
    if kind is LocalTime:
        return LocalTime(value.nano)
    if kind is Time:
        return Time(value.nano, value.offset)
    return LocalDateTime(value.day, value.nano)


def _current(kind: type[Instant], ctx: Clock, clock: str, zone: Any) -> Instant:
    if isinstance(zone, dict):
        zone = zone.get("timezone")
    return _convert(kind, DateTime.of_instant(_now(ctx, clock), UTC if zone is None else parse_zone(zone)))


# ---------------------------------------------------------------- construction


def _require_int(key: str, value: Any) -> int:
    if type(value) is not int:
        raise fail(f"{key} must be an integer, not {value!r}")
    return value


def _time_from_fields(fields: dict, base: dict) -> int:
    """Nanoseconds of the day from hour..nanosecond, the missing ones taken from ``base``.

    Given with millisecond or microsecond (in the map or kept by a truncation),
    a smaller sub-second unit counts below the larger one; alone, nanosecond is
    the whole fraction of the second.
    """
    merged = {**base, **{key: _require_int(key, fields[key]) for key in _TIME_KEYS & fields.keys()}}
    if "millisecond" in merged or "microsecond" in merged:
        parts = (("millisecond", 1_000_000, 999), ("microsecond", 1000, 999 if "millisecond" in merged else 999_999))
        nanos = 0
        for key, scale, most in parts:
            value = merged.get(key, 0)
            if not 0 <= value <= most:
                raise fail(f"{key} must be from 0 to {most}, not {value}")
            nanos += value * scale
        last = merged.get("nanosecond", 0)
        if not 0 <= last <= 999:
            raise fail(f"nanosecond must be from 0 to 999 beside a millisecond or microsecond, not {last}")
        nanos += last
    else:
        nanos = merged.get("nanosecond", 0)
    return time_nanos(merged.get("hour", 0), merged.get("minute", 0), merged.get("second", 0), nanos)


def _base_time(value: Instant) -> dict:
    second, nanos = divmod(value.nano, NANOS_PER_SECOND)
    return {"hour": second // 3600, "minute": second // 60 % 60, "second": second % 60, "nanosecond": nanos}


def _selected(value: Any, key: str, part: str) -> Instant:
    """Check that a selector's value is an instant that has a ``part`` ("date" or "time")."""
    if not isinstance(value, Instant) or not getattr(value, f"HAS_{part.upper()}"):
        raise fail(f"{key} must select from a temporal value with a {part}, not {value!r}")
    return value


def _from_epoch(fields: dict) -> DateTime:
    if "epochSeconds" in fields:
        seconds = fields["epochSeconds"]
        nanos = _require_int("nanosecond", fields.get("nanosecond", 0))
        if type(seconds) is float:
            if seconds != seconds or abs(seconds) == math.inf:
                raise fail(f"epochSeconds must be finite, not {seconds!r}")
            instant = int(Fraction(seconds) * NANOS_PER_SECOND) + nanos
        else:
            instant = _require_int("epochSeconds", seconds) * NANOS_PER_SECOND + nanos
    else:
        instant = _require_int("epochMillis", fields["epochMillis"]) * 1_000_000
    zone = parse_zone(fields["timezone"]) if "timezone" in fields else UTC
    return DateTime.of_instant(instant, zone)


def build(
    kind: type[Instant],
    fields: dict,
    ctx: Clock,
    *,
    base_day: int | None = None,
    base_time: dict | None = None,
    base_zone: Instant | None = None,
    attach_zone: bool = False,
) -> Instant:
    """Make an instant of ``kind`` from a map of components and selected values.

    :param fields: the map given to the function: components (year, hour, ...),
        ``timezone``, selectors ``date``/``time``/``datetime`` and, for datetime,
        ``epochSeconds``/``epochMillis``.
    :param base_day, base_time, base_zone: a truncated value to start from
        (its epoch day, time components and the value whose zone it keeps).
    :param attach_zone: a ``timezone`` in the map relabels the local time
        instead of converting the instant to that zone (truncation does this).
    :raises QueryArgumentError: a component is missing, of the wrong type or out of range.
    """
    if any(value is None for value in fields.values()):
        raise fail("temporal components cannot be null")
    if kind is DateTime and ("epochSeconds" in fields or "epochMillis" in fields):
        return _from_epoch(fields)
    zoned = base_zone  # the selected value whose zone the components are read in
    if "datetime" in fields:
        other = fields["datetime"]
        if not isinstance(other, Instant):
            raise fail(f"datetime must select from a temporal value, not {other!r}")
        if other.HAS_DATE:
            base_day = other.day
        if other.HAS_TIME:
            base_time = _base_time(other)
        zoned = other if other.HAS_ZONE else None
    if "date" in fields:
        base_day = _selected(fields["date"], "date", "date").day
    if "time" in fields:
        other = _selected(fields["time"], "time", "time")
        base_time = _base_time(other)
        zoned = other if other.HAS_ZONE else None
    day = nano = 0
    if kind.HAS_DATE:
        date_fields = {key: fields[key] for key in _DATE_KEYS & fields.keys()}
        if base_day is None and not date_fields:
            raise fail(f"{kind.__name__.lower()}() needs a year or a selected date")
        day = date_from_fields(date_fields, base_day)
    if kind.HAS_TIME:
        nano = _time_from_fields(fields, base_time or {})
    if not kind.HAS_ZONE:
        return kind(*((day,) if kind is Date else (nano,) if kind is LocalTime else (day, nano)))
    target = parse_zone(fields["timezone"]) if "timezone" in fields else None
    if kind is Time:
        if target is None:
            return Time(nano, UTC if zoned is None else zoned.offset)
        offset = _time_offset(target, base_day, nano, ctx)
        if zoned is None or attach_zone:
            return Time(nano, offset)
        # The components are read at the selected value's offset, then shown at the one asked for.
        return Time(nano + (offset - zoned.offset) * NANOS_PER_SECOND, offset)
    if target is None:
        return DateTime.of_local(day, nano, UTC if zoned is None else zoned.zone)
    if zoned is None or attach_zone:
        return DateTime.of_local(day, nano, target)
    return DateTime.of_instant(DateTime.of_local(day, nano, zoned.zone).epoch_nanos(), target)


def _time_offset(zone: Zone, day: int | None, nano: int, ctx: Clock) -> int:
    """The offset a Time takes from a zone: a named zone's offset on ``day``, else today."""
    if isinstance(zone, int):
        return zone
    if day is None:
        day = _now(ctx, "statement") // NANOS_PER_DAY
    return DateTime.of_local(day, nano, zone).offset


def _instant_function(kind: type[Instant]) -> Callable[[Clock, list], Any]:
    def construct(ctx: Clock, args: list) -> Any:
        if not args:
            return _current(kind, ctx, "statement", None)
        value = args[0]
        if value is None:
            return None
        if type(value) is str:
            return parse(kind, value)
        if isinstance(value, Instant):
            return build(kind, {"datetime": value} if kind is DateTime else _selector(kind, value), ctx)
        if type(value) is dict:
            if not value.keys() - {"timezone"}:
                return _current(kind, ctx, "statement", value)
            return build(kind, value, ctx)
        raise fail(f"{kind.__name__.lower()}() cannot take {value!r}")

    return construct


def _selector(kind: type[Instant], value: Instant) -> dict:
    """The map that converts ``value`` to ``kind`` as ``kind(value)`` does."""
    if kind is Date:
        return {"date": value}
    if kind in (LocalTime, Time):
        return {"time": value}
    return (
        {"date": value, "time": value}
        if value.HAS_DATE and value.HAS_TIME
        else ({"date": value} if value.HAS_DATE else {"time": value})
    )


def _clock_function(kind: type[Instant], clock: str) -> Callable[[Clock, list], Any]:
    def current(ctx: Clock, args: list) -> Any:
        if args and args[0] is None:
            return None
        return _current(kind, ctx, clock, args[0] if args else None)

    return current


_DURATION_UNITS: dict[str, tuple[int | Fraction, int | Fraction, int | Fraction]] = {
    "years": (12, 0, 0),
    "quarters": (3, 0, 0),
    "months": (1, 0, 0),
    "weeks": (0, 7, 0),
    "days": (0, 1, 0),
    "hours": (0, 0, 3600),
    "minutes": (0, 0, 60),
    "seconds": (0, 0, 1),
    "milliseconds": (0, 0, Fraction(1, 1000)),
    "microseconds": (0, 0, Fraction(1, 10**6)),
    "nanoseconds": (0, 0, Fraction(1, 10**9)),
}


def _duration(ctx: Clock, args: list) -> Any:
    value = args[0]
    if value is None:
        return None
    if type(value) is str:
        return parse(Duration, value)
    if type(value) is Duration:
        return value
    if type(value) is not dict:
        raise fail(f"duration() cannot take {value!r}")
    totals = [Fraction(0)] * 3
    for key, amount in value.items():
        unit = _DURATION_UNITS.get(key)
        if unit is None:
            raise fail(f"duration() has no component {key!r}")
        if type(amount) not in (int, float) or amount != amount or abs(amount) == math.inf:
            raise fail(f"duration component {key} must be a finite number, not {amount!r}")
        for index, scale in enumerate(unit):
            totals[index] += Fraction(amount) * scale
    return Duration.approximate(*totals)


# ---------------------------------------------------------------- truncation

_DATE_UNITS = ("millennium", "century", "decade", "year", "weekYear", "quarter", "month", "week", "day")
_TIME_UNITS = ("day", "hour", "minute", "second", "millisecond", "microsecond")


def _truncate_day(unit: str, day: int) -> int:
    year, month, _ = civil_from_days(day)
    if unit in ("millennium", "century", "decade"):
        size = {"millennium": 1000, "century": 100, "decade": 10}[unit]
        return days_from_civil(year // size * size, 1, 1)
    if unit == "year":
        return days_from_civil(year, 1, 1)
    if unit == "weekYear":
        return days_from_week_date(week_fields(day)[0], 1, 1)
    if unit == "quarter":
        return days_from_civil(year, month - (month - 1) % 3, 1)
    if unit == "month":
        return days_from_civil(year, month, 1)
    if unit == "week":
        return day - day_of_week(day) + 1
    return day


def _truncate_time(unit: str, nano: int) -> dict:
    """The time components kept when truncating to ``unit`` (sub-second ones named by their unit)."""
    kept = _base_time(LocalTime(nano))
    fraction = kept.pop("nanosecond")
    keep = _TIME_UNITS.index(unit)
    names = ("hour", "minute", "second")
    time = {name: (kept[name] if keep > index else 0) for index, name in enumerate(names)}
    if unit == "millisecond":
        time["millisecond"] = fraction // 1_000_000
    elif unit == "microsecond":
        time["millisecond"] = fraction // 1_000_000
        time["microsecond"] = fraction // 1000 % 1000
    return time


def _truncate_function(kind: type[Instant]) -> Callable[[Clock, list], Any]:
    def truncate(ctx: Clock, args: list) -> Any:
        unit, value = args[0], args[1]
        fields = args[2] if len(args) > 2 else None
        if value is None:
            return None
        if not isinstance(value, Instant):
            raise fail(f"truncate() cannot take {value!r}")
        if type(fields) is not dict:
            if fields is not None:
                raise fail(f"truncate() takes a map of components, not {fields!r}")
            fields = {}
        if unit not in _DATE_UNITS + _TIME_UNITS:
            raise fail(f"unknown truncation unit {unit!r}")
        if unit not in _TIME_UNITS and not kind.HAS_DATE or unit not in _DATE_UNITS and not kind.HAS_TIME:
            raise fail(f"{kind.__name__.upper()} cannot be truncated to a {unit}")
        if (kind.HAS_DATE and not value.HAS_DATE) or (not kind.HAS_DATE and not value.HAS_TIME):
            raise fail(f"cannot truncate {value!r} to {kind.__name__.upper()}")
        base_day = _truncate_day(unit, value.day) if value.HAS_DATE else None
        if unit in _TIME_UNITS and value.HAS_TIME:
            base_time = _truncate_time(unit, value.nano)
        else:
            base_time = {}
        zoned = value if value.HAS_ZONE else None
        return build(kind, fields, ctx, base_day=base_day, base_time=base_time, base_zone=zoned, attach_zone=True)

    return truncate


# ---------------------------------------------------------------- duration.between


def _until_end(day1: int, nano1: int, day2: int, nano2: int) -> int:
    """The end day counted by Java's date-based ``until``: a day less when its time is not yet reached."""
    if day2 > day1 and nano2 < nano1:
        return day2 - 1
    if day2 < day1 and nano2 > nano1:
        return day2 + 1
    return day2


def _months_until(day1: int, nano1: int, day2: int, nano2: int) -> int:
    year1, month1, dom1 = civil_from_days(day1)
    year2, month2, dom2 = civil_from_days(_until_end(day1, nano1, day2, nano2))
    packed1 = (year1 * 12 + month1 - 1) * 32 + dom1
    packed2 = (year2 * 12 + month2 - 1) * 32 + dom2
    return trunc_div(packed2 - packed1, 32)


def _complete(value: Instant, other: Instant) -> tuple[int, int, Zone | None]:
    """A side of duration.between as (day, nano, zone), borrowing what it lacks from the other side."""
    day = value.day if value.HAS_DATE else (other.day if other.HAS_DATE else 0)
    nano = value.nano if value.HAS_TIME else 0
    zone = value.zone if value.HAS_ZONE else (other.zone if other.HAS_ZONE else None)
    return day, nano, zone


def between(left: Any, right: Any, unit: str | None) -> Duration | None:
    """Compute the duration from ``left`` to ``right``.

    :param unit: None for months, days and seconds together; else "months",
        "days" or "seconds" for the difference in that unit group only.
    :returns: the duration, or None when either side is null.
    :raises QueryArgumentError: a side is not a temporal instant.
    """
    if left is None or right is None:
        return None
    if not isinstance(left, Instant) or not isinstance(right, Instant):
        raise fail(f"duration.between() takes two temporal instants, not {left!r} and {right!r}")
    both_dates = left.HAS_DATE and right.HAS_DATE
    day1, nano1, zone1 = _complete(left, right)
    day2, nano2, zone2 = _complete(right, left)
    if zone1 is not None and zone2 is not None:  # one zoned side gives both a zone
        # A zoned side keeps its own offset (which matters in an overlap); the end is seen in the start's zone.
        start = left if type(left) is DateTime else DateTime.of_local(day1, nano1, zone1)
        end = right if type(right) is DateTime else DateTime.of_local(day2, nano2, zone2)
        end = DateTime.of_instant(end.epoch_nanos(), zone1)
        day2, nano2 = end.day, end.nano
        end_nanos = end.epoch_nanos()

        def instant(day: int) -> int:
            return start.epoch_nanos() if day == day1 else DateTime.of_local(day, nano1, zone1).epoch_nanos()
    else:
        end_nanos = day2 * NANOS_PER_DAY + nano2

        def instant(day: int) -> int:
            return day * NANOS_PER_DAY + nano1

    months = days = 0
    if both_dates and unit in (None, "months"):
        months = _months_until(day1, nano1, day2, nano2)
    if unit == "months":
        return Duration(months, 0, 0)
    day = plus_months(day1, months) if months else day1
    if both_dates and unit in (None, "days"):
        days = _until_end(day, nano1, day2, nano2) - day
    if unit == "days":
        return Duration(0, days, 0)
    return Duration(months, days, 0, end_nanos - instant(day + days))


def _between_function(unit: str | None) -> Callable[[Clock, list], Any]:
    return lambda ctx, args: between(args[0], args[1], unit)


def _from_epoch_function(millis: bool) -> Callable[[Clock, list], Any]:
    def from_epoch(ctx: Clock, args: list) -> Any:
        if any(arg is None for arg in args):
            return None
        if millis:
            return _from_epoch({"epochMillis": args[0]})
        return _from_epoch({"epochSeconds": args[0], "nanosecond": args[1]})

    return from_epoch


def _timestamp(ctx: Clock, args: list) -> int:
    return _now(ctx, "statement") // 1_000_000


TEMPORAL_FUNCTIONS: dict[str, Callable[[Clock, list], Any]] = {
    "duration": _duration,
    "duration.between": _between_function(None),
    "duration.inmonths": _between_function("months"),
    "duration.indays": _between_function("days"),
    "duration.inseconds": _between_function("seconds"),
    "datetime.fromepoch": _from_epoch_function(False),
    "datetime.fromepochmillis": _from_epoch_function(True),
    "timestamp": _timestamp,
}
for _name, _kind in _INSTANT_KINDS.items():
    TEMPORAL_FUNCTIONS[_name] = _instant_function(_kind)
    TEMPORAL_FUNCTIONS[f"{_name}.truncate"] = _truncate_function(_kind)
    for _clock in ("realtime", "statement", "transaction"):
        TEMPORAL_FUNCTIONS[f"{_name}.{_clock}"] = _clock_function(_kind, _clock)
