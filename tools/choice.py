"""Which datastore a call means when it does not say: the configured default, else the only active one."""

from imageset_search.datastores import healthimaging as service
from imageset_search.datastores.protocol import Datastore
from imageset_search.tools.errors import SearchError


def _listing(datastore: Datastore) -> list[dict]:
    summaries, token = [], None
    while True:
        page = datastore.list_datastores(datastore_status="ACTIVE", max_results=service.PAGE_MAX, next_token=token)
        summaries += page.get("datastoreSummaries") or []
        token = page.get("nextToken")
        if not token:
            return summaries


def describe_datastores(found: list[dict]) -> str:
    return "; ".join(f"{item['datastoreId']} ({item.get('datastoreName') or 'no name'})" for item in found)


def implied_datastore(default: str | None, active: list[str]) -> str | None:
    """The datastore a call without datastore_id means: the configured default, else the only active one."""
    if default:
        return default
    return active[0] if len(active) == 1 else None


def choose_datastore(datastore: Datastore, given: str | None, default: str | None) -> str:
    if given is not None and given.strip():
        chosen = given.strip()
        if not service.is_id(chosen):
            raise SearchError(
                "datastore_id must be 32 lower-case letters and digits; call list_datastores to see the ids"
            )
        return chosen
    found = [] if default else _listing(datastore)
    implied = implied_datastore(default, [item["datastoreId"] for item in found])
    if implied:
        return implied
    if not found:
        raise SearchError(
            "there is no active datastore: import DICOM files (imageset-search import PATH) or build the demo one "
            "(imageset-search demo-data)"
        )
    raise SearchError(f"several datastores exist; pass datastore_id, one of: {describe_datastores(found)}")
