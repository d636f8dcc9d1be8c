"""Loose date phrases made exact: `parse_date_range("studies from last March", today)` -> (2026-03-01, 2026-03-31).

SearchImageSets takes only exact bounds, while people and models say "since June", "Q3 2021", "the week of July 4th
2022", "20230101-20230315" or "before 2015". This module reads such a phrase as the inclusive calendar-date range it
means (None = unbounded on that side). It is pure logic: no I/O, and dateparser is loaded only as the last fallback
for absolute formats the grammar does not read, so the first call stays fast.

Conventions (the rules of tests/data/dates/CONVENTIONS.md; where readings differ, the one chosen is marked "chosen"):

- Weeks are ISO weeks, Monday to Sunday; a weekend is the Saturday and Sunday of the Mon-Sun week.
- this / last / next + unit with no number is the whole calendar unit holding today / before it / after it:
  "last month", "past quarter", "last decade" (chosen: the previous calendar decade, not a rolling ten years).
- last / past / previous N units is a rolling window ending today, today included: "past 2 weeks" said on
  2013-02-12 is 2013-01-29..2013-02-12 (chosen over calendar-aligned weeks); "next N units" is tomorrow..today+N.
  "in / within / over / during the last (past) <unit>" is the rolling window of one unit (chosen: the preposition
  makes a span up to today, so "any CT in the past year" is the last twelve months, not the previous calendar year).
- Counts in words: a / an = 1, a couple (of) = 2, few / a few / several = 3 (C4's "few" = 3).
- N units ago is one day, by calendar arithmetic (Mar 31 - 1 month = Feb 28); compounds add up.
- Past preference for anything underspecified (no year, a bare weekday, "the 15th", "March", "Q3", "week 36"): its
  most recent occurrence whose start is not after today; a bare weekday that is today's weekday means today (chosen).
- "this <weekday>" is that day of the current Mon-Sun week; "last <weekday>" the most recent one strictly before
  today (chosen over the previous week's); "next <weekday>" that day of next week (chosen over the first one after
  today); "coming / this upcoming <weekday>" the first one after today.
- "last <month>" is the nearest such month before the current one and "next <month>" the nearest after it; "this
  <month>" is this year's. So "last March" said on 2026-12-01 is March 2026, as the project's design examples read
  it, and said in March 2026 it is March 2025 (chosen over CONVENTIONS C8's "that month of the previous year", which
  the corpus marks ambiguous; it costs the two ambiguous dev cases c0394 and c0521).
- Ranges (A to B, A-B, between A and B, A through B) run from the start of A to the end of B, so "2014-2018" ends on
  2018-12-31; a missing month or year is shared between the sides; "now" and "today" mean today.
- since / starting X: start of X to today; after X: the day after X to today; before X: up to the day before X;
  until / through / no later than X: up to the end of X; "to date": up to today. When such a start lies after
  today the upper side is left open instead of producing an empty range (chosen).
- "from X" on its own reads as X ("studies from last March" is last March, chosen over since-X); "from X on /
  onwards" is since X.
- Parts of periods: a month's early / mid / late part is days 1-10 / 11-20 / 21-end; a year's is Jan-Apr / May-Aug
  / Sep-Dec; a week's is Mon-Wed / Tue-Thu / Fri-Sun; a quarter's is its first / second / third month; a decade's
  is years 0-3 / 4-6 / 7-9 (chosen where the sources differ).
- Seasons are northern-hemisphere astronomical, as Duckling: spring 03-20..06-21, summer 06-21..09-23, fall
  09-23..12-21, winter 12-21..03-20 (winter 2012 starts in December 2012) (chosen over meteorological seasons).
- Decades: "the 90s" / "1990s" / "the nineties" = 1990-01-01..1999-12-31; a two-digit decade by past preference.
- Numbers: slash and dash dates are US month-first unless the first field exceeds 12; four digits first is
  year-month-day; dotted dates are day-first unless the second field exceeds 12 (chosen: 04.05.2016 is 4 May);
  8 digits are DICOM yyyyMMdd; a two-digit year is the year nearest today.
- Times of day and parts of the day are dropped wherever they stand next to a day (only the calendar day matters;
  see `times`): "tomorrow evening at 7", "oct 5 2012 1045pm", "2009-03-10 9:00 to 11:00", "eod friday"; "last night"
  is yesterday; a part of a single day ("end of yesterday") is that day.
- Fixed-date holidays (Christmas, New Year's Day and Eve, Valentine's Day, Halloween, Independence Day, ...) are
  read; movable ones (Easter, Thanksgiving) are not guessed. "last / next <holiday>" is the nearest one before /
  after today (chosen: unlike months, a holiday is a single day, so "last Christmas" is the most recent one).
- "the Nth / last week of" a month or year: the Mon-Sun weeks owned by it through their Thursday (ISO style), so
  the first week of 2015 is 2014-12-29..2015-01-04. "week of / week commencing X": the Mon-Sun week holding X;
  "the weekend of X" its weekend.
- "for N days from X", "a week starting X": X to X + N units, both anchor days included (as Duckling).
- DICOM range syntax: "20230101-20230315", "-20230315" (up to), "20230101-" (from, open upper side).
- Beyond the corpus (chosen): "2019-20" and "1998-99" are year ranges; "6-12 months ago" is the days between the two
  offsets; "May '19" is May 2019 (an apostrophe year is the year nearest today); "last 24 hours" covers whole days,
  hours rounded outward ([yesterday, today]), while "3 hours ago" is refused (it depends on the hour); filler around
  the date ("studies", "scans done in", "around", "... inclusive") is dropped; "A..B" is a range; two open bounds
  joined by "and" intersect ("after 2010 and before 2015"); "N units before / after X" is one day counted from X;
  "the week after X" is the whole next week; "the last day of X" is X's final day.
- Compound relatives (chosen where the corpus is silent): an offset moves any single-day anchor ("3 years ago
  tomorrow", "+2 days", "today week" = a week on); a year offset places a month without a year ("september 3 years
  ago" is September of the year three years back); counted things are strictly before / after their anchor ("4
  mondays from now", "the 2nd monday before May 25", "2 weekends ago": a weekend counted by its Sunday back and its
  Saturday on, "2 septembers ago"); "tuesday before last" is a week before last tuesday, "monday after next" a week
  after next monday. "the Nth weekday / weekend of" a month or a year counts its occurrences in it ("22nd sunday in
  1996", "last Tue in 1997"); "the first monday in 2 months" is in the month two months on.
- Quarters and halves take any modifier: "this Q3" is this year's, "last Q4" / "next Q2" the nearest one before /
  after the current one (as "last March"), "this year Q4" / "next year H2" that year's.
- "the last N full / complete / calendar units" are the N whole units before the current one (not a rolling
  window); "week ending X" is the seven days ending on X; "last year's christmas" is "christmas of last year";
  "this time last year" is a year ago today; "in 2 hours", like "3 hours ago", is refused (it depends on the hour).
- Space-separated numbers read as slashes ("3 5 2009" is 2009-03-05) or, four digits first, as year-month-day;
  "in the year 1980" is 1980; "Mar052009" is 2009-03-05.
- Errors (DateParseError) say what was wrong and list the understood forms, but never repeat the phrase or a date
  read from it: the same reader serves patient birth dates. Phrases over 200 characters are refused, and so is a
  phrase that needs more than READS_PER_PHRASE reads of its parts (a long repetitive one).
- dateparser is only the last fallback, for a short phrase with a four-digit year and a word the grammar does not
  know ("3. März 2020"), and only a full day-month-year answer is taken.
"""

