"""The CLI's json/text/table printing matches awscli's own formatters byte for byte (awscli is a test dependency)."""

import argparse
import io
import json
from datetime import datetime, timezone

import pytest
from awscli import text as aws_text
from awscli.formatter import JSONFormatter, TableFormatter
from hypothesis import given, settings
from hypothesis import strategies as st

from imageset_search.server.aws_cli import output as cli_output
from imageset_search.server.errors import CommandError

SUMMARY = {
    "imageSetId": "09876543210987654321098765432109",
    "version": 1,
    "createdAt": "2022-12-06T21:40:59.429000+00:00",
    "updatedAt": "2022-12-06T21:40:59.429000+00:00",
    "isPrimary": True,
    "DICOMTags": {
        "DICOMPatientId": "SUBJECT08701",
        "DICOMPatientName": "Melissa844 Huel628",
        "DICOMStudyDate": "19991122",
        "DICOMNumberOfStudyRelatedSeries": 1,
    },
}
RESPONSES = [
    {"imageSetsMetadataSummaries": [SUMMARY]},
    {"imageSetsMetadataSummaries": [SUMMARY, {**SUMMARY, "imageSetId": "1" * 32, "storageTier": "ARCHIVE"}],
     "NextToken": "eyJ2IjoxfQ"},
    {"imageSetsMetadataSummaries": []},
    {"imageSetsMetadataSummaries": [{"imageSetId": "a" * 32}], "sort": {"sortField": "updatedAt",
                                                                       "sortOrder": "DESC"}},
    ["a", "b"],
    [["x", 1], ["y", 2]],
    {"names": ["Yamada^Tarō", "山田^太郎"], "count": 2},
    {"wide": "山田太郎" * 3, "other": "x"},
    "just a string",
]


def awscli_table(data, width: int) -> str:
    formatter = TableFormatter(argparse.Namespace(color="off", query=None))
    formatter.table._terminal_width = width
    stream = io.StringIO()
    formatter("SearchImageSets", data, stream)
    return stream.getvalue()


def ours(write, data, *args) -> str:
    stream = io.StringIO()
    write(data, *args, stream) if args else write(data, stream)
    return stream.getvalue()


@pytest.mark.parametrize("data", RESPONSES)
def test_text_matches_awscli(data):
    expected = io.StringIO()
    aws_text.format_text(data, expected)
    assert ours(cli_output.write_text, data) == expected.getvalue()


@pytest.mark.parametrize("width", [80, 200, 40])
@pytest.mark.parametrize("data", RESPONSES)
def test_table_matches_awscli(data, width):
    stream = io.StringIO()
    cli_output.write_table(data, "SearchImageSets", stream, width=width)
    assert stream.getvalue() == awscli_table(data, width)


def test_narrow_table_turns_one_row_sections_vertical():
    stream = io.StringIO()
    cli_output.write_table(RESPONSES[0], "SearchImageSets", stream, width=80)
    lines = stream.getvalue().splitlines()
    assert any("imageSetId" in line and "09876543210987654321098765432109" in line for line in lines)
    assert len({len(line) for line in lines}) == 1  # every line of the box is as wide as the first


@pytest.mark.parametrize("data", RESPONSES)
def test_json_matches_awscli(data):
    expected = io.StringIO()
    JSONFormatter(argparse.Namespace(query=None))("SearchImageSets", data, expected)
    assert ours(cli_output.write_json, data) == expected.getvalue()


def test_json_of_empty_object_prints_nothing_as_awscli_does():
    assert ours(cli_output.write_json, {}) == ""


def test_timestamps_print_as_iso_8601_with_offset():
    moment = datetime(2022, 12, 6, 21, 40, 59, 429000, tzinfo=timezone.utc)
    data = cli_output.iso_timestamps({"a": [{"createdAt": moment}], "n": 1})
    assert data == {"a": [{"createdAt": "2022-12-06T21:40:59.429000+00:00"}], "n": 1}


scalars = st.one_of(st.text(max_size=8), st.integers(), st.booleans())
records = st.dictionaries(
    st.sampled_from(["imageSetId", "version", "isPrimary", "b", "é"]),
    st.one_of(scalars, st.dictionaries(st.sampled_from(["x", "y"]), scalars, max_size=2)),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["imageSetsMetadataSummaries", "sort"]), st.lists(records, max_size=3),
                       max_size=2))
def test_text_matches_awscli_on_response_shaped_data(data):
    expected = io.StringIO()
    aws_text.format_text(data, expected)
    assert ours(cli_output.write_text, data) == expected.getvalue()


def test_query_selects_before_printing():
    query = cli_output.compile_query("imageSetsMetadataSummaries[].imageSetId")
    stream = io.StringIO()
    cli_output.render(RESPONSES[1], "json", query=query, stream=stream)
    assert json.loads(stream.getvalue()) == ["09876543210987654321098765432109", "1" * 32]


def test_malformed_query_is_a_one_line_parameter_error():
    with pytest.raises(CommandError) as caught:
        cli_output.compile_query("imageSetsMetadataSummaries[")
    assert str(caught.value).startswith("Bad value for --query:")
    assert "\n" not in str(caught.value)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["imageSetsMetadataSummaries", "sort", "NextToken"]),
                    st.one_of(st.lists(records, max_size=3), st.text(max_size=30)), max_size=3),
    st.sampled_from([40, 80, 160]),
)
def test_table_matches_awscli_on_response_shaped_data(data, width):
    stream = io.StringIO()
    cli_output.write_table(data, "SearchImageSets", stream, width=width)
    assert stream.getvalue() == awscli_table(data, width)


@pytest.mark.parametrize(
    "expression, says",
    [
        ("imageSetsMetadataSummaries[?DICOMTags.DICOMPatientId=='SUBJECT08701'", "ends before it is complete"),
        ("imageSetsMetadataSummaries[?x == `SUBJECT08701]", "unclosed quote"),
        ("SUBJECT08701 SUBJECT08702", "token out of place"),
        ("nope(imageSetsMetadataSummaries)", "Unknown function: nope()"),
    ],
)
def test_query_errors_say_what_is_wrong_without_quoting_values(expression, says):
    with pytest.raises(CommandError) as caught:
        cli_output.render({"imageSetsMetadataSummaries": [SUMMARY]}, "json", query=cli_output.compile_query(expression),
                          stream=io.StringIO())
    assert says in str(caught.value) and "SUBJECT0870" not in str(caught.value)


def test_a_function_misused_on_the_data_is_a_query_error_without_the_value():
    query = cli_output.compile_query("length(imageSetsMetadataSummaries[0].version)")
    with pytest.raises(CommandError, match=r"function length\(\) got a number, it takes string or array or object"):
        cli_output.render({"imageSetsMetadataSummaries": [SUMMARY]}, "json", query=query, stream=io.StringIO())
