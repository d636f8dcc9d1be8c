"""search_image_sets, whole: arguments -> exact query -> plan -> pages -> result. Pure logic over a Datastore."""

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from imageset_search.datastores.capabilities import capabilities_of
from imageset_search.datastores.protocol import Datastore
from imageset_search.tools import criteria as criteria_
from imageset_search.tools import results, summaries, tokens
from imageset_search.tools.choice import choose_datastore
from imageset_search.tools.dates import DateParseError, parse_date_range, values
from imageset_search.tools.errors import SearchError
from imageset_search.tools.models import DateRange, SearchArgs, SearchCriteria
from imageset_search.tools.paginator import Collected, Position, collect
from imageset_search.tools.planner import Plan, Query, plan
from imageset_search.tools.refine import Refinements
from imageset_search.tools.results import ScanReport, SearchResult
from imageset_search.tools.settings import Settings
from imageset_search.tools.spec import ToolSpec


def _sort(args: SearchArgs) -> dict[str, str] | None:
    aws_sort = criteria_.sort_of(args.search_criteria)
    if args.sort_by is None and args.sort_order is None:
        return aws_sort
    if aws_sort is not None:
        raise SearchError("give the sort once: either search_criteria.sort or sort_by/sort_order, not both")
    try:
        field = values.sort_field(args.sort_by) if args.sort_by is not None else "updatedAt"
        order = values.sort_order(args.sort_order) if args.sort_order is not None else "DESC"
    except values.NormalizeError as exc:
        raise SearchError(str(exc)) from None
    return {"sortField": field, "sortOrder": order}


def _birth_dates(value: Any, today) -> tuple[str | None, str | None]:
    """A birth date phrase or {from, to} as inclusive yyyyMMdd bounds."""
    try:
        if isinstance(value, DateRange):
            low = parse_date_range(str(value.from_), today)[0] if value.from_ is not None else None
            high = parse_date_range(str(value.to), today)[1] if value.to is not None else None
        else:
            low, high = parse_date_range(value, today)
    except DateParseError as exc:
        raise SearchError(f"patient_birth_date: {exc}") from None
    return tuple(day.strftime("%Y%m%d") if day else None for day in (low, high))  # type: ignore[return-value]


def _refinements(args: SearchArgs, today) -> Refinements:
    modality = [args.modality] if isinstance(args.modality, str) else list(args.modality or [])
    return Refinements(
        modality=tuple(code.strip().upper() for code in modality if code.strip()),
        body_part=(args.body_part or "").strip() or None,
        patient_name=(args.patient_name or "").strip() or None,
        study_description=(args.study_description or "").strip() or None,
        patient_sex=args.patient_sex,
        birth_date=_birth_dates(args.patient_birth_date, today) if args.patient_birth_date is not None else None,
    )


def build_query(args: SearchArgs, clock: criteria_.Clock) -> Query:
    if args.search_criteria is not None:
        found = criteria_.from_aws(args.search_criteria, clock)
    else:
        found = criteria_.from_flat(args, clock)
    return Query(tuple(found), _refinements(args, clock.today), _sort(args))


def _asks_anything(args: SearchArgs) -> bool:
    return bool(args.criteria_fields()) or args.search_criteria is not None or bool(args.sort_by or args.sort_order)


def _checked(query: Query, view: tokens.View, clock: criteria_.Clock) -> None:
    """What a decoded token says, put through the models and limits of a fresh call before any work is done: a token
    is signed, but a leaked secret must not buy a query (or a page) that no caller could have asked for."""
    refinements, birth = query.refinements, query.refinements.birth_date
    attributes = [criterion.attribute for criterion in query.criteria]
    if len(attributes) > 2 and len(set(attributes)) < len(attributes):  # counted before any reading
        raise SearchError(tokens.INVALID)  # search_criteria holds two filters; the flat fields one per attribute
    try:
        args = SearchArgs.model_validate({
            "modality": list(refinements.modality) or None, "body_part": refinements.body_part,
            "patient_name": refinements.patient_name, "study_description": refinements.study_description,
            "patient_sex": refinements.patient_sex,
            "patient_birth_date": {"from": birth[0], "to": birth[1]} if birth is not None else None,
            "max_items": view.max_items, "detail": view.detail, "fields": list(view.fields) if view.fields else None,
        })  # fmt: skip
        filters = [SearchCriteria.model_validate({"filters": [criterion.filter]}) for criterion in query.criteria]
        criteria = tuple(found for one in filters for found in criteria_.from_aws(one, clock))
        again = Query(criteria, _refinements(args, clock.today), query.sort)
    except (ValidationError, SearchError):
        raise SearchError(tokens.INVALID) from None
    if tokens.pack_query(again) != tokens.pack_query(query):
        raise SearchError(tokens.INVALID)


