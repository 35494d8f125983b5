"""Read temporal values: ISO 8601 strings, date and time components, and stored properties.

A temporal property is stored in the JSON metadata column as the object
``{"$temporal": KIND, "value": TEXT}``: KIND is ``date``, ``localtime``,
``time``, ``localdatetime``, ``datetime`` or ``duration`` and TEXT the value's
``str()`` (its Cypher form, e.g. ``{"$temporal": "date", "value": "2015-07-21"}``),
which ``parse`` reads back exactly, to the nanosecond. A list property holds
such objects as its items. Cypher cannot store maps as property values, so
only metadata written through the Python API could hold this shape by chance
(and would then read as the temporal value). ``encode_properties`` and ``decode_properties`` are the only
place the form is made and read; the store sees only JSON.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from ...errors import QueryArgumentError
from .types import (
    NANOS_PER_DAY,
    NANOS_PER_SECOND,
    UTC,
    Date,
    DateTime,
    Duration,
    LocalDateTime,
    LocalTime,
    Temporal,
    Time,
    Zone,
    civil_from_days,
    day_of_week,
    days_from_civil,
    days_from_week_date,
    fail,
    is_leap,
    month_length,
    parse_offset,
    week_fields,
    weeks_in_year,
    zone_info,
)

# ---------------------------------------------------------------- parsing strings

_YEAR = r"(?P<year>[+-]\d+|\d{4})"
_DATE_FORMS = (
    re.compile(_YEAR + r"-?(?P<month>\d{2})-?(?P<day>\d{2})"),
    re.compile(_YEAR + r"-?W(?P<week>\d{2})(?:-?(?P<dayOfWeek>\d))?"),
    re.compile(_YEAR + r"-?Q(?P<quarter>\d)(?:-?(?P<dayOfQuarter>\d{2}))?"),
    re.compile(_YEAR + r"-?(?P<ordinalDay>\d{3})"),
    re.compile(_YEAR + r"(?:-?(?P<month>\d{2}))?"),
)
_TIME = re.compile(r"(?P<hour>\d{2})(?::?(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?)?")
_ZONE = re.compile(r"(?P<offset>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[(?P<name>[^\]]+)\])?$")


def _parse_date(text: str) -> int:
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match is not None:
            fields = {key: int(value) for key, value in match.groupdict().items() if value is not None}
            return date_from_fields(fields)
    raise fail(f"{text!r} is not a date")


def _parse_time(text: str) -> tuple[int, Zone | tuple[str, int] | None]:
    """Read ``time[zone]``: nanoseconds of the day and the zone written, if any.

    The zone is an offset, a zone name, or both as (name, offset) for ``+02:00[Europe/Stockholm]``.
    """
    match = _TIME.match(text)
    zone_match = _ZONE.match(text, match.end()) if match else None
    if match is None or zone_match is None:
        raise fail(f"{text!r} is not a time")
    fraction = match["fraction"] or ""
    nano = time_nanos(
        int(match["hour"]), int(match["minute"] or 0), int(match["second"] or 0), int(fraction.ljust(9, "0") or 0)
    )
    offset = None if zone_match["offset"] is None else parse_offset(zone_match["offset"])
    name = zone_match["name"]
    if name is None:
        return nano, offset
    zone_info(name)
    return nano, (name if offset is None else (name, offset))


def _split_datetime(text: str) -> tuple[str, str | None]:
    date_text, separator, time_text = text.partition("T")
    return date_text, (time_text if separator else None)


def parse(kind: type, text: str) -> Temporal:
    """Parse an ISO 8601 string (with Cypher's extensions) into a value of ``kind``.

    :param kind: one of the TEMPORAL_TYPES.
    :param text: e.g. ``"2015-W30-2"``, ``"21:40:32.142+0100"``, ``"P1Y2.5D"``.
    :raises QueryArgumentError: the text is not in a form for that type.
    """
    if kind is Duration:
        return parse_duration(text)
    if kind is Date:
        return Date(_parse_date(text))
    if kind in (LocalTime, Time):
        nano, zone = _parse_time(text[1:] if text.startswith("T") else text)
        if kind is LocalTime:
            if zone is not None:
                raise fail(f"{text!r} is not a local time")
            return LocalTime(nano)
        if isinstance(zone, (str, tuple)):
            raise fail(f"{text!r}: a time takes an offset, not a named zone")
        return Time(nano, UTC if zone is None else zone)
    date_text, time_text = _split_datetime(text)
    day = _parse_date(date_text)
    nano, zone = _parse_time(time_text) if time_text is not None else (0, None)
    if kind is LocalDateTime:
        if zone is not None:
            raise fail(f"{text!r} is not a local date time")
        return LocalDateTime(day, nano)
    if isinstance(zone, tuple):
        name, offset = zone
        value = DateTime.of_local(day, nano, name)
        if value.offset != offset:
            # The offset written wins only if the zone allows it (the later side of an overlap).
            value = DateTime.of_instant(day * NANOS_PER_DAY + nano - offset * NANOS_PER_SECOND, name)
            if value.offset != offset:
                raise fail(f"{text!r}: offset and time zone disagree")
        return value
    return DateTime.of_local(day, nano, UTC if zone is None else zone)


_NUMBER = r"([+-]?\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"(?P<sign>[+-])?P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_DURATION_AS_DATETIME = re.compile(
    r"(?P<sign>[+-])?P(?P<years>\d{4})-?(?P<months>\d{2})-?(?P<days>\d{2})"
    r"T(?P<hours>\d{2}):?(?P<minutes>\d{2}):?(?P<seconds>\d{2}(?:[.,]\d+)?)"
)


def _number(text: str | None) -> Fraction:
    return Fraction(text.replace(",", ".")) if text else Fraction(0)


def parse_duration(text: str) -> Duration:
    """Parse ``P[nY][nM][nW][nD][T[nH][nM][nS]]`` or ``P<date>T<time>``; fractions carry downwards.

    :raises QueryArgumentError: the text is neither form.
    """
    match = _DURATION.fullmatch(text)
    if match is not None and text.rstrip("T").lstrip("+-") not in ("P", ""):
        years, months, weeks, days, hours, minutes, seconds = (_number(group) for group in match.groups()[1:])
    else:
        match = _DURATION_AS_DATETIME.fullmatch(text)
        if match is None:
            raise fail(f"{text!r} is not a duration")
        years, months, days, hours, minutes, seconds = (_number(match[name]) for name in _DURATION_FIELDS[:6])
        weeks = Fraction(0)
    duration = Duration.approximate(years * 12 + months, weeks * 7 + days, hours * 3600 + minutes * 60 + seconds)
    return -duration if match["sign"] == "-" else duration


_DURATION_FIELDS = ("years", "months", "days", "hours", "minutes", "seconds")


# ---------------------------------------------------------------- building from fields


def _check_range(name: str, value: int, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        raise fail(f"{name} must be an integer from {low} to {high}, not {value!r}")
    return value


def time_nanos(hour: int, minute: int, second: int, nanosecond: int) -> int:
    """Nanoseconds of the day from checked components."""
    _check_range("hour", hour, 0, 23)
    _check_range("minute", minute, 0, 59)
    _check_range("second", second, 0, 59)
    _check_range("nanosecond", nanosecond, 0, NANOS_PER_SECOND - 1)
    return ((hour * 60 + minute) * 60 + second) * NANOS_PER_SECOND + nanosecond


def date_from_fields(fields: dict[str, int], base: int | None = None) -> int:
    """Resolve date components to an epoch day.

    :param fields: some of year, month, day, week, dayOfWeek, quarter, dayOfQuarter, ordinalDay.
    :param base: an epoch day supplying the components not given, in the form the
        given ones choose (calendar, week, quarter or ordinal date).
    :raises QueryArgumentError: a component is out of range or the year is missing.
    """
    if base is None and "year" not in fields:
        raise fail("a date needs a year")
    if base is not None:
        year, month, dom = civil_from_days(base)
    else:
        year, month, dom = fields["year"], 1, 1
    year = fields.get("year", year)
    if type(year) is not int:
        raise fail(f"year must be an integer, not {year!r}")
    if "week" in fields or "dayOfWeek" in fields:
        week_year, week = week_fields(base) if base is not None else (year, 1)
        if "year" in fields:
            week_year = year
        week = _check_range("week", fields.get("week", week), 1, weeks_in_year(week_year))
        weekday = fields.get("dayOfWeek", day_of_week(base) if base is not None else 1)
        return days_from_week_date(week_year, week, _check_range("dayOfWeek", weekday, 1, 7))
    if "ordinalDay" in fields:
        return (
            days_from_civil(year, 1, 1)
            + _check_range("ordinalDay", fields["ordinalDay"], 1, 366 if is_leap(year) else 365)
            - 1
        )
    if "quarter" in fields or "dayOfQuarter" in fields:
        quarter, day_of_quarter = 1, 1
        if base is not None:
            quarter = (month - 1) // 3 + 1
            day_of_quarter = base - days_from_civil(year_of(base), month - (month - 1) % 3, 1) + 1
        quarter = _check_range("quarter", fields.get("quarter", quarter), 1, 4)
        start = days_from_civil(year, quarter * 3 - 2, 1)
        length = days_from_civil(year + (quarter == 4), quarter * 3 % 12 + 1, 1) - start
        return start + _check_range("dayOfQuarter", fields.get("dayOfQuarter", day_of_quarter), 1, length) - 1
    month = _check_range("month", fields.get("month", month), 1, 12)
    dom = fields.get("day", dom if base is not None else 1)
    return days_from_civil(year, month, _check_range("day", dom, 1, month_length(year, month)))


def year_of(day: int) -> int:
    """The year of an epoch day."""
    return civil_from_days(day)[0]


# ---------------------------------------------------------------- property storage

_KINDS = {
    "date": Date,
    "localtime": LocalTime,
    "time": Time,
    "localdatetime": LocalDateTime,
    "datetime": DateTime,
    "duration": Duration,
}
_KIND_NAMES = {kind: name for name, kind in _KINDS.items()}
TAG = "$temporal"


def encode_property(value: Any) -> Any:
    """Turn a property value into its JSON form: temporal values (also inside lists) become tagged objects."""
    kind = type(value)
    if kind in _KIND_NAMES:
        return {TAG: _KIND_NAMES[kind], "value": str(value)}
    if kind is list and any(type(item) in _KIND_NAMES for item in value):
        return [encode_property(item) for item in value]
    return value


def encode_properties(properties: dict) -> dict:
    """Apply encode_property to every value of a property map (the same map if nothing changes)."""
    if not any(type(v) in _KIND_NAMES or type(v) is list for v in properties.values()):
        return properties
    return {key: encode_property(value) for key, value in properties.items()}


def _decoded(value: Any) -> Any:
    """The temporal value a tagged object stands for, or the object itself if it is not one."""
    if len(value) == 2 and type(value.get("value")) is str and value.get(TAG) in _KINDS:
        try:
            return parse(_KINDS[value[TAG]], value["value"])
        except QueryArgumentError:
            return value  # written by other means than a query: leave it as it is
    return value


def decode_property(value: Any) -> Any:
    """Undo encode_property: tagged objects (also inside lists) become temporal values."""
    if type(value) is dict:
        return _decoded(value)
    if type(value) is list and value and type(value[0]) is dict:
        return [_decoded(item) if type(item) is dict else item for item in value]
    return value


def decode_properties(properties: dict) -> dict:
    """Apply decode_property to every value of a stored property map (the same map if nothing changes)."""
    for value in properties.values():
        if type(value) is dict or (type(value) is list and value and type(value[0]) is dict):
            return {key: decode_property(item) for key, item in properties.items()}
    return properties
