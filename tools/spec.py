"""A tool as plain data: its name, its words for the model, its argument and result models, and its logic."""

from dataclasses import dataclass
from typing import Any, Callable

from pydantic import BaseModel

from imageset_search.datastores.protocol import Datastore
from imageset_search.tools.settings import Settings


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    arguments: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Datastore, Any, Settings], BaseModel]
    text: Callable[[Any], str]  # the headline: what was found and how to go on; the server adds the result itself
