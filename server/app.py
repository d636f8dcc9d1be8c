"""The MCP server: every entry of `tools.catalog` registered the same way, strict and never masked.

The SDK's generated argument model ignores unknown top-level keys and its validation errors echo the values sent.
So each tool publishes its own pydantic model's schema, receives the raw arguments, counts them (tools/bounds.py)
and validates them itself: an unknown key anywhere is an error describing it, and no message repeats a value or an
unknown name (either may be patient data). Every failure becomes a ToolError with words the model can act on; an
unexpected one is logged by type and place only and still reaches the model as a plain sentence, never as the SDK's
bare "Error executing tool".
"""

import json
import logging
import threading
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import UnionType
from typing import Annotated, Any, Callable, Union, get_args, get_origin

from mcp import MCPError
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError, UnexpectedResourceError
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument, UserMessage
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from imageset_search.datastores.errors import DatastoreError
from imageset_search.datastores.protocol import Datastore
from imageset_search.prompts import PromptError, PromptTemplate, load_prompts
from imageset_search.server.schemas import published_schema
from imageset_search.server.warm import Warmer
from imageset_search.tools.bounds import check_size
from imageset_search.tools.catalog import CATALOG
from imageset_search.tools.spec import ToolSpec
from imageset_search.tools.errors import SearchError, describe_validation_error, explain
from imageset_search.tools.settings import Settings
from imageset_search.tools.text_form import dense

log = logging.getLogger("imageset_search.server")

INSTRUCTIONS = """\
Searches medical image sets (DICOM series) in an AWS HealthImaging datastore or the local one. Start with \
search_image_sets; dates may be phrases ('last March', 'since 2020'). Follow has_more/next_token to page. Use the \
image_set_id of a result with get_image_set_metadata for details. Everything is read-only."""


class RawArguments(ArgModelBase):
    """Hands the tool the arguments exactly as sent, so the tool's own strict model judges them.

    The SDK validates every call's arguments with this model before the tool sees them; validating them as extra
    fields cost pydantic time per key (46 ms for 100,000 unknown keys) before the size check could refuse them. So
    validation only keeps a reference to the dict."""

    _arguments: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def model_validate(cls, obj: Any, **_options: Any) -> "RawArguments":
        raw = cls.model_construct()
        raw._arguments = obj if isinstance(obj, dict) else {}
        return raw

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": self._arguments}


class LazyDatastore:
    """Builds the datastore on first use (boto3 and SQLite stay out of `initialize`), once, for every session, and
    closes it when the server stops (the local store holds SQLite connections); a later call opens it again."""

    def __init__(self, factory: Callable[[], Datastore]):
        self._factory = factory
        self._datastore: Datastore | None = None
        self._lock = threading.Lock()

    def get(self) -> Datastore:
        with self._lock:
            if self._datastore is None:
                self._datastore = self._factory()
            return self._datastore

    def close(self) -> None:
        with self._lock:
            datastore, self._datastore = self._datastore, None
        close = getattr(datastore, "close", None)
        if callable(close):
            close()


def _closing(lazy: LazyDatastore):
    """The server's lifespan: whatever datastore it opened is closed when it stops (end of stdio, HTTP shutdown)."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {}
        finally:
            lazy.close()

    return lifespan


JSON_TEXT_MAX = 100_000  # longer JSON-in-a-string is left for validation to refuse, unparsed


def _leaf_types(annotation: Any) -> set:
    """The plain types an annotation admits (Optional, unions and Annotated looked through)."""
    if get_origin(annotation) is Annotated:
        return _leaf_types(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return set().union(*(_leaf_types(member) for member in get_args(annotation)))
    return {get_origin(annotation) or annotation}


def _takes_json(field) -> bool:
    return bool(_leaf_types(field.annotation) - {str, type(None), int, float, bool})


def _decoded(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Objects and lists some hosts send as JSON text, parsed, for the arguments that take objects or lists."""
    decoded = dict(arguments)
    for name, field in model.model_fields.items():
        value = arguments.get(name)
        if not isinstance(value, str) or not _takes_json(field):
            continue
        if value.lstrip()[:1] in ("{", "[") and len(value) <= JSON_TEXT_MAX:
            try:
                decoded[name] = json.loads(value)
            except (ValueError, RecursionError):
                pass  # left for validation to reject with a proper message
    return decoded


