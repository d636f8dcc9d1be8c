"""Readings: loose date arguments as one SearchFilter (checked against botocore's own model of SearchImageSets), with
the plain-words line; time zones, DST changes and open sides."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import botocore.session
import pytest
from hypothesis import given, settings, strategies as st
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator

from imageset_search.tools.dates import DateParseError
from imageset_search.tools.dates.readings import (
    OPEN_INSTANT_END, OPEN_INSTANT_START, read_instant_range, read_study_date, today_in,
)
from imageset_search.tools.dates.values import NormalizeError

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def study(day: str, clock: str) -> dict:
    return {"DICOMStudyDateAndTime": {"DICOMStudyDate": day, "DICOMStudyTime": clock}}


def boto3_accepts(reading) -> None:
    """The filter validates and serializes with botocore's model, as boto3 would send it."""
    model = botocore.session.get_session().get_service_model("medical-imaging")
    operation = model.operation_model("SearchImageSets")
    params = {"datastoreId": "0" * 32,
              "searchCriteria": {"filters": [{"operator": reading.operator, "values": reading.values}]}}
    report = ParamValidator().validate(params, operation.input_shape)
    assert not report.has_errors(), report.generate_report()
    create_serializer("rest-json").serialize_to_request(params, operation)


def test_a_phrase_becomes_a_between_over_whole_days():
    reading = read_study_date("last March", today=date(2026, 12, 1), tz_name="Europe/Berlin")
    assert reading.operator == "BETWEEN"
    assert reading.values == [study("20260301", "000000"), study("20260331", "235959.999999")]
    assert reading.said == ('study date 2026-03-01 to 2026-03-31 (from "last March", today 2026-12-01 in '
                            'Europe/Berlin)')
    boto3_accepts(reading)


def test_surrounding_words_read_the_same():
    plain = read_study_date("Q1 2020", today=date(2026, 12, 1), tz_name="UTC")
    worded = read_study_date("scans done in Q1 2020", today=date(2026, 12, 1), tz_name="UTC")
    assert plain.values == worded.values


def test_open_sides_get_the_documented_bounds():
    before = read_study_date("before 2015", today=date(2026, 12, 1), tz_name="UTC")
    assert before.values == [study("19000101", "000000"), study("20141231", "235959.999999")]
    assert before.said.startswith("study date up to 2014-12-31 ")
    after = read_study_date("20230101-", today=date(2026, 12, 1), tz_name="UTC")
    assert after.values == [study("20230101", "000000"), study("99991231", "235959.999999")]
    assert after.said.startswith("study date from 2023-01-01 on ")
    boto3_accepts(before)


def test_from_and_to_take_the_start_and_the_end_of_their_phrases():
    reading = read_study_date({"from": "March 2021", "to": "Q2 2021"}, today=date(2026, 12, 1), tz_name="UTC")
    assert reading.values == [study("20210301", "000000"), study("20210630", "235959.999999")]
    assert 'from "March 2021", to "Q2 2021"' in reading.said
    only_to = read_study_date({"from": None, "to": "2019"}, today=date(2026, 12, 1), tz_name="UTC")
    assert only_to.values[1] == study("20191231", "235959.999999")


def test_numbers_and_date_objects_read_as_the_dates_they_spell():
    today = date(2026, 12, 1)
    assert read_study_date(20230115, today=today, tz_name="UTC").values[0] == study("20230115", "000000")
    assert read_study_date({"from": 2019, "to": date(2020, 5, 6)}, today=today, tz_name="UTC").values == [
        study("20190101", "000000"), study("20200506", "235959.999999")]
    with pytest.raises(NormalizeError, match="study_date"):
        read_study_date(True, today=today, tz_name="UTC")


def test_aws_exact_value_is_normalized_and_equal():
    reading = read_study_date({"DICOMStudyDate": "2023-01-15", "DICOMStudyTime": "14:30"},
                              today=date(2026, 12, 1), tz_name="UTC")
    assert reading.operator == "EQUAL"
    assert reading.values == [{"DICOMStudyDateAndTime": {"DICOMStudyDate": "20230115", "DICOMStudyTime": "143000"}}]
    date_only = read_study_date({"DICOMStudyDate": "1997.04.24"}, today=date(2026, 12, 1), tz_name="UTC")
    assert date_only.values == [{"DICOMStudyDateAndTime": {"DICOMStudyDate": "19970424"}}]
    boto3_accepts(reading)


