"""What a first tool call needs, made ready in the background once the host has its `initialize` answer.

Imports stay lazy so that `initialize` is quick, but then the first tool call paid for them: boto3 and the
HealthImaging client on the AWS backend (0.5-0.9 s), dateparser and its language data for a date phrase that needs
the fallback (0.5-1 s), pydicom's dictionary for metadata attributes. A host's model takes a turn between listing the
tools and calling one, so that work is done then: when the first message after `initialize` arrives (normally
notifications/initialized), once per process, in a daemon thread. A tool call that comes before warming is done
simply waits for the part it needs (the datastore's lock, Python's import lock); nothing is done twice.

Warming never calls the datastore (no network, no data read) and never fails a call: a step that raises is logged
and left for the call that needs it, which reports the error in its own words.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

log = logging.getLogger("imageset_search.server")

DATEPARSER_PHRASE = "22 novembre 1999"  # a phrase only dateparser's fallback reads: loads it and its languages


def _dates() -> None:
    from imageset_search.tools.dates import parse_date_range

    parse_date_range(DATEPARSER_PHRASE, date(2000, 1, 1))


def _dicom_dictionary() -> None:
    import pydicom.datadict  # noqa: F401  (get_image_set_metadata's attribute names are checked against it)


def _datastore(get_datastore: Callable[[], Any]) -> None:
    """Build the datastore, then let it ready what it builds lazily (the AWS backend: its boto3 client)."""
    warm = getattr(get_datastore(), "warm", None)
    if callable(warm):
        warm()


class Warmer:
    """Starts the warming once, on the first message after `initialize`; serves as the server's middleware."""

    def __init__(self, get_datastore: Callable[[], Any]):
        self.steps: list[Callable[[], None]] = [lambda: _datastore(get_datastore), _dates, _dicom_dictionary]
        self.done = threading.Event()
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="warm", daemon=True).start()

    def _run(self) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        log.debug("warming what a first call needs")
        for step in self.steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001  (the call that needs it meets the error and explains it)
                log.debug("warming skipped a step: %s", type(exc).__name__)
        log.debug("warmed in %.3f s (%.3f s CPU)", time.perf_counter() - started, time.thread_time() - cpu)
        self.done.set()

    async def __call__(self, ctx, call_next):
        result = await call_next(ctx)
        if ctx.method != "initialize":
            self.start()
        return result
