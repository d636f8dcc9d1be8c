"""The normalizer: loose dates and values made exact for SearchImageSets.

People and models write "last March", "Q3 2021", "since June" or "1997.04.24"; the service takes only exact bounds and
exact values. The modules here, one family each:

- `phrases`: a date phrase as the inclusive range of days it means (`parse_date_range`), with the conventions;
- `text`, `numbers`, `times`: the phrase brought to one spelling (lower case, digits for number words, clear
  misspellings mended, times of day and parts of the day dropped);
- `words`, `grammar`, `relatives`, `bounds`, `partial`, `calendar`: the vocabulary, one expression, compound
  relatives (an offset on any day, counted weekdays, weekends and months), ranges and open bounds, dates with
  missing fields, and calendar arithmetic;
- `readings`: a range of days as one SearchFilter (study date, or createdAt/updatedAt instants in a time zone);
- `values`: IDs, UIDs, DICOM dates and times, sort words;
- `errors`: the one error a phrase raises, and the forms it quotes.
"""

from .errors import DateParseError
from .phrases import parse_date_range

__all__ = ["DateParseError", "NormalizeError", "Reading", "parse_date_range", "read_instant_range",
           "read_study_date", "today_in"]
_LATER = {"NormalizeError": "values", "Reading": "readings", "read_instant_range": "readings",
          "read_study_date": "readings", "today_in": "readings"}


def __getattr__(name: str):
    """The filter-building names, imported on first use: a first date phrase then does not wait for dataclasses and
    zoneinfo, which only the search tool needs."""
    if name not in _LATER:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{_LATER[name]}", __name__), name)
