"""A naive datetime means UTC in every layer, as botocore takes it: the normalizer, the service's criteria rules,
the summaries and the emulator's wire format all ask datastores.instants.aware (the normalizer once read it in the
configured zone)."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from imageset_search.datastores.criteria import parse_criteria
from imageset_search.datastores.instants import aware, to_millis
from imageset_search.datastores.testbed.endpoint import wire_value
from imageset_search.tools.dates.readings import read_instant_range, today_in
from imageset_search.tools.summaries import iso

NAIVE = datetime(2026, 11, 30, 23, 30)
UTC_TWIN = NAIVE.replace(tzinfo=timezone.utc)
BERLIN = ZoneInfo("Europe/Berlin")


def test_aware_keeps_a_zone_and_gives_utc_to_a_naive_datetime():
    assert aware(NAIVE) == UTC_TWIN and aware(NAIVE).tzinfo is timezone.utc
    berlin = datetime(2026, 11, 30, 23, 30, tzinfo=BERLIN)
    assert aware(berlin) is berlin


def test_every_layer_reads_a_naive_datetime_as_utc():
    reading = read_instant_range(NAIVE, attribute="createdAt", now=UTC_TWIN, tz=BERLIN)
    assert reading.values == [{"createdAt": UTC_TWIN}]
    assert today_in(BERLIN, NAIVE) == today_in(BERLIN, UTC_TWIN)
    naive = parse_criteria({"filters": [{"operator": "EQUAL", "values": [{"createdAt": NAIVE}]}]})
    utc = parse_criteria({"filters": [{"operator": "EQUAL", "values": [{"createdAt": UTC_TWIN}]}]})
    assert naive == utc and naive.conditions[0].low == to_millis(UTC_TWIN)
    assert iso(NAIVE) == iso(UTC_TWIN) == "2026-11-30T23:30:00.000000+00:00"
    assert wire_value(NAIVE) == wire_value(UTC_TWIN)
