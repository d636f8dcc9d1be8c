"""Split a query between the service and this server.

SearchImageSets takes at most two filters. The most selective go to the service, exact IDs first (a series UID
narrows more than a patient ID), then a date range; everything else (a third filter, every refinement) is checked
here on each returned summary. The plan says which ran where, so the model can tell the user.
"""

from dataclasses import dataclass, field
from typing import Any

from imageset_search.tools.criteria import Criterion
from imageset_search.tools.refine import Predicate, Refinements, all_of, filter_predicate

SERVICE_FILTER_LIMIT = 2
PUSH_DOWN_ORDER = (
    "DICOMSeriesInstanceUID",
    "DICOMStudyInstanceUID",
    "DICOMAccessionNumber",
    "DICOMPatientId",
    "DICOMStudyId",
    "DICOMStudyDateAndTime",
    "updatedAt",
    "createdAt",
    "isPrimary",
)


@dataclass(frozen=True)
class Query:
    """What was asked, exactly: the criteria, the refinements and the sort. A token carries it whole."""

    criteria: tuple[Criterion, ...] = ()
    refinements: Refinements = field(default_factory=Refinements)
    sort: dict[str, str] | None = None


@dataclass(frozen=True)
class Plan:
    service_criteria: dict[str, Any]
    local: tuple[Criterion, ...]
    matches: Predicate | None  # None: every summary the service returns is a match
    by_service: tuple[str, ...]
    here: tuple[str, ...]


def plan(query: Query) -> Plan:
    ranked = sorted(query.criteria, key=lambda criterion: PUSH_DOWN_ORDER.index(criterion.attribute))
    pushed, local = ranked[:SERVICE_FILTER_LIMIT], ranked[SERVICE_FILTER_LIMIT:]
    service: dict[str, Any] = {}
    if pushed:
        service["filters"] = [criterion.filter for criterion in pushed]
    if query.sort:
        service["sort"] = dict(query.sort)
    predicates = [filter_predicate(c.attribute, c.filter) for c in local] + query.refinements.predicates()
    return Plan(
        service_criteria=service,
        local=tuple(local),
        matches=all_of(predicates),
        by_service=tuple(c.said for c in pushed) or ("every image set (no filter)",),
        here=tuple(c.said for c in local) + tuple(query.refinements.said()),
    )