def _unexpected(spec: ToolSpec, exc: Exception) -> ToolError:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    log.error("%s failed: %s at %s:%s (%s)", spec.name, type(exc).__name__, where.filename, where.lineno, where.name)
    return ToolError(
        f"{spec.name} failed inside the server ({type(exc).__name__}); nothing was changed. Try again; if it "
        "persists, simplify the request (fewer criteria, a smaller max_items) and report it with the server log."
    )


def model_text(spec: ToolSpec, result: BaseModel, structured: dict[str, Any]) -> str:
    """The text content: the tool's headline, a blank line, then the structured content whole in the dense text
    form. Hosts that show their model only the text (claude.ai's local servers, MCP Apps hosts, Mastra, LibreChat)
    thus see every id, field, reading, warning and the next_token, as hosts that show only the structured content do."""
    return f"{spec.text(result)}\n\n{dense(structured)}"


def _called_with(arguments: dict[str, Any], known: frozenset[str]) -> str:
    """The argument names for the debug log: known ones by name, the others counted (a key may hold patient data)."""
    names = sorted(name for name in arguments if name in known)
    unknown = len(arguments) - len(names)
    return ", ".join(names + ([f"{unknown} unknown"] if unknown else [])) or "no arguments"


def _handler(spec: ToolSpec, datastore: LazyDatastore, settings: Settings):
    known = frozenset(spec.arguments.model_json_schema(by_alias=True)["properties"])

    def handle(arguments: dict[str, Any]) -> CallToolResult:
        log.debug("%s called with %s", spec.name, _called_with(arguments, known))
        try:
            check_size(arguments, known)  # before the decoding and validation whose cost grows with the size
            decoded = _decoded(spec.arguments, arguments)
            check_size(decoded, known)  # JSON text may unfold into more
            args = spec.arguments.model_validate(decoded)
            result = spec.run(datastore.get(), args, settings)
        except ValidationError as exc:
            raise ToolError(describe_validation_error(exc)) from None
        except SearchError as exc:
            raise ToolError(str(exc)) from None
        except DatastoreError as exc:
            raise ToolError(explain(exc)) from None
        except Exception as exc:  # a bug: the model still gets words, the log gets where
            raise _unexpected(spec, exc) from None
        structured = result.compact()
        return CallToolResult(content=[TextContent(type="text", text=model_text(spec, result, structured))],
                              structured_content=structured)  # fmt: skip

    return handle


def _tool(spec: ToolSpec, datastore: LazyDatastore, settings: Settings) -> Tool:
    return Tool(
        fn=_handler(spec, datastore, settings),
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=published_schema(spec.arguments),
        fn_metadata=FuncMetadata(
            arg_model=RawArguments, output_schema=published_schema(spec.result), output_model=spec.result
        ),
        is_async=False,
        annotations=ToolAnnotations(  # no title here: the tool's own title says it once
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        ),
    )


class TemplatePrompt(Prompt):
    """A prompt file's template: missing or unknown arguments are the client's to fix, so they come back as
    invalid-params errors that say which, not as the SDK's "Internal server error"."""

    template: PromptTemplate = Field(exclude=True)

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> list[UserMessage]:
        try:
            return [UserMessage(self.template.render(**(arguments or {})))]
        except PromptError as exc:
            raise MCPError(INVALID_PARAMS, str(exc)) from None


def _prompt(template: PromptTemplate) -> Prompt:
    return TemplatePrompt(
        name=template.name,
        title=template.title,
        description=template.description,
        arguments=[
            PromptArgument(name=argument.name, description=argument.description, required=argument.required)
            for argument in template.arguments
        ],
        fn=template.render,
        template=template,
    )


