"""One test per date convention (CONVENTIONS.md C1-C19 and the project's choices in tools/dates/phrases.py), each
with its own examples, said on Tuesday 2013-02-12 unless a test needs another day."""

from datetime import date

import pytest

from imageset_search.tools.dates import DateParseError, parse_date_range

TUESDAY = date(2013, 2, 12)


def d(text: str) -> date:
    return date.fromisoformat(text)


def check(cases, today=TUESDAY):
    for phrase, start, end in cases:
        expected = (d(start) if start else None, d(end) if end else None)
        assert parse_date_range(phrase, today) == expected, phrase


def test_c1_weeks_run_monday_to_sunday():
    check([("this week", "2013-02-11", "2013-02-17"), ("next week", "2013-02-18", "2013-02-24"),
           ("last week", "2013-02-04", "2013-02-10"), ("the week after next", "2013-02-25", "2013-03-03")])
    check([("this week", "2013-02-11", "2013-02-17")], today=date(2013, 2, 17))


def test_c2_weekend_is_saturday_and_sunday_of_the_week():
    check([("this weekend", "2013-02-16", "2013-02-17"), ("this past weekend", "2013-02-09", "2013-02-10"),
           ("next weekend", "2013-02-23", "2013-02-24"), ("the weekend", "2013-02-16", "2013-02-17")])


def test_c3_relative_whole_units():
    check([("last month", "2013-01-01", "2013-01-31"), ("this month", "2013-02-01", "2013-02-28"),
           ("next year", "2014-01-01", "2014-12-31"), ("current quarter", "2013-01-01", "2013-03-31"),
           ("previous quarter", "2012-10-01", "2012-12-31"), ("last decade", "2000-01-01", "2009-12-31"),
           ("this calendar year", "2013-01-01", "2013-12-31")])


def test_c4_rolling_windows_include_today():
    check([("last 2 weeks", "2013-01-29", "2013-02-12"), ("past few days", "2013-02-09", "2013-02-12"),
           ("3 past months", "2012-11-12", "2013-02-12"), ("the past 30 days", "2013-01-13", "2013-02-12"),
           ("last six months", "2012-08-12", "2013-02-12"), ("within 10 days", "2013-02-02", "2013-02-12")])


def test_in_the_past_unit_is_a_rolling_window_of_one_unit():
    check([("in the past year", "2012-02-12", "2013-02-12"), ("within the last month", "2013-01-12", "2013-02-12"),
           ("CT scans over the past week", "2013-02-05", "2013-02-12"), ("past year", "2012-01-01", "2012-12-31")])


def test_c4b_next_n_units_starts_tomorrow():
    check([("next 3 days", "2013-02-13", "2013-02-15"), ("next 2 weeks", "2013-02-13", "2013-02-26")])


def test_c5_units_ago_is_one_day_by_calendar_arithmetic():
    check([("two years ago", "2011-02-12", "2011-02-12"), ("1 month 2 days ago", "2013-01-10", "2013-01-10"),
           ("3 days before yesterday", "2013-02-08", "2013-02-08"), ("a fortnight ago", "2013-01-29", "2013-01-29")])
    check([("1 month ago", "2013-02-28", "2013-02-28")], today=date(2013, 3, 31))


def test_c6_past_preference_for_underspecified_dates():
    check([("March", "2012-03-01", "2012-03-31"), ("January", "2013-01-01", "2013-01-31"),
           ("friday", "2013-02-08", "2013-02-08"), ("tuesday", "2013-02-12", "2013-02-12"),
           ("the 15th", "2013-01-15", "2013-01-15"), ("the 12th", "2013-02-12", "2013-02-12"),
           ("Q2", "2012-04-01", "2012-06-30"), ("week 10", "2012-03-05", "2012-03-11"),
           ("dec 24", "2012-12-24", "2012-12-24"), ("friday the 13th", "2012-07-13", "2012-07-13")])


def test_c7_this_last_next_weekday():
    check([("this wednesday", "2013-02-13", "2013-02-13"), ("last wednesday", "2013-02-06", "2013-02-06"),
           ("next wednesday", "2013-02-20", "2013-02-20"), ("this past monday", "2013-02-11", "2013-02-11"),
           ("coming monday", "2013-02-18", "2013-02-18"), ("friday of last week", "2013-02-08", "2013-02-08"),
           ("next week monday", "2013-02-18", "2013-02-18")])


