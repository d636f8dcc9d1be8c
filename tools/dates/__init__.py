"""The normalizer: loose dates and values made exact for SearchImageSets.

People and models write "last March", "Q3 2021", "since June" or "1997.04.24"; the service takes only exact bounds and
exact values. The modules here, one family each:

- `phrases`: a date phrase as the inclusive range of days it means (`parse_date_range`), with the conventions;
- `text`, `numbers`: the phrase brought to one spelling (lower case, digits for number words, no times of day);
- `words`, `grammar`, `bounds`, `partial`, `calendar`: the vocabulary, one expression, ranges and open bounds,
  dates with missing fields, and calendar arithmetic;
- `readings`: a range of days as one SearchFilter (study date, or createdAt/updatedAt instants in a time zone);
- `values`: IDs, UIDs, DICOM dates and times, sort words;
- `errors`: the one error a phrase raises, and the forms it quotes.
"""

from .errors import DateParseError
from .phrases import parse_date_range
from .readings import Reading, read_instant_range, read_study_date, today_in
from .values import NormalizeError

__all__ = ["DateParseError", "NormalizeError", "Reading", "parse_date_range", "read_instant_range",
           "read_study_date", "today_in"]
