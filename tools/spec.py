"""A tool as plain data: its name, its words for the model, its argument and result models, and its logic."""

from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel

from imageset_search.datastores.protocol import Datastore
from imageset_search.tools.settings import Settings


class ToolResult(BaseModel):
    """What a tool returns; the server sends `compact()` as the structured content, the same way for every tool."""

    def compact(self) -> dict[str, Any]:
        """The structured content: empty fields dropped."""
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    arguments: type[BaseModel]
    result: type[ToolResult]
    run: Callable[[Datastore, Any, Settings], ToolResult]
    text: Callable[[Any], str]  # the headline: what was found and how to go on; the server adds the result itself