import re
from datetime import date, datetime
from functools import cache

from .bounds import OPEN_FORMS, read_both_open, read_open, read_range
from .errors import DateParseError
from .grammar import READS_PER_PHRASE, RULES, TooInvolved, read_span, reads_left
from .text import normalize

__all__ = ["DateParseError", "parse_date_range"]

MAX_PHRASE = 200
FALLBACK_WORDS = 6
FALLBACK_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
_YEAR = re.compile(r"\b\d{4}\b")
_DICOM_RANGE = re.compile(r"(\d{8})?-(\d{8})?")
_FILLER = frozenset(
    "studies study scans scan exams exam images image imaging series sets set prior recent done performed acquired "
    "taken dated made show me find get list search all any from in on during of at for over within study-date date "
    "dates ct mr mri pet xray x-ray ultrasound us patient patients around about approximately circa roughly "
    "sometime anytime ever some time point whole entire throughout full the brain head neck chest thorax abdomen "
    "abdominal pelvis spine cardiac knee shoulder hip breast lung liver".split()
)
_TRAILING_FILLER = frozenset("inclusive included only please exactly ad ce".split())


@cache
def known_words() -> frozenset[str]:
    """Every word the grammar and the open forms spell out, for deciding when dateparser is worth asking (computed
    on first need, so reading a first date does not wait for it)."""
    patterns = [*(rule.source for rule, _ in RULES), *(form.source for form, _ in OPEN_FORMS)]
    return frozenset(word for pattern in patterns for word in re.findall(r"[a-z]{3,}", pattern)) | _FILLER | (
        _TRAILING_FILLER)


