"""`imageset-search search`: the MCP tool's flat fields as flags, for scripting lookups and quick looks.

It runs the same engine as the `search_image_sets` tool (`tools.search`), in-process: loose dates ("last March"),
client-side refinements, study-grouped results and the self-contained `--next-token`. On a terminal the result is a
table (studies with their image sets beneath, what was searched, how to continue); piped, it is the tool's structured
content as JSON, so `| jq` sees exactly what a model sees.
"""

import argparse
import json
import re
import shlex
import sys
from contextlib import contextmanager
from typing import Any

from imageset_search.datastores.wording import counted
from imageset_search.server.commands.serve import add_aws_options, add_dicomweb_options
from imageset_search.server.config import env_default, env_name, to_bool
from imageset_search.server.errors import CommandError, one_line_errors
from imageset_search.server.terminal_text import printable

EXIT_USAGE = 2
CRITERIA_FLAGS = (
    ("--patient-id", "DICOM PatientID, exact (case-sensitive)"),
    ("--accession-number", "DICOM AccessionNumber, exact"),
    ("--study-id", "DICOM StudyID, exact"),
    ("--study-instance-uid", "StudyInstanceUID, digits and dots"),
    ("--series-instance-uid", "SeriesInstanceUID, digits and dots"),
    ("--study-date", "when the study was performed: 'last March', 'since June', 'Q3 2021', '20230101-20230315'"),
    ("--created", "when the image set was created in the datastore: 'yesterday', 'last 2 weeks', an ISO 8601 instant"),
    ("--updated", "when the image set was last updated in the datastore (as --created)"),
    ("--body-part", "body part examined, e.g. CHEST; case-insensitive, checked on each result"),
    ("--patient-name", "patient name words in any order and case ('Huel Melissa', 'Huel^Melissa')"),
    ("--study-description", "text the study description contains, case-insensitive"),
    ("--patient-sex", "F, M or O"),
    ("--patient-birth-date", "patient birth date or range, e.g. '1920s', '19450101-19451231'"),
)
RESULT_FLAGS = (
    ("--sort-by", "updated (default), created or study_date"),
    ("--sort-order", "DESC (default, newest first) or ASC"),
    ("--next-token", "the token a previous search printed: continues that search on its own"),
    ("--detail", "summary (default: grouped by study) or full (AWS's ImageSetsMetadataSummary objects)"),
)
OTHER_FIELDS = ("is_primary", "modality", "max_items", "fields", "datastore_id")
# Given on the command line, these say where the search ran; the continuation line repeats them.
CONNECTION_FLAGS = ("--db", "--backend", "--region", "--profile", "--endpoint-url")


def _field(option: str) -> str:
    return option.lstrip("-").replace("-", "_")


FIELDS = tuple(_field(option) for option, _ in CRITERIA_FLAGS + RESULT_FLAGS) + OTHER_FIELDS


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "search",
        parents=[common],
        help="search with the MCP tool's fields as flags (a table on a terminal, JSON when piped)",
        description=__doc__.split("\n\n")[0],
        epilog="example: imageset-search search --patient-name 'huel melissa' --study-date 'last 10 years' "
        "--modality CT --modality MR",
    )
    _add_criteria(parser.add_argument_group("what to search for"))
    _add_result_options(parser.add_argument_group("the result"))
    _add_setting_options(parser.add_argument_group("where to search"))
    add_aws_options(parser.add_argument_group("AWS backend (as serve takes them)"))
    add_dicomweb_options(parser.add_argument_group("DICOMweb backend (as serve takes them)"))
    one_line_errors(parser, EXIT_USAGE)
    parser.set_defaults(run=run)


def _add_criteria(group) -> None:
    for option, text in CRITERIA_FLAGS:
        group.add_argument(option, help=text, metavar="TEXT")
    group.add_argument("--is-primary", type=_yes_no, metavar="true|false",
                       help="true: primary image sets only; false: non-primary only")  # fmt: skip
    group.add_argument("--modality", action="append", metavar="CODE",
                       help="series modality, e.g. CT; repeat for several: --modality CT --modality PT")  # fmt: skip


def _add_result_options(group) -> None:
    for option, text in RESULT_FLAGS:
        group.add_argument(option, help=text, metavar="TOKEN" if option == "--next-token" else "WORD")
    group.add_argument(
        "--max-items", type=_whole_number, metavar="N",
        help="image sets to return (1-50; default 25, or that of the search --next-token continues)",
    )  # fmt: skip
    group.add_argument("--fields", type=_names, metavar="A,B",
                       help="with --detail summary, only these, e.g. patient_id,study_date,modality")  # fmt: skip
    group.add_argument("--output", choices=["table", "json"],
                       help="table (the default on a terminal) or json (the default when piped)")  # fmt: skip