def test_c8_this_last_next_month_name_nearest_before_or_after_this_month():
    check([("last March", "2012-03-01", "2012-03-31"), ("next March", "2013-03-01", "2013-03-31"),
           ("last January", "2013-01-01", "2013-01-31"), ("last February", "2012-02-01", "2012-02-29"),
           ("this March", "2013-03-01", "2013-03-31"), ("march last year", "2012-03-01", "2012-03-31")])
    check([("last March", "2026-03-01", "2026-03-31"), ("next March", "2027-03-01", "2027-03-31"),
           ("last November", "2026-11-01", "2026-11-30")], today=date(2026, 12, 1))


def test_c9_ranges_share_fields_and_include_the_whole_end_unit():
    check([("July 13-15", "2012-07-13", "2012-07-15"), ("2014-2018", "2014-01-01", "2018-12-31"),
           ("from Nov to Jan", "2012-11-01", "2013-01-31"), ("between March 3 and now", "2012-03-03", "2013-02-12"),
           ("3 to 9 May 2011", "2011-05-03", "2011-05-09"), ("Dec 2010 - Feb 2011", "2010-12-01", "2011-02-28"),
           ("from 2019-05-01 to 2019-05-03", "2019-05-01", "2019-05-03"), ("jan-mar 2012", "2012-01-01", "2012-03-31"),
           ("last week from monday to wednesday", "2013-02-04", "2013-02-06"),
           ("between Jan 2020 and March 2021", "2020-01-01", "2021-03-31")])


def test_c10_open_and_half_open_bounds():
    check([("since August", "2012-08-01", "2013-02-12"), ("after 2010", "2011-01-01", "2013-02-12"),
           ("before 2012", None, "2011-12-31"), ("through 2011", None, "2011-12-31"), ("to date", None, "2013-02-12"),
           ("2011 or later", "2011-01-01", "2013-02-12"), ("more than 2 weeks before today", None, "2013-01-28"),
           ("year to date", "2013-01-01", "2013-02-12"), ("earlier this month", "2013-02-01", "2013-02-12"),
           ("from June 2012 onwards", "2012-06-01", "2013-02-12"), ("more than 1 year ago", None, "2012-02-11"),
           (">= 2012", "2012-01-01", "2013-02-12"), ("< 2012", None, "2011-12-31")])


def test_two_open_bounds_joined_by_and_intersect():
    check([("after 2010 and before 2012", "2011-01-01", "2011-12-31"),
           ("since March 2012 and until last month", "2012-03-01", "2013-01-31")])
    with pytest.raises(DateParseError, match="ends before it starts"):
        parse_date_range("before 2010 and after 2011", TUESDAY)


def test_since_a_future_start_leaves_the_upper_side_open():
    check([("since next month", "2013-03-01", None), ("after 2013", "2014-01-01", None)])


def test_from_alone_reads_the_period_itself():
    check([("from last March", "2012-03-01", "2012-03-31"), ("from 2011", "2011-01-01", "2011-12-31")])


def test_c11_parts_of_periods():
    check([("early next month", "2013-03-01", "2013-03-10"), ("mid 2012", "2012-05-01", "2012-08-31"),
           ("end of the week", "2013-02-15", "2013-02-17"), ("late last year", "2012-09-01", "2012-12-31"),
           ("mid-january", "2013-01-11", "2013-01-20"), ("beginning of this week", "2013-02-11", "2013-02-13"),
           ("late 90s", "1997-01-01", "1999-12-31"), ("eom", "2013-02-21", "2013-02-28")])


def test_c12_seasons_northern_astronomical():
    check([("this winter", "2012-12-21", "2013-03-20"), ("summer 2012", "2012-06-21", "2012-09-23"),
           ("last spring", "2012-03-20", "2012-06-21"), ("autumn 2010", "2010-09-23", "2010-12-21"),
           ("winter 2011", "2011-12-21", "2012-03-20")])


