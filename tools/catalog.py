"""The tools the server offers, each as plain data: name, words for the model, argument and result models, logic.

The server registers every entry the same way (strict validation, error mapping, short text beside the structured
result), so adding a tool is adding a `ToolSpec` (tools/spec.py) to CATALOG; nothing here knows about MCP.
"""

from imageset_search.tools import results, search
from imageset_search.tools.datastore_list import LIST_DATASTORES
from imageset_search.tools.image_sets import GET_IMAGE_SET, LIST_IMAGE_SET_VERSIONS
from imageset_search.tools.metadata import GET_IMAGE_SET_METADATA
from imageset_search.tools.models import SearchArgs
from imageset_search.tools.spec import ToolSpec

SEARCH_DESCRIPTION = """\
Search medical image sets (one DICOM series each) as AWS HealthImaging's SearchImageSets does, with loose values \
made exact.
Searchable: patient_id, accession_number, study_id, study_instance_uid, series_instance_uid (exact, case-sensitive), \
study_date, created, updated (phrases such as 'last March', 'since June', 'Q3 2021', 'past two weeks', \
'20230101-20230315', or {from, to}), is_primary. Refinements: modality, body_part, patient_name (words in any \
order, case and accents), study_description (contains), patient_sex, patient_birth_date. Each criterion runs in the \
datastore where it can (the local datastore searches them all); the rest are checked here on each result (a long \
scan stops at a budget and says so).
Instead of the flat fields you may pass search_criteria: AWS's own searchCriteria JSON, verbatim.
Results are grouped by study (detail=summary) or AWS's own summaries (detail=full). The result says how each loose \
value was read (interpreted) and where each criterion ran. When has_more is true, call again with only next_token: \
it continues exactly where this call stopped, with no duplicates. Read-only."""

SEARCH = ToolSpec(
    name="search_image_sets",
    title="Search image sets",
    description=SEARCH_DESCRIPTION,
    arguments=SearchArgs,
    result=results.SearchResult,
    run=search.search_image_sets,
    text=results.text,
)

CATALOG: tuple[ToolSpec, ...] = (SEARCH, GET_IMAGE_SET, LIST_IMAGE_SET_VERSIONS, GET_IMAGE_SET_METADATA, LIST_DATASTORES)
