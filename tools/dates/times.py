"""Times of day and parts of the day, dropped wherever they stand next to a day (CONVENTIONS C15).

Only the calendar day is searched, so "oct 5 2012 1045pm", "November 18th 2010 at 4", "tomorrow evening at 7",
"7 tonight", "2009-03-10 9:00 to 11:00" and "eod friday" all read as their day. A time is first replaced by a mark,
so that the end of a range of times within one day ("9:00 to 11:00", "6am dec 5 to 7am") goes with it, and the
day's own words are left for the grammar. A number is taken for an hour only where a clock says so (a colon, am/pm,
"hours", "o'clock", "at" or "@" before it, or a weekday or named day before "in the morning" / "tonight"), so
"March 6 in the morning" keeps its 6.
"""

import re

MARK = "\x01"
_HOUR = r"(?:[01]?\d|2[0-3])"
_END_OF_DAY = r"(?:eod|cob|end of (?:the )?(?:business )?day|end of business|close of business)"
_PART_OF_DAY = r"(?:tonight|this (?:morning|afternoon|evening)|(?:in the )?(?:morning|afternoon|evening|night))\b"

SUBSTITUTIONS = [
    # EXIF date-times ("2012:05:25 22:06:50"): the date's colons are dashes.
    (re.compile(r"\b(\d{4}):(\d{2}):(\d{2})\b"), r"\1-\2-\3"),
    (re.compile(r"\s*@\s*"), " at "),
    (re.compile(r"\b(?:just|right) now\b|\bthis (?:minute|moment|instant)\b"), "now"),
    (re.compile(rf"^(by |at )?{_END_OF_DAY}$"), r"\1today"),
    (re.compile(rf"\b(?:by |at )?{_END_OF_DAY}\b"), " "),
    # DICOM date-times (yyyyMMddHHmmss[.ffffff][&zzzz]) and their ISO basic spellings ("20130212T134500Z").
    (re.compile(r"\b(\d{8})(?:t?(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d(?:\.\d{1,6})?)?|t[01]\d|t2[0-3]| (?:[01]\d|2[0-3])"
                r"[0-5]\d[0-5]\d)(?:z|[+-]\d{4})?\b"), r"\1"),
    # ISO 8601 times after a date.
    (re.compile(r"(?<=\d)t\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?\b"), MARK),
    (re.compile(rf"\b(?:at )?{_HOUR}:\d{{2}}(?::\d{{2}})?(?:\.\d+)?(?: ?[ap]\.?m\b\.?)?(?: ?(?:hrs|hours|h)\b)?"),
     MARK),
    (re.compile(rf"\b(?:at )?{_HOUR}(?:[0-5]\d)? ?[ap]\.?m\b\.?"), MARK),
    (re.compile(rf"\b(?:at )?{_HOUR}[ap]\b\.?"), MARK),
    (re.compile(rf"\b(?:at )?{_HOUR}h[0-5]\dm?\b"), MARK),
    (re.compile(rf"\b(?:at )?{_HOUR}[0-5]\d (?:hours|hrs|h)\b"), MARK),
    (re.compile(rf"\b(?:at )?{_HOUR} o ?'?clock\b"), MARK),
    (re.compile(rf"\bat {_HOUR}\b(?![/.:-]?\d)"), MARK),
    (re.compile(r"\bat (?:0\d|1[0-8])[0-5]\d\b(?![/.:-]?\d)"), MARK),  # "at 0800"; never a year from 1900 on
    (re.compile(rf"(?:^|(?<=day ))(?:at )?{_HOUR} (?={_PART_OF_DAY})"), MARK),
    # A time zone after a time goes with it ("13:45 PST", "13:45:00 +0000").
    (re.compile(rf"{MARK} ?(?:z|utc|gmt|[ecmpa][sd]t|bst|ist|cet|cest|eet|jst|aest|[+-]\d{{2}}:?\d{{2}})\b"), MARK),
    # The end of a range of times on one day goes with the times.
    (re.compile(rf" ?(?:to|until|till|through|thru|-) ?{MARK}"), " "),
    (re.compile(MARK), " "),
    (re.compile(r"\blast night\b"), "yesterday"),
    (re.compile(r"\b(?:tonight|this (?:morning|afternoon|evening|noon))\b"), "today"),
    (re.compile(r"\b(?:in the |at |this )?(?:morning|afternoon|evening|night|noon|midnight)\b"), " "),
    (re.compile(r"\b(?:at |after |before |around |by )?(?:lunch(?:time)?|breakfast|dinner(?:time)?|supper)\b"
                r"|\b1st thing\b|\bthe (?:wee|small|early) hours of\b"), " "),  # "first" is "1st" by now
]