def test_c13_decades():
    check([("the 90s", "1990-01-01", "1999-12-31"), ("1980s", "1980-01-01", "1989-12-31"),
           ("the '60s", "1960-01-01", "1969-12-31"), ("the noughties", "2000-01-01", "2009-12-31"),
           ("the nineteen fifties", "1950-01-01", "1959-12-31"), ("the 20s", "1920-01-01", "1929-12-31")])


def test_c14_numeric_dates():
    check([("10/31/74", "1974-10-31", "1974-10-31"), ("31/10/74", "1974-10-31", "1974-10-31"),
           ("3/4/12", "2012-03-04", "2012-03-04"), ("04.03.2012", "2012-03-04", "2012-03-04"),
           ("1997.04.24", "1997-04-24", "1997-04-24"), ("19991122", "1999-11-22", "1999-11-22"),
           ("1999-11-22", "1999-11-22", "1999-11-22"), ("22/11/1999", "1999-11-22", "1999-11-22"),
           ("2012-7", "2012-07-01", "2012-07-31"), ("7/2012", "2012-07-01", "2012-07-31"),
           ("Nov 22 1999", "1999-11-22", "1999-11-22"), ("22 Nov 1999", "1999-11-22", "1999-11-22")])


def test_c15_times_and_parts_of_day_keep_the_calendar_day():
    check([("yesterday afternoon", "2013-02-11", "2013-02-11"), ("tonight", "2013-02-12", "2013-02-12"),
           ("last night", "2013-02-11", "2013-02-11"), ("Jan 5 2013 at 3pm", "2013-01-05", "2013-01-05"),
           ("2013-01-05T14:30:00Z", "2013-01-05", "2013-01-05"), ("1/5/2013 10:15", "2013-01-05", "2013-01-05")])


def test_c16_fixed_holidays_only():
    check([("christmas", "2012-12-25", "2012-12-25"), ("new year's eve", "2012-12-31", "2012-12-31"),
           ("halloween 2010", "2010-10-31", "2010-10-31"), ("valentine's day", "2012-02-14", "2012-02-14"),
           ("before independence day", None, "2012-07-03")])
    with pytest.raises(DateParseError):
        parse_date_range("easter", TUESDAY)


def test_c17_nth_week_of_month_or_year_by_thursday():
    check([("first week of 2015", "2014-12-29", "2015-01-04"), ("last week of March 2013", "2013-03-25", "2013-03-31"),
           ("the second week of this month", "2013-02-11", "2013-02-17"),
           ("last week of 2015", "2015-12-28", "2016-01-03")])


def test_c18_week_of_a_date():
    check([("week of Feb 6 2013", "2013-02-04", "2013-02-10"), ("w/c 4 feb 2013", "2013-02-04", "2013-02-10"),
           ("the week of July 4th 2022", "2022-07-04", "2022-07-10")])


def test_c19_duration_from_an_anchor_includes_both_anchor_days():
    check([("for 3 days from Jan 5", "2013-01-05", "2013-01-08"),
           ("a week starting 2012-06-01", "2012-06-01", "2012-06-08")])


def test_quarters_and_halves():
    check([("Q3 2021", "2021-07-01", "2021-09-30"), ("2019-q1", "2019-01-01", "2019-03-31"),
           ("H1 2020", "2020-01-01", "2020-06-30"), ("second half of last year", "2012-07-01", "2012-12-31"),
           ("the 3rd quarter of 2016", "2016-07-01", "2016-09-30")])


def test_first_and_last_day_of_a_period():
    check([("the last day of february 2012", "2012-02-29", "2012-02-29"),
           ("last day of the month", "2013-02-28", "2013-02-28"),
           ("first day of next month", "2013-03-01", "2013-03-01")])


def test_dicom_range_syntax():
    check([("20230101-20230315", "2023-01-01", "2023-03-15"), ("-20230315", None, "2023-03-15"),
           ("20230101-", "2023-01-01", None)])


def test_phrase_around_the_date_reads_the_same():
    check([("studies from last March", "2012-03-01", "2012-03-31"),
           ("scans done in Q1 2020", "2020-01-01", "2020-03-31"),
           ("prior studies since 2019", "2019-01-01", None),
           ("scans from the last 6 months", "2012-08-12", "2013-02-12")])


