"""UTC instants as the store keeps them: integer milliseconds since the epoch.

HealthImaging compares createdAt/updatedAt at millisecond precision, so the store stores, compares and pages on
integer milliseconds and turns them back into timezone-aware UTC datetimes only in responses, as boto3 returns them.
"""

from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def aware(moment: datetime) -> datetime:
    """`moment` with its time zone; a naive one means UTC, as botocore takes it. Every layer asks this one function,
    so a naive datetime cannot mean UTC in one place and the local zone in another."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def to_millis(moment: datetime) -> int:
    """A datetime (naive means UTC) as whole milliseconds, truncating finer digits."""
    return (aware(moment) - EPOCH) // timedelta(milliseconds=1)


def from_millis(millis: int) -> datetime:
    """Whole milliseconds as an aware UTC datetime (exact: no float rounding)."""
    return EPOCH + timedelta(milliseconds=millis)


def now_millis(now: datetime | None = None) -> int:
    """`now`, or the current UTC time, at millisecond precision."""
    if now is not None and not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime (naive means UTC), not a {type(now).__name__}")
    return to_millis(now if now is not None else datetime.now(timezone.utc))


def epoch_seconds_to_millis(seconds: int | float) -> int:
    """Epoch seconds (int, or float with a fraction, as botocore sends them) as whole milliseconds."""
    if isinstance(seconds, int):
        return seconds * 1000
    return to_millis(EPOCH + timedelta(seconds=seconds))