def _add_setting_options(group) -> None:
    group.add_argument("--datastore-id", metavar="ID",
                       help="the datastore to search; optional when there is only one "
                       f"(env {env_name('--datastore-id')} gives a default)")  # fmt: skip
    _env_option(group, "--timezone", "IANA zone that 'today' is read in, else the machine's", metavar="ZONE")
    _env_option(group, "--backend", "local (default), aws or dicomweb", choices=["local", "aws", "dicomweb"])


def _env_option(group, option: str, text: str, **kwargs) -> None:
    group.add_argument(option, default=env_default(option), help=f"{text} (env {env_name(option)})", **kwargs)


def _yes_no(text: str) -> bool:
    try:
        return to_bool(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give true or false") from None


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give a whole number from 1 to 50") from None


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


# --- running the search --------------------------------------------------------------------------------------------


def tool_arguments(args) -> dict[str, Any]:
    """The tool's arguments as a model would send them: only the flags that were given."""
    return {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}


def _flag_words(message: str) -> str:
    """The engine's messages name the tool's fields (`next_token`); here they are flags (`--next-token`)."""
    names = "|".join(sorted(FIELDS, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])({names})(?!\w)", lambda found: "--" + found.group(1).replace("_", "-"), message)


def _settings(args):
    from imageset_search.server.config import timezone
    from imageset_search.tools.settings import Settings

    try:
        zone = timezone(args.timezone)
    except ValueError as exc:
        raise CommandError(f"--timezone: {exc}") from None
    return Settings(tz=zone, default_datastore_id=env_default("--datastore-id"))


@contextmanager
def _opened_datastore(args):
    """The configured datastore for this one search, closed afterwards."""
    from imageset_search.server.backends import opened
    from imageset_search.server.commands.serve import aws_options, dicomweb_options

    backend = args.backend or "local"
    if backend == "local":
        _require_local_file(args.db)
    options = aws_options(args) if backend == "aws" else dicomweb_options(args) if backend == "dicomweb" else {}
    with opened(backend, args.db, **options) as datastore:
        yield datastore


def _require_local_file(option_value: str | None) -> None:
    """A search reads: a mistyped --db must not leave a new empty store behind and report "nothing found"."""
    from imageset_search.server.config import db_path

    path = db_path(option_value)
    if not path.exists():
        raise CommandError(
            f"there is no local datastore file at {path}: build the demo one (imageset-search demo-data), import "
            "DICOM files (imageset-search import PATH), or name an existing file with --db"
        )


def run(args) -> int:
    from pydantic import ValidationError

    from imageset_search.datastores.errors import DatastoreError
    from imageset_search.tools.errors import SearchError, describe_validation_error, explain
    from imageset_search.tools.models import SearchArgs
    from imageset_search.tools.search import search_image_sets

    settings = _settings(args)
    try:
        search_args = SearchArgs.model_validate(tool_arguments(args))
        with _opened_datastore(args) as datastore:
            result = search_image_sets(datastore, search_args, settings)
    except ValidationError as exc:
        raise CommandError(_flag_words(describe_validation_error(exc))) from None
    except SearchError as exc:
        raise CommandError(_flag_words(str(exc))) from None
    except DatastoreError as exc:
        raise CommandError(explain(exc)) from None
    content = result.compact()
    output = args.output or ("table" if sys.stdout.isatty() else "json")
    print(_table(printable(content), _continuation(args)) if output == "table" else json.dumps(content, indent=2))
    return 0


def _continuation(args) -> str:
    """The command that continues this search: the token plus the options that said where it ran."""
    words = ["imageset-search", "search"]
    for option in CONNECTION_FLAGS:
        value = getattr(args, _field(option))
        if value is not None and value != env_default(option):
            words += [option, str(value)]
    return shlex.join(words) + " --next-token"


# --- the table -----------------------------------------------------------------------------------------------------


def _table(content: dict[str, Any], continuation: str) -> str:
    """The structured content for a person: what was searched, each study with its image sets, how to go on."""
    searched, here = content.get("searched_by_service", []), content.get("filtered_here", [])
    lines = [_headline(content)]
    lines += [f"Read: {line}" for line in content.get("interpreted", []) if line not in searched + here]
    lines.append("Searched by the datastore: " + ("; ".join(searched) or "all image sets") + ".")
    if here:
        lines.append("Checked here on each result: " + "; ".join(here) + ".")
    if "scan" in content:
        scan = content["scan"]
        lines.append(f"Examined {counted(scan['scanned'], 'image set')} here; {scan['matched']} matched.")
    lines += [f"Note: {warning}" for warning in content.get("warnings", [])]
    for study in content.get("studies", []):
        lines += [""] + _study_lines(study)
    if content.get("image_sets"):
        lines += [""] + _columns(IMAGE_SET_COLUMNS, [_flat_row(item) for item in content["image_sets"]])
    if content["has_more"]:
        lines += ["", f"More remain. Continue with:\n  {continuation} {content['next_token']}"]
    else:
        lines += ["", "That is all: there are no more results."]
    return "\n".join(lines)


def _headline(content: dict[str, Any]) -> str:
    from imageset_search.tools.results import found_line

    studies = len(content["studies"]) if "studies" in content else None
    return found_line(content["count"], studies, content["datastore_id"])


def _day(value: str | None) -> str:
    """yyyyMMdd as yyyy-MM-dd (what people read); anything else as it came."""
    text = value or ""
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text


def _clock(value: str | None) -> str:
    """HHmmss[.FFFFFF] as HH:mm:ss."""
    text = (value or "").split(".")[0]
    return f"{text[:2]}:{text[2:4]}:{text[4:6]}" if len(text) == 6 and text.isdigit() else text


def _study_lines(study: dict[str, Any]) -> list[str]:
    when = " ".join(part for part in (_day(study.get("study_date")), _clock(study.get("study_time"))) if part)
    title = "  ".join(part for part in (when, study.get("study_description")) if part)
    patient = "  ".join(
        part
        for part in (
            study.get("patient_id"),
            study.get("patient_name"),
            study.get("patient_sex"),
            f"born {_day(study['patient_birth_date'])}" if study.get("patient_birth_date") else None,
        )
        if part
    )
    facts = [
        f"accession {study['accession_number']}" if study.get("accession_number") else None,
        f"study id {study['study_id']}" if study.get("study_id") else None,
        f"{study['series_count']} series" if study.get("series_count") is not None else None,
        counted(study["instance_count"], "instance") if study.get("instance_count") is not None else None,
    ]
    lines = [f"Study {title or '(no date or description)'}"]
    lines += [f"  patient {patient}"] if patient else []
    lines += ["  " + ", ".join(fact for fact in facts if fact)] if any(facts) else []
    lines += [f"  study UID {study['study_instance_uid']}"] if study.get("study_instance_uid") else []
    rows = [_brief_row(image_set) for image_set in study["image_sets"]]
    return lines + ["  " + line for line in _columns(BRIEF_COLUMNS, rows)]


BRIEF_COLUMNS = ("IMAGE SET", "SERIES", "MODALITY", "BODY PART", "PRIMARY", "VERSION", "SERIES UID")
IMAGE_SET_COLUMNS = ("IMAGE SET", "VERSION", "PRIMARY", "PATIENT ID", "STUDY DATE", "MODALITY", "BODY PART", "UPDATED")


def _yes(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _brief_row(image_set: dict[str, Any]) -> list[str]:
    keys = ("image_set_id", "series_number", "modality", "body_part")
    return [_text(image_set.get(key)) for key in keys] + [
        _yes(image_set.get("is_primary")),
        _text(image_set.get("version")),
        _text(image_set.get("series_instance_uid")),
    ]


def _flat_row(summary: dict[str, Any]) -> list[str]:
    tags = summary.get("DICOMTags") or {}
    return [
        _text(summary.get("imageSetId")),
        _text(summary.get("version")),
        _yes(summary.get("isPrimary")),
        _text(tags.get("DICOMPatientId")),
        _day(tags.get("DICOMStudyDate")),
        _text(tags.get("DICOMSeriesModality")),
        _text(tags.get("DICOMSeriesBodyPart")),
        _text(summary.get("updatedAt")),
    ]


def _columns(headers: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """Rows under headers, each column as wide as its widest cell; columns empty in every row are left out."""
    shown = [index for index in range(len(headers)) if any(row[index] for row in rows)] or [0]
    widths = {index: max(len(row[index]) for row in [headers, *rows]) for index in shown}
    table = [headers, *rows]
    return ["  ".join(row[index].ljust(widths[index]) for index in shown).rstrip() for row in table]