def test_spelled_numbers():
    check([("twenty second of june nineteen ninety nine", "1999-06-22", "1999-06-22"),
           ("from two thousand until two thousand and four", "2000-01-01", "2004-12-31"),
           ("three weeks ago", "2013-01-22", "2013-01-22")])


@pytest.mark.parametrize("phrase", ["banana", "", "   ", "last", "31/31/2020", "studies", "asdf 2019", "a month"])
def test_unreadable_text_says_what_is_understood(phrase):
    with pytest.raises(DateParseError) as raised:
        parse_date_range(phrase, TUESDAY)
    assert "Understood forms" in str(raised.value)
    assert "1999-11-22" in str(raised.value)


@pytest.mark.parametrize("phrase, problem", [("2023-02-30", "not a calendar date"),
                                             ("20230230-20230301", "not a calendar date"),
                                             ("2019 to 2014", "ends before it starts"),
                                             ("20230315-20230101", "ends before it starts")])
def test_impossible_dates_name_the_problem(phrase, problem):
    with pytest.raises(DateParseError, match=problem):
        parse_date_range(phrase, TUESDAY)


def test_not_text_is_refused():
    with pytest.raises(DateParseError, match="must be text"):
        parse_date_range(20230101, TUESDAY)


def test_leap_years():
    check([("Feb 29", "2012-02-29", "2012-02-29"), ("February 2000", "2000-02-01", "2000-02-29"),
           ("February 2100", "2100-02-01", "2100-02-28"), ("2/29/2016", "2016-02-29", "2016-02-29")])
    check([("Feb 29", "2016-02-29", "2016-02-29")], today=date(2019, 3, 1))
    check([("1 year ago", "2023-02-28", "2023-02-28"), ("last 1 month", "2024-01-29", "2024-02-29")],
          today=date(2024, 2, 29))
    check([("yesterday", "2024-02-29", "2024-02-29")], today=date(2024, 3, 1))
    with pytest.raises(DateParseError, match="not a calendar date"):
        parse_date_range("2/29/2019", TUESDAY)


@pytest.mark.parametrize("phrase", ["1980-02-30", "Feb 30 1980", "19800230-19800301", "born 1980 maybe",
                                    "30/30/1980", "31 june 1980", "1980 to 1979"])
def test_errors_never_repeat_the_phrase_or_its_date(phrase):
    """The reader also serves patient birth dates, which are patient data."""
    with pytest.raises(DateParseError) as raised:
        parse_date_range(phrase, TUESDAY)
    assert "1980" not in str(raised.value) and "1979" not in str(raised.value)


def test_everyday_forms_beyond_the_conventions():
    check([("2019-20", "2019-01-01", "2020-12-31"), ("1998-99", "1998-01-01", "1999-12-31"),
           ("6-12 months ago", "2012-02-12", "2012-08-12"), ("between 1 and 2 years ago", "2011-02-12", "2012-02-12"),
           ("May '19", "2019-05-01", "2019-05-31"), ("summer '09", "2009-06-21", "2009-09-23"),
           ("2020-01-01..2020-03-31", "2020-01-01", "2020-03-31"), ("last 24 hours", "2013-02-11", "2013-02-12"),
           ("around March 2012", "2012-03-01", "2012-03-31"),
           ("between 2010 and 2011 inclusive", "2010-01-01", "2011-12-31"),
           ("the week after christmas 2012", "2012-12-31", "2013-01-06"),
           ("two weeks before christmas", "2012-12-11", "2012-12-11"),
           ("since the start of the year", "2013-01-01", "2013-02-12")])
    with pytest.raises(DateParseError):
        parse_date_range("3 hours ago", TUESDAY)
    with pytest.raises(DateParseError, match="not a day number"):
        parse_date_range("2019 - 5", TUESDAY)
    with pytest.raises(DateParseError, match="ends before it starts"):
        parse_date_range("2019-18", TUESDAY)
    check([("last christmas", "2012-12-25", "2012-12-25"), ("next christmas", "2013-12-25", "2013-12-25")])
    check([("last christmas", "2013-12-25", "2013-12-25")], today=date(2013, 12, 26))


def test_dateparser_reads_absolute_dates_in_other_languages_as_the_last_fallback():
    check([("3. März 2020", "2020-03-03", "2020-03-03"), ("22 novembre 1999", "1999-11-22", "1999-11-22")])


