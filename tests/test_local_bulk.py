"""The bulk loader the benchmark builds its stores with: what it writes must search like imported image sets."""

import sqlite3

from local_instances import make_instance

from imageset_search.datastores.testbed.bulk import BulkImageSet, load_image_sets
from imageset_search.datastores.local.schema import INDEXES, statements
from imageset_search.datastores.local.store import LocalStore


def bulk(n: int, series: str) -> BulkImageSet:
    tags = {
        "DICOMPatientId": "P1",
        "DICOMSeriesInstanceUID": series,
        "DICOMStudyInstanceUID": "1.2",
        "DICOMStudyDate": "20200101",
    }
    return BulkImageSet(f"{n:032d}", 1000 * n, 1000 * n + (n % 2), 1 + n % 2, True, 3, tags)


def test_bulk_image_sets_search_and_version_like_imported_ones(tmp_path):
    path = tmp_path / "bulk.sqlite3"
    with LocalStore(path) as store:
        ds = store.create_datastore("bulk")
        store.add_instances(ds, [make_instance(series="9.9", patient="P1", study="1.2")])
        assert load_image_sets(store, ds, (bulk(n, f"1.{n}") for n in range(1, 8)), batch_size=3) == 7
        criteria = {"filters": [{"values": [{"DICOMPatientId": "P1"}], "operator": "EQUAL"}]}
        found = store.search_image_sets(ds, criteria, max_results=50)["imageSetsMetadataSummaries"]
        assert len(found) == 8
        assert found[-1]["imageSetId"] == f"{1:032d}" and found[-1]["version"] == 2
        assert found[0]["DICOMTags"]["DICOMNumberOfStudyRelatedSeries"] == 8
        assert found[0]["DICOMTags"]["DICOMNumberOfStudyRelatedInstances"] == 7 * 3 + 1
        versions = store.list_image_set_versions(ds, f"{1:032d}")["imageSetPropertiesList"]
        assert [v["versionId"] for v in versions] == ["2", "1"]
    connection = sqlite3.connect(path)
    indexes = {
        row[0] for row in connection.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    }
    assert indexes == set(statements(INDEXES))