def _resource_json(read: Callable[[], Any]) -> str:
    """A resource's content as JSON, its failures in the same plain words as the tools'."""
    try:
        return json.dumps(read(), indent=1)
    except SearchError as exc:
        raise ResourceError(str(exc)) from None
    except DatastoreError as exc:
        raise ResourceError(explain(exc)) from None


def _add_resources(server: MCPServer, datastore: LazyDatastore, settings: Settings) -> None:
    from imageset_search.tools.datastore_list import datastore_listing
    from imageset_search.tools.metadata import metadata_summary

    @server.resource(
        "imageset://datastores", name="datastores", mime_type="application/json",
        description="Every datastore: id, name, status, image set count where known, and the default one.",
    )  # fmt: skip
    def datastores() -> str:
        return _resource_json(lambda: datastore_listing(datastore.get(), settings))

    @server.resource(
        "imageset://{datastore_id}/{image_set_id}/metadata", name="image set metadata", mime_type="application/json",
        description="The metadata summary of one image set: patient, study, series, instance counts.",
    )  # fmt: skip
    def metadata(datastore_id: str, image_set_id: str) -> str:
        return _resource_json(lambda: metadata_summary(datastore.get(), datastore_id, image_set_id))


RESOURCE_ADDRESSES = "imageset://datastores and imageset://{datastore_id}/{image_set_id}/metadata"


class ImageSetServer(MCPServer):
    """The SDK's server with its refusals of unknown names retold: the SDK repeats the name or address sent (it
    may be a patient ID put in the wrong place) in its reply and, for a prompt, in an ERROR log with a traceback."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        if self._tool_manager.get_tool(name) is None:
            known = ", ".join(tool.name for tool in self._tool_manager.list_tools())
            raise ToolError(f"Unknown tool (a name of {len(name)} characters): the tools are {known}")
        return await super().call_tool(name, arguments, context)

    async def get_prompt(self, name: str, arguments: dict[str, Any] | None = None, context: Any = None) -> Any:
        if self._prompt_manager.get_prompt(name) is None:
            known = ", ".join(prompt.name for prompt in self._prompt_manager.list_prompts())
            raise MCPError(
                INVALID_PARAMS, f"Unknown prompt (a name of {len(name)} characters): the prompts are {known}"
            )
        return await super().get_prompt(name, arguments, context)

    async def run_stdio_async(self) -> None:
        """stdio with a JSON-RPC error reply to every line the SDK's reader cannot read (see server/stdio.py)."""
        from imageset_search.server.stdio import serve_stdio

        await serve_stdio(self._lowlevel_server)

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        try:
            return await super().read_resource(uri, context)
        except ResourceNotFoundError:
            raise MCPError(
                INVALID_PARAMS,
                f"Unknown resource (an address of {len(str(uri))} characters): read {RESOURCE_ADDRESSES}",
            ) from None
        except UnexpectedResourceError:
            raise
        except ResourceError as exc:  # the SDK would send the address back as the error's data
            raise MCPError(INTERNAL_ERROR, str(exc)) from None


def create_server(datastore: Datastore | Callable[[], Datastore], settings: Settings) -> MCPServer:
    """The MCP server over one datastore (or a factory for it, called on first use). A datastore handed in stays
    the caller's to close; one the server builds from a factory, it closes when it stops."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("imageset-search-mcp")
    except PackageNotFoundError:
        release = "0"
    owned = callable(datastore)
    lazy = LazyDatastore(datastore if owned else lambda: datastore)
    server = ImageSetServer(
        "imageset-search",
        version=release,
        instructions=INSTRUCTIONS,
        tools=[_tool(spec, lazy, settings) for spec in CATALOG],
        lifespan=_closing(lazy) if owned else None,
    )
    server.middleware.append(Warmer(lazy.get))
    for template in load_prompts():
        server.add_prompt(_prompt(template))
    _add_resources(server, lazy, settings)
    return server
