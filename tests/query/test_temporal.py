"""Cypher temporal values: parsing, printing, components, arithmetic, ordering and storage."""

from __future__ import annotations

import datetime as pydt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bfxdb.errors import QueryArgumentError, QueryTypeError
from bfxdb.query.temporal import (
    Date,
    DateTime,
    Duration,
    LocalDateTime,
    LocalTime,
    Time,
    add,
    between,
    decode_property,
    encode_property,
    parse,
)
from bfxdb.query.temporal.types import civil_from_days, days_from_civil
from bfxdb.query.values import compare, equals, order_key


def scalar(db, text: str, parameters: dict | None = None):
    return db.query(text, parameters).scalar()


def test_civil_days_agree_with_python_inside_its_range():
    for day in range(-719_162, 2_932_896, 997):  # Python's years 1 to 9999
        expected = pydt.date(1970, 1, 1) + pydt.timedelta(days=day)
        assert civil_from_days(day) == (expected.year, expected.month, expected.day)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_civil_days_round_trip_for_any_year(day):
    assert days_from_civil(*civil_from_days(day)) == day


@pytest.mark.parametrize(
    ("kind", "text", "printed"),
    [
        (Date, "2015-W30-2", "2015-07-21"),
        (Date, "2015202", "2015-07-21"),
        (Date, "2015-Q2-60", "2015-05-30"),
        (Date, "+2015-W13-4", "2015-03-26"),
        (Date, "-0001-01-01", "-0001-01-01"),
        (Date, "+999999999-12-31", "+999999999-12-31"),
        (LocalTime, "214032.142", "21:40:32.142"),
        (LocalTime, "21", "21:00"),
        (Time, "2140-00:00", "21:40Z"),
        (Time, "12:00:00.000001+0530", "12:00:00.000001+05:30"),
        (LocalDateTime, "2015-W30T2140", "2015-07-20T21:40"),
        (DateTime, "2015-07-21T21:40:32.142[Europe/London]", "2015-07-21T21:40:32.142+01:00[Europe/London]"),
        (DateTime, "2015-07-21T21:40:32.142-04[America/New_York]", "2015-07-21T21:40:32.142-04:00[America/New_York]"),
        (Duration, "P5M1.5D", "P5M1DT12H"),
        (Duration, "P0.75M", "P22DT19H51M49.5S"),
        (Duration, "P2012-02-02T14:37:21.545", "P2012Y2M2DT14H37M21.545S"),
        (Duration, "PT-1M-0.001S", "PT-1M-0.001S"),
        (Duration, "PT0S", "PT0S"),
    ],
)
def test_strings_parse_to_the_printed_form(kind, text, printed):
    assert str(parse(kind, text)) == printed


@pytest.mark.parametrize(
    ("kind", "text"),
    [(Date, "2015-13-01"), (Date, "2015-02-30"), (LocalTime, "24:00"), (Time, "12:00[Europe/Paris]"), (Duration, "P")],
)
def test_malformed_strings_are_refused(kind, text):
    with pytest.raises(QueryArgumentError):
        parse(kind, text)


def test_offset_must_agree_with_the_named_zone():
    with pytest.raises(QueryArgumentError):
        parse(DateTime, "2015-07-21T21:40+01:00[Europe/Stockholm]")


def test_unknown_time_zone_is_refused(db):
    with pytest.raises(QueryArgumentError):
        scalar(db, "RETURN datetime({year: 2000, timezone: 'Mars/Olympus'})")
    with pytest.raises(QueryArgumentError):
        scalar(db, "RETURN datetime({year: 2000, timezone: '../../etc/passwd'})")


def test_nanoseconds_survive_construction_and_printing(db):
    value = scalar(db, "RETURN localtime({hour: 12, minute: 31, second: 14, nanosecond: 645876123})")
    assert str(value) == "12:31:14.645876123"
    assert scalar(db, "RETURN localtime('12:31:14.645876123').nanosecond") == 645876123


def test_components_of_a_zoned_datetime(db):
    row = db.query(
        "WITH datetime({year: 1984, month: 11, day: 11, hour: 12, minute: 31, second: 14, "
        "nanosecond: 645876123, timezone: 'Europe/Stockholm'}) AS d "
        "RETURN d.week, d.weekYear, d.dayOfQuarter, d.timezone, d.offset, d.epochSeconds, d.epochMillis"
    ).rows[0]
    assert row == (45, 1984, 42, "Europe/Stockholm", "+01:00", 469020674, 469020674645)


