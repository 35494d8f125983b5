"""Cypher's temporal values: date, time, localtime, datetime, localdatetime and duration.

Each instant is held as whole numbers, so precision is the nanosecond and the
calendar is unbounded (proleptic Gregorian, any year; Python's ``datetime`` is
used only to look up time-zone rules):

* ``Date(day)``: days since 1970-01-01;
* ``LocalTime(nano)``: nanoseconds since midnight;
* ``Time(nano, offset)``: local time of day and its UTC offset in seconds;
* ``LocalDateTime(day, nano)``;
* ``DateTime(day, nano, offset, zone)``: local date and time, the offset in
  force there, and the IANA zone name, or None for a fixed offset;
* ``Duration(months, days, seconds, nanos)``: three unit groups that never
  convert into each other, with ``0 <= nanos < 10**9``.

``str()`` gives the Cypher (Java ``java.time``) form, e.g.
``2015-07-21T21:40:32.142+02:00[Europe/Stockholm]`` or ``P1Y2M10DT12H45M30.5S``;
``parsing.parse`` reads it back.
"""

from __future__ import annotations

import re
from datetime import UTC as _PY_UTC
from datetime import datetime as _PyDateTime
from datetime import timedelta as _PyDelta
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import QueryArgumentError, QueryTypeError

NANOS_PER_SECOND = 10**9
SECONDS_PER_DAY = 86400
NANOS_PER_DAY = SECONDS_PER_DAY * NANOS_PER_SECOND
#: A month on average (365.2425 / 12 days), used to order durations and to split fractions of months.
AVG_SECONDS_PER_MONTH = 2629746
UTC = 0

Zone = int | str  # a fixed offset in seconds, or an IANA zone name


def fail(message: str) -> QueryArgumentError:
    """Build the error for a temporal value that cannot be made or read."""
    return QueryArgumentError(message, "InvalidArgumentValue")


# ---------------------------------------------------------------- calendar arithmetic


def days_from_civil(year: int, month: int, day: int) -> int:
    """Count days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Turn days since 1970-01-01 into (year, month, day); the inverse of days_from_civil."""
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * shifted_month + 2) // 5 + 1
    month = shifted_month + (3 if shifted_month < 10 else -9)
    return year_of_era + era * 400 + (month <= 2), month, day


def is_leap(year: int) -> bool:
    """Tell whether a proleptic Gregorian year has 366 days."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def month_length(year: int, month: int) -> int:
    """Count the days of a month."""
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def day_of_week(day: int) -> int:
    """ISO day of the week of an epoch day: 1 is Monday, 7 is Sunday."""
    return (day + 3) % 7 + 1


def week_fields(day: int) -> tuple[int, int]:
    """ISO (week-based year, week of that year) of an epoch day."""
    thursday = day - day_of_week(day) + 4
    week_year = civil_from_days(thursday)[0]
    return week_year, (thursday - days_from_civil(week_year, 1, 1)) // 7 + 1


def weeks_in_year(week_year: int) -> int:
    """Count the ISO weeks of a week-based year (52 or 53)."""
    return week_fields(days_from_civil(week_year, 12, 28))[1]


def days_from_week_date(week_year: int, week: int, weekday: int) -> int:
    """Epoch day of an ISO week date."""
    january_4 = days_from_civil(week_year, 1, 4)
    return january_4 - day_of_week(january_4) + 1 + (week - 1) * 7 + weekday - 1


def plus_months(day: int, months: int) -> int:
    """Add calendar months to an epoch day, clamping to the end of a shorter month."""
    year, month, dom = civil_from_days(day)
    year, month0 = divmod(year * 12 + month - 1 + months, 12)
    return days_from_civil(year, month0 + 1, min(dom, month_length(year, month0 + 1)))


def trunc_div(a: int, b: int) -> int:
    """Integer division rounding toward zero, as Java's ``/``."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


def trunc_rem(a: int, b: int) -> int:
    """The remainder of trunc_div, with the sign of ``a``, as Java's ``%``."""
    return a - b * trunc_div(a, b)


# ---------------------------------------------------------------- time zones


_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