def _resume(args: SearchArgs, clock: criteria_.Clock, secret: bytes) -> tuple[str, Query, Position, tokens.View]:
    datastore_id, query, position, view = tokens.decode(secret, args.next_token or "")
    _checked(query, view, clock)
    if args.datastore_id and args.datastore_id.strip() != datastore_id:
        raise SearchError("next_token belongs to another datastore than datastore_id; send next_token alone")
    if _asks_anything(args):
        asked = build_query(args, clock)
        if tokens.pack_query(asked) != tokens.pack_query(query):  # packing is canonical: equal packs, equal queries
            raise SearchError(
                "the criteria sent differ from those next_token was issued for: send next_token alone to continue "
                "that search, or drop next_token to start a new one with these criteria"
            )
    return datastore_id, query, position, view


def _warnings(collected: Collected, settings: Settings) -> list[str]:
    found = []
    if collected.budget_spent:
        found.append(
            f"Not finished: examined {collected.scanned} image sets here (the per-call budget of "
            f"{settings.scan_budget}) and kept {len(collected.items)}; call again with next_token to scan on."
        )
    if collected.interrupted is not None:
        found.append(
            f"The datastore failed part-way ({collected.interrupted.code}); these are the results so far. Call "
            "again with next_token to resume exactly here."
        )
    return found


def search_image_sets(
    datastore: Datastore, args: SearchArgs, settings: Settings, now: datetime | None = None
) -> SearchResult:
    clock = criteria_.Clock.at(settings.tz, now or settings.now)
    secret = datastore.token_secret()
    if args.next_token is not None:
        datastore_id, query, position, first_view = _resume(args, clock, secret)
        interpreted = ["continued the search this next_token was issued for"]
    else:
        datastore_id = choose_datastore(datastore, args.datastore_id, settings.default_datastore_id)
        query, position, first_view = tokens.canonical(build_query(args, clock)), Position(), tokens.View()
        interpreted = [line for criterion in query.criteria for line in criterion.read]
    view = tokens.View(
        args.detail or first_view.detail,
        tuple(args.fields) if args.fields else first_view.fields,
        args.max_items or first_view.max_items,
    )
    if view.detail == "full" and view.fields:
        raise SearchError("fields chooses what detail=summary holds; with detail=full drop fields")
    the_plan = plan(query, capabilities_of(datastore))
    notes: list[str] = []
    fetch = _fetcher(datastore, datastore_id, the_plan, notes)
    collected = collect(fetch, position, view.max_items, the_plan.matches, settings.scan_budget)
    following = tokens.encode(secret, datastore_id, query, collected.next, view) if collected.next else None
    warnings = _warnings(collected, settings) + notes
    return _result(view, datastore_id, the_plan, collected, following, interpreted, warnings)


def _fetcher(datastore: Datastore, datastore_id: str, the_plan: Plan, notes: list[str]):
    """The page reader of this plan; a datastore's word on how it searched the pushed refinements (e.g. that it
    scanned them after all) is gathered into `notes`, once each."""
    criteria = the_plan.service_criteria or None
    pushed = {"refinements": the_plan.refinements} if the_plan.refinements else {}

    def fetch(token: str | None, size: int) -> dict[str, Any]:
        page = datastore.search_image_sets(datastore_id, criteria, max_results=size, next_token=token, **pushed)
        note = page.get("refinementsNote")
        if note and note not in notes:
            notes.append(note)
        return page

    return fetch


def _result(view, datastore_id, the_plan, collected, next_token, interpreted, warnings) -> SearchResult:
    items = collected.items
    return SearchResult(
        datastore_id=datastore_id,
        count=len(items),
        has_more=next_token is not None,
        next_token=next_token,
        studies=summaries.grouped(items, view.fields) if view.detail == "summary" else None,
        image_sets=[summaries.full(item) for item in items] if view.detail == "full" else None,
        interpreted=interpreted,
        searched_by_service=list(the_plan.by_service),
        filtered_here=list(the_plan.here),
        scan=ScanReport(scanned=collected.scanned, matched=len(items), finished=collected.next is None)
        if the_plan.matches is not None
        else None,
        warnings=warnings,
    )


SEARCH_DESCRIPTION = """\
Search medical image sets (one DICOM series each) as AWS HealthImaging's SearchImageSets does.
Exact, case-sensitive: patient_id, accession_number, study_id, study_instance_uid, series_instance_uid. Dates \
(study_date, created, updated) take phrases ('last March', 'since 2020', 'Q3 2021') or {from, to}. Checked on each \
result: modality, body_part, patient_name (words, any order), study_description (contains), patient_sex, \
patient_birth_date. Or send AWS's searchCriteria JSON as search_criteria instead of these.
The result says how loose values were read and where each criterion ran. When has_more is true, call again with \
only next_token: it continues exactly there, with the same max_items, detail and fields. Read-only."""

SEARCH_IMAGE_SETS = ToolSpec(
    name="search_image_sets",
    title="Search image sets",
    description=SEARCH_DESCRIPTION,
    arguments=SearchArgs,
    result=SearchResult,
    run=search_image_sets,
    text=results.text,
)
