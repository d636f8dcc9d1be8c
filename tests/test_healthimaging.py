"""Each fact of datastores/healthimaging.py is the value botocore's service model and paginator state."""

import re

import botocore.session
import pytest

from imageset_search.datastores import healthimaging as facts

SESSION = botocore.session.get_session()
MODEL = SESSION.get_service_model("medical-imaging")
SEARCH = MODEL.operation_model("SearchImageSets").input_shape
CRITERIA = SEARCH.members["searchCriteria"]
FILTER = CRITERIA.members["filters"].member
VALUE = FILTER.members["values"].member
PAGED_OPERATIONS = ("SearchImageSets", "ListDatastores", "ListImageSetVersions")


@pytest.mark.parametrize("shape", ["DatastoreId", "ImageSetId"])
def test_the_id_pattern(shape):
    pattern = MODEL.shape_for(shape).metadata["pattern"]
    assert facts.ID_PATTERN == pattern
    assert re.fullmatch(r"\[0-9a-z\]\{(\d+)\}", pattern).group(1) == str(facts.ID_LENGTH)


def test_is_id_takes_exactly_the_pattern():
    assert facts.is_id("0123456789abcdef" * 2)
    for wrong in ["0123456789ABCDEF" * 2, "a" * 31, "a" * 33, "", None, 32, "a" * 31 + "-"]:
        assert not facts.is_id(wrong)


@pytest.mark.parametrize("operation", PAGED_OPERATIONS)
def test_the_page_size(operation):
    limit = MODEL.operation_model(operation).input_shape.members["maxResults"].metadata
    assert (limit["min"], limit["max"]) == (facts.PAGE_MIN, facts.PAGE_MAX)


@pytest.mark.parametrize("operation", PAGED_OPERATIONS)
def test_the_token_length(operation):
    limit = MODEL.operation_model(operation).input_shape.members["nextToken"].metadata
    assert (limit["min"], limit["max"]) == (1, facts.TOKEN_MAX_LENGTH)


def test_the_id_attributes_their_length_and_the_uid_pattern():
    lengths = {name: VALUE.members[name].metadata["max"] for name in facts.ID_ATTRIBUTES}
    assert set(lengths.values()) == {facts.VALUE_MAX_LENGTH}
    patterned = {name for name in facts.ID_ATTRIBUTES if "pattern" in VALUE.members[name].metadata}
    assert patterned == set(facts.UID_ATTRIBUTES)
    assert {VALUE.members[name].metadata["pattern"] for name in patterned} == {facts.UID_PATTERN}


def test_the_study_date_and_time_lengths():
    members = VALUE.members["DICOMStudyDateAndTime"].members
    assert members["DICOMStudyDate"].metadata["max"] == facts.STUDY_DATE_MAX_LENGTH
    assert members["DICOMStudyTime"].metadata["max"] == facts.STUDY_TIME_MAX_LENGTH


def test_the_search_vocabulary():
    assert list(VALUE.members) == list(facts.SEARCH_ATTRIBUTES)
    assert [name for name in VALUE.members if VALUE.members[name].name == "Date"] == list(facts.INSTANT_ATTRIBUTES)
    assert FILTER.members["operator"].enum == list(facts.OPERATORS)
    assert CRITERIA.members["filters"].metadata["max"] == facts.FILTERS_MAX
    assert FILTER.members["values"].metadata["max"] == facts.VALUES_MAX
    sort = CRITERIA.members["sort"]
    assert sort.members["sortField"].enum == list(facts.SORT_FIELDS)
    assert sort.members["sortOrder"].enum == list(facts.SORT_ORDERS)


def test_the_dicom_tags_and_datastore_statuses():
    assert sorted(MODEL.shape_for("DICOMTags").members) == sorted(facts.DICOM_TAGS)
    assert len(set(facts.DICOM_TAGS)) == len(facts.DICOM_TAGS)
    assert MODEL.shape_for("DatastoreStatus").enum == list(facts.DATASTORE_STATUSES)


def test_the_paginators_non_aggregate_keys():
    config = SESSION.get_paginator_model("medical-imaging").get_paginator("SearchImageSets")
    assert config["non_aggregate_keys"] == list(facts.NON_AGGREGATE_KEYS)


def test_the_server_starts_without_botocore():
    """The facts cost nothing at start-up: importing them loads neither botocore nor boto3."""
    import subprocess
    import sys

    code = (
        "import sys, imageset_search.datastores.healthimaging; print(sorted({'botocore', 'boto3'} & set(sys.modules)))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_every_tool_takes_the_shared_arguments_with_the_same_limits():
    """datastore_id means the same in every tool (search_image_sets once took 64-character ids where the others
    took 512), and max_items and next_token have the service's limits everywhere."""
    from imageset_search.tools.catalog import CATALOG

    def limits(schema: dict) -> dict:
        branches = schema.get("anyOf", [schema])
        return {key: value for branch in branches for key, value in branch.items() if key.startswith(("max", "min"))}

    found: dict[str, list[dict]] = {"datastore_id": [], "max_items": [], "next_token": []}
    for spec in CATALOG:
        properties = spec.arguments.model_json_schema(by_alias=True)["properties"]
        for name, seen in found.items():
            if name in properties:
                seen.append(limits(properties[name]))
    assert found["datastore_id"] and all(seen == {"maxLength": 512} for seen in found["datastore_id"])
    assert found["max_items"] and all(seen == {"minimum": 1, "maximum": 50} for seen in found["max_items"])
    assert found["next_token"] and all(seen["maxLength"] == 8192 for seen in found["next_token"])


def test_the_importer_fills_every_dicom_tag_the_store_keeps():
    """The importer's DICOMTags -> DICOM attribute table names exactly the summary keys (the study counts aside)."""
    from imageset_search.datastores.local.dicom_instance import SUMMARY_TAGS
    from imageset_search.datastores.local.summary import STUDY_COUNT_KEYS, SUMMARY_KEYS

    assert list(SUMMARY_TAGS) == list(SUMMARY_KEYS)
    assert set(SUMMARY_KEYS) | set(STUDY_COUNT_KEYS) == set(facts.DICOM_TAGS)
