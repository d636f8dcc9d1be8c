"""What every tool needs to know about the server it runs in, beyond its arguments."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

SCAN_BUDGET = 500  # summaries examined here per call when matching happens client-side


@dataclass(frozen=True)
class Settings:
    tz: ZoneInfo  # what "today" means
    default_datastore_id: str | None = None
    scan_budget: int = SCAN_BUDGET
    now: datetime | None = None  # a fixed "now" (the demo's --today, tests); None: the clock at each call