@pytest.mark.parametrize("phrase", ["1 day 1 day 1 day 2019", "thursday thursday", "2019 2019 2019"])
def test_repeated_date_words_are_refused_not_guessed(phrase):
    with pytest.raises(DateParseError):
        parse_date_range(phrase, TUESDAY)


def test_a_datetime_for_today_counts_as_its_date():
    from datetime import datetime

    assert parse_date_range("yesterday", datetime(2013, 2, 12, 23, 59)) == (d("2013-02-11"), d("2013-02-11"))


def test_years_in_words_with_oh():
    check([("march twenty oh nine", "2009-03-01", "2009-03-31"), ("nineteen oh five", "1905-01-01", "1905-12-31")])


# ---- issue 17: families that compose (said on Tuesday 2013-02-12 unless noted) ------------------------------------

def test_an_offset_applies_to_any_day():
    check([("3 years ago tomorrow", "2010-02-13", "2010-02-13"),
           ("2 weeks ago this friday", "2013-02-01", "2013-02-01"),
           ("a week from tomorrow", "2013-02-20", "2013-02-20"), ("+2 days", "2013-02-14", "2013-02-14"),
           ("today week", "2013-02-19", "2013-02-19"), ("half a year ago", "2012-08-12", "2012-08-12"),
           ("september 3 years ago", "2010-09-01", "2010-09-30"),
           ("christmas 2 years ago", "2011-12-25", "2011-12-25")])


def test_days_weekends_and_months_are_counted_strictly_from_the_anchor():
    check([("4 mondays from now", "2013-03-11", "2013-03-11"), ("six mondays ago", "2013-01-07", "2013-01-07"),
           ("the monday before May 25 2012", "2012-05-21", "2012-05-21"),
           ("the 2nd monday after May 25 2012", "2012-06-04", "2012-06-04"),
           ("the day after christmas", "2012-12-26", "2012-12-26"), ("2 weekends ago", "2013-02-02", "2013-02-03"),
           ("1 weekend from now", "2013-02-16", "2013-02-17"), ("2 septembers ago", "2011-09-01", "2011-09-30"),
           ("tuesday before last", "2013-01-29", "2013-01-29"), ("the monday after next", "2013-02-25", "2013-02-25")])


def test_a_count_is_never_read_as_a_day_of_the_month():
    with pytest.raises(DateParseError):
        parse_date_range("septembers ago", TUESDAY)
    assert parse_date_range("2 septembers ago", TUESDAY) != (d("2012-09-02"), d("2012-09-02"))


def test_quarters_and_halves_take_any_modifier():
    check([("this Q3", "2013-07-01", "2013-09-30"), ("this year Q4", "2013-10-01", "2013-12-31"),
           ("next year Q3", "2014-07-01", "2014-09-30"), ("last Q4", "2012-10-01", "2012-12-31"),
           ("last Q1", "2012-01-01", "2012-03-31"), ("next Q1", "2014-01-01", "2014-03-31"),
           ("next q2", "2013-04-01", "2013-06-30"), ("last year H2", "2012-07-01", "2012-12-31"),
           ("this first quarter", "2013-01-01", "2013-03-31"), ("eoq", "2013-03-01", "2013-03-31")])


def test_nth_of_a_period_and_iso_weeks():
    check([("the second weekend of August 2011", "2011-08-13", "2011-08-14"),
           ("the last weekend of January 1985", "1985-01-26", "1985-01-27"),
           ("22nd sunday in 1996", "1996-06-02", "1996-06-02"), ("last Tue in 1997", "1997-12-30", "1997-12-30"),
           ("first monday in 2 months", "2013-04-01", "2013-04-01"),
           ("the first day of 1998", "1998-01-01", "1998-01-01"),
           ("first to last day of 2008", "2008-01-01", "2008-12-31"), ("the first 3 months of 2012", "2012-01-01",
                                                                          "2012-03-31"),
           ("last 3 days of 2012", "2012-12-29", "2012-12-31"), ("2020-W12-3", "2020-03-18", "2020-03-18"),
           ("2021-W52", "2021-12-27", "2022-01-02"), ("2020W12", "2020-03-16", "2020-03-22"),
           ("sunday w 22 in 1996", "1996-06-02", "1996-06-02"), ("sunday 1st week 1999", "1999-01-10", "1999-01-10")])


