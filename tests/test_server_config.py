"""One reading of yes/no settings for every command: an environment variable means the same to serve, search and
search-image-sets (IMAGESET_SEARCH_NO_VERIFY_SSL=on once verified TLS for two of them and not for the third)."""

import pytest

from imageset_search.server.aws_cli.connection import aws_options as mirror_aws_options
from imageset_search.server.cli import build_parser
from imageset_search.server.commands.serve import aws_options as serve_aws_options
from imageset_search.server.config import to_bool
from imageset_search.server.errors import CommandError

READERS = {"serve": serve_aws_options, "search": serve_aws_options, "search-image-sets": mirror_aws_options}


def verify_ssl(command: str) -> bool:
    return READERS[command](build_parser().parse_args([command]))["verify_ssl"]


@pytest.mark.parametrize("command", READERS)
@pytest.mark.parametrize(("text", "verify"), [("on", False), ("YES", False), ("1", False), ("off", True), ("0", True)])
def test_no_verify_ssl_from_the_environment_means_the_same_to_every_command(command, text, verify, monkeypatch):
    monkeypatch.setenv("IMAGESET_SEARCH_NO_VERIFY_SSL", text)
    assert verify_ssl(command) is verify


@pytest.mark.parametrize("command", ["serve", "search"])
def test_a_value_that_is_not_yes_or_no_is_refused_naming_the_variable(command, monkeypatch):
    monkeypatch.setenv("IMAGESET_SEARCH_NO_VERIFY_SSL", "sometimes")
    with pytest.raises(CommandError, match="^IMAGESET_SEARCH_NO_VERIFY_SSL: not a yes/no value") as caught:
        verify_ssl(command)
    assert "sometimes" not in str(caught.value)


def test_yes_no_words():
    assert [to_bool(word) for word in ("1", "true", "Yes", " on ")] == [True] * 4
    assert [to_bool(word) for word in ("0", "FALSE", "no", "off")] == [False] * 4
    with pytest.raises(ValueError):
        to_bool("y")


def test_without_a_setting_the_zone_is_the_machines_as_tzlocal_names_it(monkeypatch):
    import tzlocal
    from zoneinfo import ZoneInfo

    from imageset_search.server.config import timezone

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.delenv("IMAGESET_SEARCH_TIMEZONE", raising=False)
    assert timezone() == ZoneInfo(tzlocal.get_localzone_name())


def test_a_machine_whose_zone_cannot_be_told_reads_dates_in_utc(monkeypatch):
    import tzlocal
    from zoneinfo import ZoneInfo

    from imageset_search.server.config import timezone

    def broken():
        raise LookupError("no zone configured")

    monkeypatch.delenv("TZ", raising=False)
    monkeypatch.delenv("IMAGESET_SEARCH_TIMEZONE", raising=False)
    monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
    assert timezone() == ZoneInfo("UTC")