@lru_cache(maxsize=256)
def zone_info(name: str) -> ZoneInfo:
    """Load an IANA time zone, from the ``tzdata`` package when it is installed.

    The package comes first so that a zone has the same rules on every machine:
    operating systems build the database differently (Debian's keeps pre-1970
    history that the main data merges away, e.g. Europe/Stockholm's local mean time).

    :raises QueryArgumentError: the name is not a known zone.
    """
    if _ZONE_NAME.fullmatch(name) is None:
        raise fail(f"unknown time zone {name!r}")
    # Imported here: a query that names no time zone should not pay for importlib.resources.
    from importlib import resources

    try:
        packaged = resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
        with packaged.open("rb") as data:
            return ZoneInfo.from_file(data, key=name)
    except (ModuleNotFoundError, OSError, ValueError):
        pass
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"unknown time zone {name!r}") from None


def _rules_year(year: int) -> int:
    # The Gregorian calendar repeats every 400 years; map years Python cannot hold
    # (or where a shifted instant would overflow) to one with the same calendar.
    if year < 401:
        return 401 + (year - 401) % 400
    if year > 9000:
        return 8601 + (year - 8601) % 400
    return year


def _py_datetime(day: int, seconds_of_day: int, tzinfo: Any) -> _PyDateTime:
    year, month, dom = civil_from_days(day)
    start = _PyDateTime(_rules_year(year), month, dom, tzinfo=tzinfo)
    return start + _PyDelta(seconds=seconds_of_day)


def offset_at_instant(zone: Zone, epoch_second: int) -> int:
    """Return the UTC offset in seconds that ``zone`` has at an instant."""
    if isinstance(zone, int):
        return zone
    day, seconds = divmod(epoch_second, SECONDS_PER_DAY)
    utc = _py_datetime(day, seconds, _PY_UTC)
    return _offset_seconds(utc.astimezone(zone_info(zone)))


def offset_at_local(zone: Zone, day: int, nano: int) -> int:
    """Return the offset ``zone`` has at a local date and time (the earlier one in an overlap)."""
    if isinstance(zone, int):
        return zone
    local = _py_datetime(day, nano // NANOS_PER_SECOND, zone_info(zone))
    return _offset_seconds(local)


def _offset_seconds(moment: _PyDateTime) -> int:
    """Return the UTC offset of an aware datetime, in seconds (a naive one has none: 0)."""
    return int((moment.utcoffset() or _PyDelta()).total_seconds())


def parse_offset(text: str) -> int | None:
    """Read ``Z``, ``±HH``, ``±HHMM``, ``±HH:MM`` or ``±HH:MM:SS`` as seconds, or None if it is not one."""
    if text == "Z":
        return 0
    match = re.fullmatch(r"([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?", text)
    if match is None:
        return None
    sign, hours, minutes, seconds = match.groups()
    total = int(hours) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    if int(hours) > 18 or int(minutes or 0) > 59 or int(seconds or 0) > 59 or total > 18 * 3600:
        raise fail(f"time zone offset {text!r} is out of range")
    return -total if sign == "-" else total


def parse_zone(text: Any) -> Zone:
    """Read a ``timezone`` value: an offset (see parse_offset) or an IANA zone name.

    :raises QueryArgumentError: neither.
    """
    if type(text) is not str:
        raise fail(f"a time zone must be a string, not {text!r}")
    offset = parse_offset(text)
    if offset is not None:
        return offset
    zone_info(text)
    return text


def format_offset(offset: int) -> str:
    """Write an offset as Java does: ``Z``, ``+01:00`` or ``+00:53:28``."""
    if offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    hours, rest = divmod(abs(offset), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


# ---------------------------------------------------------------- formatting


def format_date(day: int) -> str:
    """Write an epoch day as ``YYYY-MM-DD`` (``-0001-...`` or ``+10000-...`` outside 0000..9999)."""
    year, month, dom = civil_from_days(day)
    if 0 <= year <= 9999:
        text = f"{year:04d}"
    elif year < 0:
        text = f"-{-year:04d}"
    else:
        text = f"+{year}"
    return f"{text}-{month:02d}-{dom:02d}"


def format_time(nano: int) -> str:
    """Write nanoseconds of the day as ``HH:MM``, ``HH:MM:SS`` or with 3, 6 or 9 fraction digits."""
    seconds, fraction = divmod(nano, NANOS_PER_SECOND)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}"
    if seconds or fraction:
        text += f":{seconds:02d}"
    if fraction:
        if fraction % 1_000_000 == 0:
            text += f".{fraction // 1_000_000:03d}"
        elif fraction % 1000 == 0:
            text += f".{fraction // 1000:06d}"
        else:
            text += f".{fraction:09d}"
    return text


# ---------------------------------------------------------------- the types


class Temporal:
    """A Cypher temporal value: immutable, hashable, equal under Cypher's ``=``.

    Zoned instants (Time, DateTime) are equal when they are the same point on
    the UTC timeline, whatever their zones (CIP2016-06-14); ORDER BY still puts
    such equal values in a fixed order: by offset, west to east, then zone name.
    """

    __slots__ = ()
    HAS_DATE = HAS_TIME = HAS_ZONE = False
    #: position among the temporal types in ORDER BY (datetime first, duration last)
    ORDER = 0

    def fields(self) -> tuple:
        """The numbers that make the value, in a fixed order."""
        raise NotImplementedError

    def component(self, key: str) -> Any:
        """Read a component such as ``year`` or ``hours``, or None when the type lacks it."""
        raise NotImplementedError

    def key(self) -> tuple:
        """What ``=`` compares; for instants its order is their order in time."""
        return self.fields()

    def sort_key(self) -> tuple:
        """A key whose Python order is the value's ORDER BY order within its type."""
        return self.key()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.key() == self.key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.key()))

    def __repr__(self) -> str:
        return f"{type(self).__name__.lower()}({str(self)!r})"