def test_a_year_named_apart_from_its_month_or_day():
    check([("January 30th of last year", "2012-01-30", "2012-01-30"), ("2010 Christmas", "2010-12-25", "2010-12-25"),
           ("2004 10 Apr", "2004-04-10", "2004-04-10"), ("the first of december in the year 1980", "1980-12-01",
                                                         "1980-12-01")])


def test_times_and_parts_of_day_are_dropped_wherever_they_follow_a_day():
    check([("tonight at 7", "2013-02-12", "2013-02-12"), ("7 tonight", "2013-02-12", "2013-02-12"),
           ("tomorrow evening at 7", "2013-02-13", "2013-02-13"), ("friday evening at 7", "2013-02-08", "2013-02-08"),
           ("oct 5 2012 1045pm", "2012-10-05", "2012-10-05"), ("November 18th 2010 at 4", "2010-11-18", "2010-11-18"),
           ("2012:05:25 22:06:50", "2012-05-25", "2012-05-25"),
           ("2009-03-10 9:00 to 11:00", "2009-03-10", "2009-03-10"),
           ("6am dec 5 2012 to 7am", "2012-12-05", "2012-12-05"), ("tomorrow @ noon", "2013-02-13", "2013-02-13"),
           ("monday 6 in the morning", "2013-02-11", "2013-02-11"), ("today @ 0800", "2013-02-12", "2013-02-12"),
           ("1st oct in the year '89 1300 hours", "1989-10-01", "1989-10-01"), ("eod", "2013-02-12", "2013-02-12"),
           ("end of day Friday", "2013-02-08", "2013-02-08"), ("end of yesterday", "2013-02-11", "2013-02-11"),
           ("just now", "2013-02-12", "2013-02-12")])
    check([("March 6 in the morning", "2012-03-06", "2012-03-06"), ("since 2010 at 4", "2010-01-01", "2013-02-12")])


def test_numbers_separated_by_spaces_and_run_together():
    check([("3 5 2009", "2009-03-05", "2009-03-05"), ("12 11 75", "1975-12-11", "1975-12-11"),
           ("2003 09 25", "2003-09-25", "2003-09-25"), ("Mar052009", "2009-03-05", "2009-03-05"),
           ("jul-8-04", "2004-07-08", "2004-07-08"), ("Dec-11-75", "1975-12-11", "1975-12-11"),
           ("July 17-18", "2012-07-17", "2012-07-18")])


def test_clear_misspellings_are_read_as_the_word_meant():
    check([("febuary 2020", "2020-02-01", "2020-02-29"), ("last wensday", "2013-02-06", "2013-02-06"),
           ("tommorow", "2013-02-13", "2013-02-13"), ("3 monthes ago", "2012-11-12", "2012-11-12"),
           ("sinse 2020", "2020-01-01", None)])


def test_possessives_same_day_and_more_open_words():
    check([("last year's christmas", "2012-12-25", "2012-12-25"),
           ("christmas eve last year", "2012-12-24", "2012-12-24"),
           ("last year's q3", "2012-07-01", "2012-09-30"), ("last month's 15th", "2013-01-15", "2013-01-15"),
           ("next month's first monday", "2013-03-04", "2013-03-04"),
           ("this time last year", "2012-02-12", "2012-02-12"),
           ("same day last month", "2013-01-12", "2013-01-12"), ("pre-2010", None, "2009-12-31"),
           ("post-2010", "2011-01-01", "2013-02-12"), ("effective march 1", "2012-03-01", "2013-02-12"),
           ("up to and including march", None, "2012-03-31"), ("from 2010 till date", "2010-01-01", "2013-02-12")])


@pytest.mark.parametrize("phrase", ["last year's " * 16, "this weeks " * 20, "2 mondays before " * 11])
def test_a_long_repetitive_phrase_is_refused_within_its_budget_of_reads(phrase):
    """Rules read their parts, so such a phrase once branched for a minute; it now stops at READS_PER_PHRASE."""
    with pytest.raises(DateParseError, match="too involved|could not read"):
        parse_date_range(phrase[:200], TUESDAY)


