"""The tools the server offers, each as plain data: name, words for the model, argument and result models, logic.

The server registers every entry the same way (strict validation, error mapping, a lean published schema, and a
text that carries the whole structured result under the tool's headline), so adding a tool is adding a `ToolSpec`
(tools/spec.py) to CATALOG; nothing here knows about MCP.
"""

from imageset_search.tools.datastore_list import LIST_DATASTORES
from imageset_search.tools.image_sets import GET_IMAGE_SET, LIST_IMAGE_SET_VERSIONS
from imageset_search.tools.metadata import GET_IMAGE_SET_METADATA
from imageset_search.tools.search import SEARCH_IMAGE_SETS
from imageset_search.tools.spec import ToolSpec

CATALOG: tuple[ToolSpec, ...] = (
    SEARCH_IMAGE_SETS,
    GET_IMAGE_SET,
    LIST_IMAGE_SET_VERSIONS,
    GET_IMAGE_SET_METADATA,
    LIST_DATASTORES,
)