def test_missing_component_is_an_error(db):
    with pytest.raises(QueryArgumentError):
        scalar(db, "RETURN date('2015-01-01').hour")


def test_duration_components_split_groups():
    d = parse(Duration, "P1Y4M10DT1H1M1.111111111S")
    assert (d.component("months"), d.component("quarters"), d.component("monthsOfQuarter")) == (16, 5, 1)
    assert (d.component("weeks"), d.component("daysOfWeek")) == (1, 3)
    assert (d.component("minutes"), d.component("secondsOfMinute"), d.component("nanosecondsOfSecond")) == (
        61,
        1,
        111111111,
    )


def test_arithmetic_with_durations(db):
    assert str(scalar(db, "RETURN date('2011-01-31') + duration('P1M')")) == "2011-02-28"
    assert str(scalar(db, "RETURN time('13:42:19') + duration({days: 1, hours: 12})")) == "01:42:19Z"
    assert str(scalar(db, "RETURN duration({days: 2, hours: 7}) + duration({months: 1, hours: 18})")) == "P1M2DT25H"
    assert str(scalar(db, "RETURN duration({hours: 3, minutes: 16}) / 2")) == "PT1H38M"
    assert str(scalar(db, "RETURN 14 * duration({hours: 5, minutes: 21})")) == "PT74H54M"
    assert str(scalar(db, "RETURN -duration('P1D')")) == "P-1D"
    with pytest.raises(QueryTypeError):
        scalar(db, "RETURN date('2015-01-01') - date('2014-01-01')")


def test_adding_across_a_dst_change_keeps_the_local_time(db):
    text = "RETURN datetime('2017-03-25T12:00[Europe/Stockholm]') + duration('P1D')"
    assert str(scalar(db, text)) == "2017-03-26T12:00+02:00[Europe/Stockholm]"


def test_a_local_time_in_a_dst_gap_moves_forward():
    assert str(parse(DateTime, "2017-03-26T02:30[Europe/Stockholm]")) == "2017-03-26T03:30+02:00[Europe/Stockholm]"


def test_duration_between_borrows_what_a_side_lacks(db):
    assert str(scalar(db, "RETURN duration.between(date('1984-10-11'), date('2015-06-24'))")) == "P30Y8M13D"
    # The local time takes the date and zone of the other side: 04:00 on the day DST ends is five hours on.
    text = (
        "RETURN duration.inSeconds(datetime({year: 2017, month: 10, day: 29, timezone: 'Europe/Stockholm'}), "
        "localtime({hour: 4}))"
    )
    assert str(scalar(db, text)) == "PT5H"


def test_comparison_is_within_one_type_and_durations_only_test_equality():
    assert compare(parse(Time, "10:00+01:00"), parse(Time, "09:35Z")) == -1
    assert compare(parse(Date, "2015-01-01"), parse(LocalDateTime, "2015-01-01T00:00")) is None
    assert equals(parse(Date, "2015-01-01"), parse(LocalDateTime, "2015-01-01T00:00")) is False
    assert equals(parse(Duration, "PT70S"), parse(Duration, "PT1M10S")) is True
    assert equals(parse(Duration, "P1D"), parse(Duration, "PT24H")) is False
    assert compare(parse(Duration, "P1D"), parse(Duration, "P2D")) is None


def test_zoned_instants_are_equal_at_the_same_point_in_time_but_order_west_to_east(db):
    row = db.query(
        "WITH datetime('2015-07-21T21:40+02:00[Europe/Stockholm]') AS a, datetime('2015-07-21T19:40Z') AS b "
        "RETURN a = b, a < b, time('12:00+01:00') = time('11:00Z')"
    ).rows[0]
    assert row == (True, False, True)
    ordered = db.query("UNWIND [time('12:00+01:00'), time('11:00Z'), time('10:00-01:00')] AS t RETURN t ORDER BY t")
    assert [str(t) for (t,) in ordered.rows] == ["10:00-01:00", "11:00Z", "12:00+01:00"]


def test_order_by_ranks_temporal_types_between_paths_and_strings():
    values = [
        "a",
        parse(Duration, "P1D"),
        parse(LocalTime, "12:00"),
        parse(Time, "12:00Z"),
        parse(Date, "2015-01-01"),
        parse(LocalDateTime, "2015-01-01T00:00"),
        parse(DateTime, "2015-01-01T00:00Z"),
        [1],
    ]
    ordered = sorted(values, key=order_key)
    assert [type(v).__name__ for v in ordered] == [
        "list",
        "DateTime",
        "LocalDateTime",
        "Date",
        "Time",
        "LocalTime",
        "Duration",
        "str",
    ]


