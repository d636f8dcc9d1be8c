"""The import arrows the design states hold in the source: server -> tools -> datastores, prompts plain data, and
tools.errors a leaf that every tool may import (it once imported the catalog back, an eleven-module cycle)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from imageset_search.tools.arguments import ToolArguments
from imageset_search.tools.catalog import CATALOG

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {  # folder -> the imageset_search packages its modules must not import
    "datastores": {"tools", "server", "prompts"},
    "tools": {"server", "prompts"},
    "prompts": {"tools", "server", "datastores"},
}


def imported_packages(path: Path) -> set[str]:
    """The imageset_search.<package> names a module imports, lazily or not."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found |= {name.split(".")[1] for name in names if name.startswith("imageset_search.") and "." in name}
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_the_arrows_run_one_way(folder):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[folder])
        for path in (ROOT / folder).rglob("*.py")
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_tools_errors_loads_without_any_tool():
    code = "import sys, imageset_search.tools.errors; print(sorted(m for m in sys.modules if 'imageset_search.' in m))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "catalog" not in loaded and "tools.search" not in loaded and "tools.models" not in loaded


def test_every_tools_arguments_are_tool_arguments():
    """tools.errors compares a misspelt key with the names of every ToolArguments: each tool's model must be one."""
    assert all(issubclass(spec.arguments, ToolArguments) for spec in CATALOG)
    assert {spec.arguments for spec in CATALOG} == set(ToolArguments.__subclasses__())