class Instant(Temporal):
    """A temporal instant: any of the five types other than Duration."""

    __slots__ = ()
    day: int
    nano: int
    offset: int

    @property
    def zone(self) -> Zone:
        return self.offset

    def component(self, key: str) -> Any:
        """Read a component such as ``year`` or ``offset``, or None when the type lacks it."""
        reader = _ACCESSORS.get(key)
        if reader is None or not reader[0](self):
            return None
        return reader[1](self)

    def epoch_nanos(self) -> int:
        """Nanoseconds since 1970-01-01T00:00Z (the local time taken as UTC when there is no zone)."""
        day = self.day if self.HAS_DATE else 0
        nano = self.nano if self.HAS_TIME else 0
        return day * NANOS_PER_DAY + nano - (self.offset * NANOS_PER_SECOND if self.HAS_ZONE else 0)


class Date(Instant):
    """A calendar date without time or zone."""

    __slots__ = ("day",)
    HAS_DATE = True
    ORDER = 2

    def __init__(self, day: int) -> None:
        self.day = day

    def fields(self) -> tuple:
        return (self.day,)

    def __str__(self) -> str:
        return format_date(self.day)


class LocalTime(Instant):
    """A time of day without zone."""

    __slots__ = ("nano",)
    HAS_TIME = True
    ORDER = 4

    def __init__(self, nano: int) -> None:
        self.nano = nano % NANOS_PER_DAY

    def fields(self) -> tuple:
        return (self.nano,)

    def __str__(self) -> str:
        return format_time(self.nano)


class Time(Instant):
    """A time of day at a UTC offset."""

    __slots__ = ("nano", "offset")
    HAS_TIME = HAS_ZONE = True
    ORDER = 3

    def __init__(self, nano: int, offset: int) -> None:
        self.nano = nano % NANOS_PER_DAY
        self.offset = offset

    def fields(self) -> tuple:
        return (self.nano, self.offset)

    def key(self) -> tuple:
        return (self.nano - self.offset * NANOS_PER_SECOND,)

    def sort_key(self) -> tuple:
        return (*self.key(), self.offset)

    def __str__(self) -> str:
        return format_time(self.nano) + format_offset(self.offset)


class LocalDateTime(Instant):
    """A date and time of day without zone."""

    __slots__ = ("day", "nano")
    HAS_DATE = HAS_TIME = True
    ORDER = 1

    def __init__(self, day: int, nano: int) -> None:
        extra, self.nano = divmod(nano, NANOS_PER_DAY)
        self.day = day + extra

    def fields(self) -> tuple:
        return (self.day, self.nano)

    def __str__(self) -> str:
        return f"{format_date(self.day)}T{format_time(self.nano)}"