def test_durations_order_by_their_average_length():
    durations = [parse(Duration, text) for text in ("P1M", "P31D", "P30D", "PT721H")]
    assert [str(d) for d in sorted(durations, key=order_key)] == ["P30D", "PT721H", "P1M", "P31D"]


def test_min_max_and_collect(db):
    row = db.query(
        "UNWIND [date('2015-03-01'), date('2014-01-01'), date('2016-06-30')] AS d RETURN min(d), max(d), collect(d)"
    ).rows[0]
    assert [str(v) for v in row[:2]] == ["2014-01-01", "2016-06-30"]
    assert len(row[2]) == 3


def test_the_clock_is_fixed_within_a_query(db):
    row = db.query("UNWIND range(1, 50) AS i WITH datetime() AS now RETURN count(DISTINCT now)").rows[0]
    assert row == (1,)


def test_properties_round_trip_through_the_store(file_db):
    file_db.query(
        "CREATE (:Event {on: date('2015-07-21'), at: datetime('2015-07-21T21:40:32.142+02:00[Europe/Stockholm]'), "
        "took: duration('P1Y2M10DT12H45M30.5S'), slots: [localtime('09:00'), localtime('13:30:00.000000001')]})"
    )
    row = file_db.query("MATCH (e:Event) RETURN e.on, e.at, e.took, e.slots").rows[0]
    assert [str(v) for v in row[:3]] == [
        "2015-07-21",
        "2015-07-21T21:40:32.142+02:00[Europe/Stockholm]",
        "P1Y2M10DT12H45M30.5S",
    ]
    assert [str(v) for v in row[3]] == ["09:00", "13:30:00.000000001"]
    assert file_db.query("MATCH (e:Event {on: date('2015-07-21')}) RETURN count(e)").scalar() == 1
    stored = file_db.query("MATCH (e:Event) RETURN e").scalar()
    assert stored.metadata["on"] == parse(Date, "2015-07-21")


def test_temporal_parameters_are_accepted(db):
    value = parse(Date, "2015-07-21")
    assert db.query("RETURN $d + duration('P1D') AS next", {"d": value}).scalar() == parse(Date, "2015-07-22")


def test_stored_json_form_is_tagged():
    assert encode_property(parse(Date, "2015-07-21")) == {"$temporal": "date", "value": "2015-07-21"}
    assert encode_property([1, 2]) == [1, 2]


instants = st.one_of(
    st.builds(Date, st.integers(-(10**9), 10**9)),
    st.builds(LocalTime, st.integers(0, 86_400 * 10**9 - 1)),
    st.builds(Time, st.integers(0, 86_400 * 10**9 - 1), st.integers(-18 * 3600, 18 * 3600)),
    st.builds(LocalDateTime, st.integers(-(10**9), 10**9), st.integers(0, 86_400 * 10**9 - 1)),
    st.builds(
        DateTime.of_instant,
        st.integers(-(10**20), 10**20),
        st.one_of(
            st.integers(-18 * 3600, 18 * 3600),
            st.sampled_from(["Europe/Stockholm", "America/New_York", "Asia/Kolkata"]),
        ),
    ),
    st.builds(
        Duration,
        st.integers(-(10**6), 10**6),
        st.integers(-(10**6), 10**6),
        st.integers(-(10**12), 10**12),
        st.integers(0, 10**9 - 1),
    ),
)


@given(instants)
def test_printed_form_parses_back_to_the_same_value(value):
    parsed = parse(type(value), str(value))
    assert type(parsed) is type(value) and parsed.fields() == value.fields()


@given(instants)
def test_stored_form_decodes_to_the_same_value(value):
    assert decode_property(encode_property(value)).fields() == value.fields()
    assert [item.fields() for item in decode_property(encode_property([value, value]))] == [value.fields()] * 2


@given(
    st.builds(LocalDateTime, st.integers(-(10**7), 10**7), st.integers(0, 86_400 * 10**9 - 1)),
    st.builds(LocalDateTime, st.integers(-(10**7), 10**7), st.integers(0, 86_400 * 10**9 - 1)),
)
def test_adding_duration_between_gets_back_to_the_end(start, end):
    assert add(start, between(start, end, None)) == end
