"""Properties of the date reader over generated input: any range it returns is ordered, every date it writes in a
plain form reads back as that day, and no text makes it raise anything but its documented error."""

from datetime import date

from hypothesis import given, settings, strategies as st

from imageset_search.tools.dates import DateParseError, parse_date_range

TODAYS = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))
DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
WORDS = st.sampled_from(
    "last next this past previous since before after until from to between and the of in on week weekend month "
    "year quarter decade day days weeks months years ago early mid late end beginning q1 q3 h2 2019 2021 12 31 "
    "5 15th 3rd march sept june friday monday christmas summer winter 90s - / . 2020-01-05 1/2/2003 today "
    "yesterday tomorrow few a more than or later through studies scans".split()
)
PHRASES = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)


def ordered_or_error(text: str, today: date) -> None:
    try:
        start, end = parse_date_range(text, today)
    except DateParseError:
        return
    assert start is not None or end is not None
    if start is not None and end is not None:
        assert start <= end


@settings(max_examples=400, deadline=None)
@given(PHRASES, TODAYS)
def test_phrases_from_date_words_give_ordered_ranges_or_the_documented_error(text, today):
    ordered_or_error(text, today)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), TODAYS)
def test_random_text_never_raises_anything_else(text, today):
    ordered_or_error(text, today)


@settings(max_examples=200, deadline=None)
@given(DAYS, TODAYS, st.sampled_from(["{:%Y-%m-%d}", "{:%Y%m%d}", "{:%Y.%m.%d}", "{:%B %d %Y}", "{:%d %b %Y}",
                                      "{:%d/%m/%Y}", "{:%m/%d/%Y}", "{:%A %B %d, %Y}"]))
def test_an_exact_date_reads_back_as_that_day(day, today, form):
    text = form.format(day)
    if form in ("{:%d/%m/%Y}", "{:%m/%d/%Y}") and day.day <= 12 and day.month != day.day:
        text = f"{day:%m/%d/%Y}"  # an ambiguous slash date is month-first by convention
    assert parse_date_range(text, today) == (day, day)


@settings(max_examples=200, deadline=None)
@given(DAYS, DAYS, TODAYS)
def test_a_range_of_exact_dates_reads_back(first, second, today):
    start, end = min(first, second), max(first, second)
    assert parse_date_range(f"from {start:%Y-%m-%d} to {end:%Y-%m-%d}", today) == (start, end)
    assert parse_date_range(f"{start:%Y%m%d}-{end:%Y%m%d}", today) == (start, end)
