"""Split a query between the datastore and this server: each criterion runs in the strongest place that can answer it.

SearchImageSets takes at most two filters. The most selective go in `searchCriteria`, exact IDs first (a series UID
narrows more than a patient ID), then a date range. Every other criterion (a third filter, every refinement) goes to
the datastore too where it declares it can search it (`datastores.capabilities`), as the `refinements` beside
`searchCriteria`; what it does not declare, or declares only to narrow, is checked here on each returned summary (the
scan, with its budget). The plan says which ran where, so the model can tell the user.
"""

from dataclasses import dataclass, field
from typing import Any

from imageset_search.datastores import capabilities as caps
from imageset_search.datastores.healthimaging import FILTERS_MAX
from imageset_search.tools.criteria import Criterion
from imageset_search.tools.refine import Predicate, Refinements, all_of, filter_predicate

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
NO_FILTER = "every image set (no filter)"


@dataclass(frozen=True)
class Query:
    """What was asked, exactly: the criteria, the refinements and the sort. A token carries it whole."""

    criteria: tuple[Criterion, ...] = ()
    refinements: Refinements = field(default_factory=Refinements)
    sort: dict[str, str] | None = None


@dataclass(frozen=True)
class Plan:
    service_criteria: dict[str, Any]
    refinements: dict[str, Any]  # pushed to the datastore beside searchCriteria (empty: plain SearchImageSets)
    matches: Predicate | None  # None: every summary the datastore returns is a match
    by_service: tuple[str, ...]
    here: tuple[str, ...]


def plan(query: Query, capabilities: caps.Capabilities | None = None) -> Plan:
    """Where each criterion runs, given what the datastore declares it searches (nothing declared: the scan)."""
    declared = capabilities or {}
    ranked = sorted(query.criteria, key=lambda criterion: PUSH_DOWN_ORDER.index(criterion.attribute))
    in_criteria, beyond = ranked[:FILTERS_MAX], ranked[FILTERS_MAX:]
    service: dict[str, Any] = {}
    if in_criteria:
        service["filters"] = [criterion.filter for criterion in in_criteria]
    if query.sort:
        service["sort"] = dict(query.sort)
    placed = _Placed(by_service=[c.said for c in in_criteria])
    if beyond:
        checks = [filter_predicate(c.attribute, c.filter) for c in beyond]
        placed.add(
            declared.get(caps.EXTRA_FILTERS),
            caps.EXTRA_FILTERS,
            [c.filter for c in beyond],
            [c.said for c in beyond],
            checks,
        )
    for part in query.refinements.parts():
        placed.add(declared.get(part.kind), part.kind, part.value, [part.said], [part.check])
    return Plan(
        service_criteria=service,
        refinements=placed.pushed,
        matches=all_of(placed.checks),
        by_service=tuple(placed.by_service) or (NO_FILTER,),
        here=tuple(placed.here),
    )


@dataclass
class _Placed:
    by_service: list[str]
    pushed: dict[str, Any] = field(default_factory=dict)
    here: list[str] = field(default_factory=list)
    checks: list[Predicate] = field(default_factory=list)

    def add(
        self, capability: caps.Capability | None, kind: str, value: Any, said: list[str], checks: list[Predicate]
    ) -> None:
        """Push a criterion where the datastore searches it; check it here too unless its answer is exact."""
        if capability is not None:
            self.pushed[kind] = value
            self.by_service.extend(said)
        if capability is None or capability.answer == caps.NARROWS:
            self.here.extend(said)
            self.checks.extend(checks)