def parse_date_range(text: str, today: date) -> tuple[date | None, date | None]:
    """The inclusive calendar-date range `text` means when said on `today` (None = unbounded on that side).

    Raises DateParseError (a ValueError) naming what was not understood and the forms that are.
    """
    if isinstance(today, datetime):
        today = today.date()
    if not isinstance(text, str):
        raise DateParseError(f"a date must be text, not {type(text).__name__}").with_help()
    if not text.strip():
        raise DateParseError("the date is empty; send a date or a phrase such as 'last March'").with_help()
    if len(text) > MAX_PHRASE:
        raise DateParseError(f"the date phrase is longer than {MAX_PHRASE} characters").with_help()
    dicom = _dicom_range(text.strip())
    if dicom:
        return dicom
    budget = reads_left.set([READS_PER_PHRASE])
    try:
        return _read_text(text, today)
    finally:
        reads_left.reset(budget)


def _read_text(text: str, today: date) -> tuple[date | None, date | None]:
    """The phrase read whole, then without the filler around it, then by dateparser."""
    phrase = normalize(text, today)
    problem = None
    while phrase:
        try:
            found = _read_phrase(phrase, today)
        except TooInvolved as error:
            raise error.with_help() from None
        except DateParseError as error:
            found, problem = None, problem or error
        except (ValueError, OverflowError):
            found, problem = None, problem or DateParseError("the date falls outside the years 1 to 9999")
        if found:
            return _checked(found)
        phrase = _without_filler(phrase)
    fallback = _dateparser_day(text, normalize(text, today), today)
    if fallback:
        return fallback
    raise (problem or DateParseError("could not read the phrase as a date or a date range")).with_help()


def _read_phrase(phrase: str, today: date) -> tuple[date | None, date | None] | None:
    return (read_span(phrase, today) or read_open(phrase, today) or read_range(phrase, today)
            or read_both_open(phrase, today))


def _checked(found: tuple[date | None, date | None]) -> tuple[date | None, date | None]:
    start, end = found
    if start is not None and end is not None and end < start:
        raise DateParseError("the range ends before it starts; put the earlier date first").with_help()
    return start, end


def _without_filler(phrase: str) -> str:
    """The phrase without a last or first word that is filler around a date ("... inclusive", "studies from", "scans
    done in"); empty when there is none left to drop. A trailing word goes first: it never carries meaning, while a
    leading "for" or "over" may ("over 2 years ago please")."""
    rest, _, last = phrase.rpartition(" ")
    if last in _TRAILING_FILLER:
        return rest
    first, _, rest = phrase.partition(" ")
    return rest if first in _FILLER else ""


def _dicom_range(text: str) -> tuple[date | None, date | None] | None:
    """DICOM's range matching syntax: yyyyMMdd-yyyyMMdd, -yyyyMMdd, yyyyMMdd-."""
    match = _DICOM_RANGE.fullmatch(text)
    if not match or not (match.group(1) or match.group(2)):
        return None
    start, end = (_dicom_day(value) if value else None for value in match.groups())
    return _checked((start, end))


def _dicom_day(value: str) -> date:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise DateParseError("a DICOM date in the range is not a calendar date (yyyyMMdd)").with_help() from None


def _dateparser_day(text: str, phrase: str, today: date) -> tuple[date, date] | None:
    """The last fallback, for an absolute date written in another language ("3. März 2020", "22 novembre 1999").

    It is asked only about a short phrase with a four-digit year and a word the grammar does not know (otherwise
    the grammar has already said all there is to say, and dateparser can take seconds on long or repetitive text),
    and only a full day, month and year is accepted, so a fuzzy guess never widens or invents a search.
    """
    if not _YEAR.search(phrase) or len(phrase.split()) > FALLBACK_WORDS:
        return None
    if all(word in known_words() for word in re.findall(r"[^\W\d_]{3,}", phrase)):
        return None
    import dateparser

    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": datetime(today.year, today.month, today.day),
                "REQUIRE_PARTS": ["day", "month", "year"], "PARSERS": ["absolute-time"],
                "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        found = dateparser.parse(text, settings=settings, languages=list(FALLBACK_LANGUAGES))
    except (ValueError, OverflowError, TypeError):
        return None
    return (found.date(), found.date()) if found else None