def test_bad_study_date_arguments_say_what_to_send():
    with pytest.raises(NormalizeError, match="DICOMStudyDate"):
        read_study_date({"DICOMStudyDate": "20230115", "time": "1"}, today=date(2026, 12, 1), tz_name="UTC")
    with pytest.raises(NormalizeError, match="calendar date"):
        read_study_date({"DICOMStudyDate": "20230230"}, today=date(2026, 12, 1), tz_name="UTC")
    with pytest.raises(NormalizeError, match='"from"'):
        read_study_date({"start": "2020"}, today=date(2026, 12, 1), tz_name="UTC")
    with pytest.raises(DateParseError, match="ends before it starts"):
        read_study_date({"from": "2021", "to": "2019"}, today=date(2026, 12, 1), tz_name="UTC")
    with pytest.raises(DateParseError, match="1900"):
        read_study_date("before 1850", today=date(2026, 12, 1), tz_name="UTC")
    with pytest.raises(DateParseError, match="Understood forms"):
        read_study_date("whenever", today=date(2026, 12, 1), tz_name="UTC")


def test_instants_come_from_the_zones_local_midnights():
    reading = read_instant_range("yesterday", attribute="updatedAt", now=NOW, tz=BERLIN)
    assert reading.operator == "BETWEEN"
    assert reading.values == [{"updatedAt": datetime(2026, 11, 29, 23, 0, tzinfo=UTC)},
                              {"updatedAt": datetime(2026, 11, 30, 22, 59, 59, 999000, tzinfo=UTC)}]
    assert reading.said == ('updated 2026-11-30 00:00 to 2026-11-30 23:59:59.999 Europe/Berlin '
                            '(2026-11-29T23:00:00Z to 2026-11-30T22:59:59.999Z; from "yesterday")')
    boto3_accepts(reading)


def test_a_range_crossing_the_spring_change_is_one_hour_short():
    reading = read_instant_range("2026-03-28 to 2026-03-30", attribute="createdAt", now=NOW, tz=BERLIN)
    low, high = (value["createdAt"] for value in reading.values)
    assert low == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert high == datetime(2026, 3, 30, 21, 59, 59, 999000, tzinfo=UTC)
    assert high - low == timedelta(days=3, hours=-1, milliseconds=-1)


def test_the_autumn_change_day_is_twenty_five_hours():
    reading = read_instant_range("2026-10-25", attribute="createdAt", now=NOW, tz=BERLIN)
    low, high = (value["createdAt"] for value in reading.values)
    assert (low, high) == (datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
                           datetime(2026, 10, 25, 22, 59, 59, 999000, tzinfo=UTC))


def test_a_midnight_skipped_by_the_clock_starts_the_day_at_one():
    santiago = ZoneInfo("America/Santiago")
    reading = read_instant_range("2022-09-11", attribute="createdAt", now=NOW, tz=santiago)
    low = reading.values[0]["createdAt"]
    assert low == datetime(2022, 9, 11, 4, 0, tzinfo=UTC)
    assert low.astimezone(santiago).hour == 1


def test_today_is_the_configured_zones_today():
    noon_utc = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert today_in(ZoneInfo("Pacific/Auckland"), noon_utc) == date(2026, 12, 2)
    assert today_in(ZoneInfo("America/Los_Angeles"), datetime(2026, 12, 1, 3, 0, tzinfo=UTC)) == date(2026, 11, 30)
    assert today_in(UTC, datetime(2026, 12, 1, 3, 0)) == date(2026, 12, 1)
    auckland = read_instant_range("today", attribute="createdAt", now=noon_utc, tz=ZoneInfo("Pacific/Auckland"))
    assert auckland.values[0]["createdAt"] == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_exact_timestamps_pass_through_unchanged():
    offset = read_instant_range("2026-11-30T23:00:00+01:00", attribute="createdAt", now=NOW, tz=BERLIN)
    assert offset.operator == "EQUAL"
    assert offset.values == [{"createdAt": datetime(2026, 11, 30, 22, 0, tzinfo=UTC)}]
    zulu = read_instant_range("2026-11-30T22:00:00.250Z", attribute="createdAt", now=NOW, tz=BERLIN)
    assert zulu.values == [{"createdAt": datetime(2026, 11, 30, 22, 0, 0, 250000, tzinfo=UTC)}]
    epoch = read_instant_range(1764540000.5, attribute="updatedAt", now=NOW, tz=BERLIN)
    assert epoch.values == [{"updatedAt": datetime.fromtimestamp(1764540000.5, UTC)}]
    pair = read_instant_range({"from": 1764540000, "to": "2026-12-01T00:00:00Z"}, attribute="updatedAt",
                              now=NOW, tz=BERLIN)
    assert pair.values == [{"updatedAt": datetime.fromtimestamp(1764540000, UTC)},
                           {"updatedAt": datetime(2026, 12, 1, tzinfo=UTC)}]
    boto3_accepts(pair)


