"""The prompt templates shipped in the package: they load, declare their arguments, and render strictly."""

import re

import pytest

from imageset_search.prompts import PromptError, load_prompts, parse_template

TOOLS = {"search_image_sets", "get_image_set", "list_image_set_versions", "get_image_set_metadata", "list_datastores"}
SEARCH_ARGUMENTS = {
    "patient_id", "study_instance_uid", "study_date", "updated", "sort_by", "sort_order", "max_items", "next_token",
    "datastore_id", "image_set_id",
}  # fmt: skip
RESULT_FIELDS = {"has_more", "interpreted", "searched_by_service", "image_set_count", "modality", "body_part"}
WORKFLOWS = {"patient_studies", "prior_studies", "datastore_overview"}


@pytest.fixture(scope="module")
def prompts() -> dict:
    return {template.name: template for template in load_prompts()}


def test_the_three_workflows_load_with_titles_and_described_arguments(prompts):
    assert set(prompts) == WORKFLOWS
    for template in prompts.values():
        assert template.title and template.description
        assert all(argument.description for argument in template.arguments)
    assert [(a.name, a.required) for a in prompts["patient_studies"].arguments] == [
        ("patient_id", True),
        ("period", False),
    ]
    assert [(a.name, a.required) for a in prompts["prior_studies"].arguments] == [("study_instance_uid", True)]
    assert [(a.name, a.required) for a in prompts["datastore_overview"].arguments] == [("datastore_id", False)]


def test_bodies_are_short_and_name_only_real_tools_and_arguments(prompts):
    for template in prompts.values():
        body = template.render(**{argument.name: "X" for argument in template.arguments})
        assert len(body) < 2500
        named = set(re.findall(r"`(\w+)`", body))
        assert named & TOOLS, template.name
        assert named <= TOOLS | SEARCH_ARGUMENTS | RESULT_FIELDS, template.name
        assert "next_token" in body and "interpreted" in body


def test_render_fills_every_placeholder(prompts):
    text = prompts["patient_studies"].render(patient_id="PAT-7", period="last year")
    assert '`patient_id` = "PAT-7"' in text and "in this period: last year." in text
    assert "{" not in text.replace("{from, to}", "")


def test_a_left_out_optional_argument_takes_its_default(prompts):
    assert "in this period: any date." in prompts["patient_studies"].render(patient_id="PAT-7")
    assert "by default" in prompts["datastore_overview"].render()


@pytest.mark.parametrize("given", [{}, {"study_instance_uid": "  "}, {"study_instance_uid": None}])
def test_a_missing_required_argument_is_named_with_what_to_send(prompts, given):
    with pytest.raises(PromptError, match="needs the argument study_instance_uid: The StudyInstanceUID"):
        prompts["prior_studies"].render(**given)


def test_an_unknown_argument_is_refused_with_the_known_ones(prompts):
    with pytest.raises(PromptError, match="has 1 unknown argument; its arguments are: patient_id, period"):
        prompts["patient_studies"].render(patient_id="PAT-7", patient="x")


def test_values_are_inserted_as_text_never_expanded(prompts):
    text = prompts["patient_studies"].render(patient_id="{period}", period="2020")
    assert '"{period}"' in text and "in this period: 2020." in text


TEMPLATE = """+++
name = "demo"
title = "A demo"
description = "Says hello."

[[arguments]]
name = "who"
description = "Whom to greet"
required = true
+++
Hello {who}; JSON such as {"from": "2020"} and {from, to} stays as written.
"""


def test_a_template_parses_and_leaves_other_braces_alone():
    template = parse_template(TEMPLATE)
    assert template.render(who="you") == 'Hello you; JSON such as {"from": "2020"} and {from, to} stays as written.\n'


@pytest.mark.parametrize(
    "broken, complaint",
    [
        (TEMPLATE.replace("+++\nname", "name", 1), "starts with a '\\+\\+\\+' line"),
        (TEMPLATE.replace("+++\nHello", "Hello"), "not closed"),
        (TEMPLATE.replace('name = "demo"', "name = demo"), "not valid TOML"),
        (TEMPLATE.replace("Hello {who}", "Hello {whom}"), "undeclared whom"),
        (TEMPLATE.replace("Hello {who}", "Hello"), "declared but never used"),
        (TEMPLATE.replace('title = "A demo"\n', ""), "'title' must be a non-empty string"),
        (TEMPLATE.replace("required = true", 'required = "yes"'), "'required' is true or false"),
        (TEMPLATE.replace("required = true", 'required = true\ndefault = "all"'), "required argument has no default"),
        (TEMPLATE.replace("required = true", "optional = true"), "unknown key optional"),
        (TEMPLATE.replace('name = "who"', 'name = "Who"'), "lower-case"),
        (TEMPLATE.replace('title = "A demo"', 'title = "A demo"\nversion = 2'), "unknown front matter key version"),
        (TEMPLATE.replace("+++\nHello", '[[arguments]]\nname = "who"\ndescription = "again"\n+++\nHello'), "twice"),
    ],
)
def test_a_broken_template_fails_at_load_saying_what_is_wrong(broken, complaint):
    with pytest.raises(PromptError, match=complaint):
        parse_template(broken, "broken.md")
