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
Search medical image sets (one DICOM series each) as AWS HealthImaging's SearchImageSets does.
Exact, case-sensitive: patient_id, accession_number, study_id, study_instance_uid, series_instance_uid. Dates \
(study_date, created, updated) take phrases ('last March', 'since 2020', 'Q3 2021') or {from, to}. Checked on each \
result: modality, body_part, patient_name (words, any order), study_description (contains), patient_sex, \
patient_birth_date. Or send AWS's searchCriteria JSON as search_criteria instead of these.
The result says how loose values were read and where each criterion ran. When has_more is true, call again with \
only next_token: it continues exactly there. Read-only."""

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
