"""How the CLI reads parameter values: inline JSON or file://PATH, and IMAGESET_SEARCH_* fallbacks, as the AWS CLI."""

import argparse
import json

import pytest

from imageset_search.server.config import to_bool
from imageset_search.server.errors import CommandError
from imageset_search.server.aws_cli.params import load_cli_input, load_json_object, read_param_text, setting
from imageset_search.server.aws_cli.skeleton import input_skeleton, operation_model

CRITERIA = {"filters": [{"values": [{"DICOMPatientId": "SUBJECT08701"}], "operator": "EQUAL"}]}


def test_file_paths_are_relative_to_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "criteria.json").write_text(json.dumps(CRITERIA))
    monkeypatch.chdir(tmp_path)
    assert load_json_object("--search-criteria", "file://criteria.json", "{}") == CRITERIA


def test_home_folder_paths_are_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "c.json").write_text("{}")
    assert read_param_text("--search-criteria", "file://~/c.json") == "{}"


def test_a_file_that_is_not_text_is_refused_plainly(tmp_path):
    (tmp_path / "image.dcm").write_bytes(b"\xff\xfe\x00DICM\x80")
    with pytest.raises(CommandError, match="not a UTF-8 text file"):
        read_param_text("--search-criteria", f"file://{tmp_path / 'image.dcm'}")


def test_invalid_json_names_the_place_but_never_echoes_the_text():
    with pytest.raises(CommandError) as caught:
        load_json_object("--search-criteria", '{"filters": [{"values": [{"DICOMPatientId": SUBJECT08701}]}]}', "{}")
    message = str(caught.value)
    assert "line 1 column" in message and "SUBJECT08701" not in message


@pytest.mark.parametrize("text, kind", [("[]", "array"), ('"x"', "string"), ("3", "number"), ("null", "null")])
def test_only_an_object_will_do(text, kind):
    with pytest.raises(CommandError, match=f"got a JSON {kind}"):
        load_json_object("--search-criteria", text, "{}")


def test_cli_input_accepts_exactly_the_skeleton_keys():
    keys = tuple(input_skeleton())
    assert (
        load_cli_input(json.dumps({"datastoreId": "x", "searchCriteria": CRITERIA}), keys)["searchCriteria"] == CRITERIA
    )
    with pytest.raises(CommandError, match='Unknown parameter in --cli-input-json: "SearchCriteria"'):
        load_cli_input(json.dumps({"SearchCriteria": CRITERIA}), keys)


def test_the_skeleton_is_botocores_request_shape():
    shape = operation_model().input_shape
    skeleton = input_skeleton()
    assert list(skeleton) == list(shape.members)
    value_shape = shape.members["searchCriteria"].members["filters"].member.members["values"].member
    assert list(skeleton["searchCriteria"]["filters"][0]["values"][0]) == list(value_shape.members)


def test_an_option_beats_its_environment_variable(monkeypatch):
    monkeypatch.setenv("IMAGESET_SEARCH_OUTPUT", "table")
    assert setting(argparse.Namespace(output="text"), "--output") == "text"
    assert setting(argparse.Namespace(output=None), "--output") == "table"
    monkeypatch.setenv("IMAGESET_SEARCH_OUTPUT", "  ")
    assert setting(argparse.Namespace(output=None), "--output", default="json") == "json"


@pytest.mark.parametrize("text, value", [("1", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False)])
def test_yes_no_environment_values(text, value):
    assert to_bool(text) is value


def test_a_malformed_flag_variable_is_named(monkeypatch):
    monkeypatch.setenv("IMAGESET_SEARCH_NO_PAGINATE", "maybe")
    with pytest.raises(CommandError, match="IMAGESET_SEARCH_NO_PAGINATE"):
        setting(argparse.Namespace(no_paginate=None), "--no-paginate", to_bool, False)