def test_whole_units_back_weeks_ending_and_hours_ahead():
    check([("the last 3 full months", "2012-11-01", "2013-01-31"),
           ("last 2 calendar years", "2011-01-01", "2012-12-31"),
           ("the last full week", "2013-02-04", "2013-02-10"), ("week ending 8 march 2013", "2013-03-02", "2013-03-08"),
           ("5 dys ago", "2013-02-07", "2013-02-07"), ("2 mnths ago", "2012-12-12", "2012-12-12")])
    with pytest.raises(DateParseError):
        parse_date_range("in 2 hours", TUESDAY)  # today or tomorrow, depending on the hour


def test_nth_month_of_a_year_or_quarter_and_the_current_weekday():
    check([("first month of 2015", "2015-01-01", "2015-01-31"), ("the last month of 2015", "2015-12-01", "2015-12-31"),
           ("second month of this quarter", "2013-02-01", "2013-02-28"), ("the current monday", "2013-02-11",
                                                                           "2013-02-11")])
    with pytest.raises(DateParseError):
        parse_date_range("the 13th month of 2015", TUESDAY)


def test_the_n_units_before_or_after_a_day_is_the_span_between():
    check([("the 5 days before christmas", "2012-12-20", "2012-12-24"), ("the 3 days after new year", "2013-01-02",
                                                                          "2013-01-04"),
           ("2 weeks following christmas 2012", "2012-12-26", "2013-01-08"),
           ("5 days before christmas", "2012-12-20", "2012-12-20")])


def test_the_rest_of_a_unit_and_a_unit_named_whole():
    check([("the rest of the week", "2013-02-12", "2013-02-17"),
           ("the remainder of the year", "2013-02-12", "2013-12-31"),
           ("the whole of 2012", "2012-01-01", "2012-12-31"), ("throughout 2012", "2012-01-01", "2012-12-31"),
           ("the entire month of march", "2012-03-01", "2012-03-31"), ("the year of 2012", "2012-01-01", "2012-12-31")])
    with pytest.raises(DateParseError):
        parse_date_range("month of 2012", TUESDAY)


def test_dicom_and_iso_basic_date_times_and_time_zones_read_as_their_day():
    check([("20130212134500", "2013-02-12", "2013-02-12"), ("20130212134500.123456+0100", "2013-02-12", "2013-02-12"),
           ("20130212T134500Z", "2013-02-12", "2013-02-12"), ("Tue, 12 Feb 2013 13:45:00 +0000", "2013-02-12",
                                                               "2013-02-12"),
           ("2013-02-12 13:45 PST", "2013-02-12", "2013-02-12")])


def test_a_winter_named_by_the_two_years_it_spans():
    check([("the winter of 2012-2013", "2012-12-21", "2013-03-20"), ("winter 2012/13", "2012-12-21", "2013-03-20")])
    with pytest.raises(DateParseError):
        parse_date_range("winter 2012/2014", TUESDAY)


def test_in_n_units_time():
    check([("in a week's time", "2013-02-19", "2013-02-19"), ("in two weeks' time", "2013-02-26", "2013-02-26"),
           ("yr 2012", "2012-01-01", "2012-12-31")])


def test_weekend_of_a_day_vague_time_words_and_no_older_than():
    check([("the weekend of 15th march 2013", "2013-03-16", "2013-03-17"),
           ("ever since 2010", "2010-01-01", "2013-02-12"), ("anytime before 2000", None, "1999-12-31"),
           ("at some point in 2012", "2012-01-01", "2012-12-31"),
           ("no older than 6 months", "2012-08-12", "2013-02-12"),
           ("younger than 3 months", "2012-11-12", "2013-02-12")])


def test_meals_end_of_business_and_week_ends():
    check([("tomorrow lunch", "2013-02-13", "2013-02-13"), ("first thing tomorrow", "2013-02-13", "2013-02-13"),
           ("end of business friday", "2013-02-08", "2013-02-08"), ("by eod", None, "2013-02-12"),
           ("next week-end", "2013-02-23", "2013-02-24"), ("the wee hours of monday", "2013-02-11", "2013-02-11")])
