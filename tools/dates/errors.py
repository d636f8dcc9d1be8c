"""The one error the date reader raises, and the list of forms it understands that the error quotes.

It subclasses ValueError so callers that validate arguments catch it with everything else that is a bad value; its
message always says what to send instead, so a model can correct itself in one step. The message never repeats the
phrase or the date read from it: the same reader serves patient birth dates, which are patient data.
"""

UNDERSTOOD_FORMS = (
    "exact dates (1999-11-22, 19991122, 1997.04.24, 22/11/1999, 11/22/1999, Nov 22 1999, 22 Nov 1999), "
    "months and years (March 2021, 2021-03, 2019), relative days (today, yesterday, 3 days ago, "
    "the monday before May 25), "
    "calendar units (this week, last month, next year, Q3 2021, H1 2020, the 90s, summer 2016), "
    "rolling windows (past 2 weeks, last 6 months), ranges (20230101-20230315, Jan 2020 to March 2021, "
    "between 2014 and 2018), open ranges (since June, before 2015, after 2010, through 2014, -20230315, 20230101-)"
)


class DateParseError(ValueError):
    """A date phrase that could not be read; the message names the problem and the forms that are understood."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem

    def with_help(self) -> "DateParseError":
        """The same problem, with the understood forms appended (for the caller's final error)."""
        return DateParseError(f"{self.problem}. Understood forms: {UNDERSTOOD_FORMS}")