def test_open_instant_sides_get_the_documented_bounds():
    before = read_instant_range("before 2025", attribute="createdAt", now=NOW, tz=BERLIN)
    assert before.values[0] == {"createdAt": OPEN_INSTANT_START}
    assert before.values[1] == {"createdAt": datetime(2024, 12, 31, 22, 59, 59, 999000, tzinfo=UTC)}
    since = read_instant_range({"from": "2026-11-01"}, attribute="createdAt", now=NOW, tz=BERLIN)
    assert since.values == [{"createdAt": datetime(2026, 10, 31, 23, 0, tzinfo=UTC)}, {"createdAt": OPEN_INSTANT_END}]
    assert "from 2026-11-01 00:00 Europe/Berlin on" in since.said
    boto3_accepts(since)


def test_bad_instant_arguments():
    with pytest.raises(NormalizeError) as raised:
        read_instant_range("today", attribute="DICOMStudyDate", now=NOW, tz=BERLIN)
    assert raised.value.field == "attribute"
    with pytest.raises(ValueError, match="timezone-aware"):
        read_instant_range("today", attribute="createdAt", now=datetime(2026, 12, 1), tz=BERLIN)
    with pytest.raises(NormalizeError, match="true/false"):
        read_instant_range(True, attribute="createdAt", now=NOW, tz=BERLIN)
    with pytest.raises(DateParseError, match="ends before it starts"):
        read_instant_range({"from": "2026-11-02", "to": "2026-11-01"}, attribute="createdAt", now=NOW, tz=BERLIN)
    with pytest.raises(NormalizeError, match="ISO 8601"):
        read_instant_range("2026-13-01T00:00:00Z", attribute="createdAt", now=NOW, tz=BERLIN)
    with pytest.raises(DateParseError, match="1970"):
        read_instant_range("before 1960", attribute="createdAt", now=NOW, tz=BERLIN)
    assert read_instant_range("9999", attribute="createdAt", now=NOW, tz=UTC).values[1] == {
        "createdAt": OPEN_INSTANT_END}


DST_ZONES = ["Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe",
             "Asia/Kolkata", "Pacific/Chatham", "UTC"]


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2037, 12, 31)), st.sampled_from(DST_ZONES))
def test_every_local_day_is_its_zones_midnight_to_midnight(day, zone):
    tz = ZoneInfo(zone)
    low, high = (value["createdAt"] for value in
                 read_instant_range(day.isoformat(), attribute="createdAt", now=NOW, tz=tz).values)
    assert low.tzinfo == UTC and high.tzinfo == UTC
    assert low.astimezone(tz).date() == day and (high + timedelta(milliseconds=1)).astimezone(tz).date() > day
    assert (high + timedelta(milliseconds=1) - low) in {timedelta(hours=hours) for hours in (23, 23.5, 24, 24.5, 25)}


PHRASE_WORDS = st.sampled_from("last next since before after until from to between and the week month year ago 2019 "
                               "12 31 march q1 1969 9999 - yesterday today few days 5 early late christmas".split())


@settings(max_examples=300, deadline=None)
@given(st.lists(PHRASE_WORDS, min_size=1, max_size=5).map(" ".join), st.sampled_from(DST_ZONES))
def test_any_phrase_gives_an_ordered_filter_or_a_documented_error(phrase, zone):
    try:
        study_reading = read_study_date(phrase, today=date(2026, 12, 1), tz_name=zone)
        instant_reading = read_instant_range(phrase, attribute="updatedAt", now=NOW, tz=ZoneInfo(zone))
    except (DateParseError, NormalizeError):
        return
    low, high = (value["DICOMStudyDateAndTime"] for value in study_reading.values)
    assert (low["DICOMStudyDate"], low["DICOMStudyTime"]) <= (high["DICOMStudyDate"], high["DICOMStudyTime"])
    first, last = (value["updatedAt"] for value in instant_reading.values)
    assert first <= last