class DateTime(Instant):
    """A date and time of day in a time zone: the local fields, the offset in force and the zone."""

    __slots__ = ("day", "nano", "offset", "zone_name")
    HAS_DATE = HAS_TIME = HAS_ZONE = True
    ORDER = 0

    def __init__(self, day: int, nano: int, offset: int, zone_name: str | None = None) -> None:
        extra, self.nano = divmod(nano, NANOS_PER_DAY)
        self.day = day + extra
        self.offset = offset
        self.zone_name = zone_name

    @property
    def zone(self) -> Zone:
        return self.offset if self.zone_name is None else self.zone_name

    @classmethod
    def of_local(cls, day: int, nano: int, zone: Zone) -> DateTime:
        """Place a local date and time in a zone; a time in a DST gap moves forward by the gap."""
        extra, nano = divmod(nano, NANOS_PER_DAY)
        day += extra
        if isinstance(zone, int):
            return cls(day, nano, zone)
        guess = offset_at_local(zone, day, nano)
        instant = day * NANOS_PER_DAY + nano - guess * NANOS_PER_SECOND
        return cls.of_instant(instant, zone)

    @classmethod
    def of_instant(cls, epoch_nanos: int, zone: Zone) -> DateTime:
        """Show an instant (nanoseconds since the epoch) in a zone."""
        offset = offset_at_instant(zone, epoch_nanos // NANOS_PER_SECOND)
        day, nano = divmod(epoch_nanos + offset * NANOS_PER_SECOND, NANOS_PER_DAY)
        return cls(day, nano, offset, None if isinstance(zone, int) else zone)

    def fields(self) -> tuple:
        return (self.day, self.nano, self.offset, self.zone_name or "")

    def key(self) -> tuple:
        return (self.epoch_nanos(),)

    def sort_key(self) -> tuple:
        return (*self.key(), self.offset, self.zone_name or "")

    def __str__(self) -> str:
        text = f"{format_date(self.day)}T{format_time(self.nano)}{format_offset(self.offset)}"
        return text if self.zone_name is None else f"{text}[{self.zone_name}]"


class Duration(Temporal):
    """An amount of time in months, days and seconds (with nanoseconds), groups kept apart."""

    __slots__ = ("months", "days", "seconds", "nanos")
    ORDER = 5

    def __init__(self, months: int, days: int, seconds: int, nanos: int = 0) -> None:
        extra, self.nanos = divmod(nanos, NANOS_PER_SECOND)
        self.months = months
        self.days = days
        self.seconds = seconds + extra

    @classmethod
    def approximate(cls, months: Fraction, days: Fraction, seconds: Fraction) -> Duration:
        """Build a duration from fractional amounts, carrying fractions down a group.

        A fraction of a month becomes days at the average month length, a
        fraction of a day becomes seconds at 86400 a day; below a nanosecond is dropped.
        """
        whole_months = int(months)
        days += (months - whole_months) * Fraction(AVG_SECONDS_PER_MONTH, SECONDS_PER_DAY)
        whole_days = int(days)
        seconds += (days - whole_days) * SECONDS_PER_DAY
        return cls(whole_months, whole_days, 0, int(seconds * NANOS_PER_SECOND))

    def fields(self) -> tuple:
        return (self.months, self.days, self.seconds, self.nanos)

    def total_nanos(self) -> int:
        """The seconds group in nanoseconds."""
        return self.seconds * NANOS_PER_SECOND + self.nanos

    def sort_key(self) -> tuple:
        average = (self.months * AVG_SECONDS_PER_MONTH + self.days * SECONDS_PER_DAY) * NANOS_PER_SECOND
        return (average + self.total_nanos(), *self.fields())

    def component(self, key: str) -> Any:
        """Read a component such as ``months`` or ``nanosecondsOfSecond``, or None if there is none."""
        reader = _DURATION_ACCESSORS.get(key)
        return None if reader is None else reader(self)

    def __neg__(self) -> Duration:
        return Duration(-self.months, -self.days, -self.seconds, -self.nanos)

    def __str__(self) -> str:
        if not any(self.fields()):
            return "PT0S"
        parts = ["P"]
        for amount, unit in (
            (trunc_div(self.months, 12), "Y"),
            (trunc_rem(self.months, 12), "M"),
            (self.days, "D"),
        ):
            if amount:
                parts.append(f"{amount}{unit}")
        seconds, nanos = self.seconds, self.nanos
        if seconds or nanos:
            if seconds < 0 and nanos:
                seconds, nanos = seconds + 1, nanos - NANOS_PER_SECOND
            parts.append("T")
            for amount, unit in ((trunc_div(seconds, 3600), "H"), (trunc_div(trunc_rem(seconds, 3600), 60), "M")):
                if amount:
                    parts.append(f"{amount}{unit}")
            rest = trunc_rem(seconds, 60)
            if rest or nanos:
                sign = "-" if rest < 0 or nanos < 0 else ""
                fraction = f".{abs(nanos):09d}".rstrip("0") if nanos else ""
                parts.append(f"{sign}{abs(rest)}{fraction}S")
        return "".join(parts)


TEMPORAL_TYPES = (Date, LocalTime, Time, LocalDateTime, DateTime, Duration)


# ---------------------------------------------------------------- components


def _year(v: Instant) -> int:
    return civil_from_days(v.day)[0]


def _month(v: Instant) -> int:
    return civil_from_days(v.day)[1]


def _quarter_start(v: Instant) -> int:
    year, month, _ = civil_from_days(v.day)
    return days_from_civil(year, month - (month - 1) % 3, 1)


def _has_date(v: Instant) -> bool:
    return v.HAS_DATE


def _has_time(v: Instant) -> bool:
    return v.HAS_TIME


def _has_zone(v: Instant) -> bool:
    return v.HAS_ZONE


def _is_datetime(v: Instant) -> bool:
    return type(v) is DateTime


def _timezone(v: Instant) -> str:
    name = getattr(v, "zone_name", None)
    return format_offset(v.offset) if name is None else name


_ACCESSORS = {
    "year": (_has_date, _year),
    "quarter": (_has_date, lambda v: (_month(v) - 1) // 3 + 1),
    "month": (_has_date, _month),
    "week": (_has_date, lambda v: week_fields(v.day)[1]),
    "weekYear": (_has_date, lambda v: week_fields(v.day)[0]),
    "day": (_has_date, lambda v: civil_from_days(v.day)[2]),
    "ordinalDay": (_has_date, lambda v: v.day - days_from_civil(_year(v), 1, 1) + 1),
    "weekDay": (_has_date, lambda v: day_of_week(v.day)),
    "dayOfWeek": (_has_date, lambda v: day_of_week(v.day)),
    "dayOfQuarter": (_has_date, lambda v: v.day - _quarter_start(v) + 1),
    "hour": (_has_time, lambda v: v.nano // (3600 * NANOS_PER_SECOND)),
    "minute": (_has_time, lambda v: v.nano // (60 * NANOS_PER_SECOND) % 60),
    "second": (_has_time, lambda v: v.nano // NANOS_PER_SECOND % 60),
    "millisecond": (_has_time, lambda v: v.nano % NANOS_PER_SECOND // 1_000_000),
    "microsecond": (_has_time, lambda v: v.nano % NANOS_PER_SECOND // 1000),
    "nanosecond": (_has_time, lambda v: v.nano % NANOS_PER_SECOND),
    "timezone": (_has_zone, _timezone),
    "offset": (_has_zone, lambda v: format_offset(v.offset)),
    "offsetMinutes": (_has_zone, lambda v: v.offset // 60),
    "offsetSeconds": (_has_zone, lambda v: v.offset),
    "epochSeconds": (_is_datetime, lambda v: v.epoch_nanos() // NANOS_PER_SECOND),
    "epochMillis": (_is_datetime, lambda v: v.epoch_nanos() // 1_000_000),
}

_DURATION_ACCESSORS = {
    "years": lambda d: trunc_div(d.months, 12),
    "quarters": lambda d: trunc_div(d.months, 3),
    "months": lambda d: d.months,
    "weeks": lambda d: trunc_div(d.days, 7),
    "days": lambda d: d.days,
    "hours": lambda d: trunc_div(d.seconds, 3600),
    "minutes": lambda d: trunc_div(d.seconds, 60),
    "seconds": lambda d: d.seconds,
    "milliseconds": lambda d: d.seconds * 1000 + d.nanos // 1_000_000,
    "microseconds": lambda d: d.seconds * 1_000_000 + d.nanos // 1000,
    "nanoseconds": lambda d: d.total_nanos(),
    "quartersOfYear": lambda d: trunc_rem(trunc_div(d.months, 3), 4),
    "monthsOfQuarter": lambda d: trunc_rem(d.months, 3),
    "monthsOfYear": lambda d: trunc_rem(d.months, 12),
    "daysOfWeek": lambda d: trunc_rem(d.days, 7),
    "minutesOfHour": lambda d: trunc_rem(trunc_div(d.seconds, 60), 60),
    "secondsOfMinute": lambda d: trunc_rem(d.seconds, 60),
    "millisecondsOfSecond": lambda d: d.nanos // 1_000_000,
    "microsecondsOfSecond": lambda d: d.nanos // 1000,
    "nanosecondsOfSecond": lambda d: d.nanos,
}


def component(value: Temporal, key: str) -> Any:
    """Read ``value.key`` in a query.

    :raises QueryArgumentError: the type has no such component.
    """
    found = value.component(key)
    if found is None:
        raise fail(f"{type(value).__name__.upper()} has no component {key!r}")
    return found


# ---------------------------------------------------------------- comparison and arithmetic


def compare(left: Temporal, right: Temporal) -> int | None:
    """Order two temporal values of one type: -1, 0 or 1; None for durations (never comparable)."""
    if type(left) is Duration:
        return None
    a, b = left.key(), right.key()
    return -1 if a < b else (1 if a > b else 0)


_CYPHER_NAMES = {bool: "BOOLEAN", int: "INTEGER", float: "FLOAT", str: "STRING", list: "LIST", dict: "MAP"}


def _type_error(op: str, left: Any, right: Any) -> QueryTypeError:
    names = [_CYPHER_NAMES.get(type(v), type(v).__name__.upper()) for v in (left, right)]
    return QueryTypeError(f"cannot apply {op} to {names[0]} and {names[1]}", "InvalidArgumentType")


def shift(value: Instant, duration: Duration) -> Instant:
    """Add a duration to an instant; the units the instant's type lacks are ignored.

    A date takes the seconds group in whole days (toward zero), as Neo4j does: ``PT36H`` moves it
    one day, ``PT23H`` not at all.
    """
    kind = type(value)
    if kind is Date:
        nanos = duration.total_nanos()
        whole_days = abs(nanos) // NANOS_PER_DAY * (1 if nanos >= 0 else -1)
        return Date(plus_months(value.day, duration.months) + duration.days + whole_days)
    if kind is LocalTime:
        return LocalTime(value.nano + duration.total_nanos())
    if kind is Time:
        return Time(value.nano + duration.total_nanos(), value.offset)
    day = plus_months(value.day, duration.months) + duration.days
    if kind is LocalDateTime:
        return LocalDateTime(day, value.nano + duration.total_nanos())
    moved = DateTime.of_local(day, value.nano, value.zone)
    return DateTime.of_instant(moved.epoch_nanos() + duration.total_nanos(), value.zone)


def add(left: Any, right: Any) -> Any:
    """Apply ``+`` where one operand is temporal: instant + duration, or duration + duration."""
    if type(left) is Duration and type(right) is Duration:
        return Duration(
            left.months + right.months, left.days + right.days, left.seconds + right.seconds, left.nanos + right.nanos
        )
    if type(right) is Duration and isinstance(left, Instant):
        return shift(left, right)
    if type(left) is Duration and isinstance(right, Instant):
        return shift(right, left)
    raise _type_error("+", left, right)


def subtract(left: Any, right: Any) -> Any:
    """Apply ``-``: instant - duration or duration - duration."""
    if type(right) is Duration and isinstance(left, (Instant, Duration)):
        return add(left, -right)
    raise _type_error("-", left, right)


def _factor(value: Any) -> Fraction | None:
    kind = type(value)
    if kind is int:
        return Fraction(value)
    if kind is float and value == value and value not in (float("inf"), float("-inf")):
        return Fraction(value)
    return None


def scale(duration: Duration, factor: Fraction) -> Duration:
    """Multiply a duration by a number, carrying fractions into smaller units."""
    return Duration.approximate(
        duration.months * factor, duration.days * factor, Fraction(duration.total_nanos(), NANOS_PER_SECOND) * factor
    )


def multiply(left: Any, right: Any) -> Any:
    """Apply ``*`` to a duration and a number (either way round)."""
    if type(left) is Duration and (factor := _factor(right)) is not None:
        return scale(left, factor)
    if type(right) is Duration and (factor := _factor(left)) is not None:
        return scale(right, factor)
    raise _type_error("*", left, right)


def divide(left: Any, right: Any) -> Any:
    """Apply ``/`` to a duration and a number.

    :raises QueryArgumentError: DivisionByZero.
    """
    factor = _factor(right)
    if type(left) is not Duration or factor is None:
        raise _type_error("/", left, right)
    if factor == 0:
        raise QueryArgumentError("division of a duration by zero", "DivisionByZero")
    return scale(left, 1 / factor)
