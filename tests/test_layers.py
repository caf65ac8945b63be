"""The layers of docs/architecture.md hold: every import runs downward.

The rules are read from the table in docs/architecture.md, so the document
and the code cannot disagree without this test failing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "src" / "inkwell"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
WITHOUT_FLASK = (
    "models",
    "queries",
    "services",
    "dialects",
    "fulltext",
    "search_terms",
    "transactions",
    "seeding",
    "markdown",
)
ROW = re.compile(r"^\| `(?P<layer>[a-z_]+)` \| .* \| (?P<imports>[^|]+) \|$")


def allowed_imports() -> dict[str, set[str]]:
    """Each layer and the layers it may import, from the architecture table."""
    rules: dict[str, set[str]] = {}
    for line in ARCHITECTURE.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rules[match["layer"]] = set(re.findall(r"`([a-z_]+)`", match["imports"]))
    return rules


def layer_of(module: Path) -> str:
    """`src/inkwell/services/tags.py` → `services`; `src/inkwell/__init__.py` → `inkwell`."""
    parts = module.relative_to(PACKAGE).with_suffix("").parts
    return "inkwell" if parts == ("__init__",) else parts[0]


def imports(source: str) -> Iterator[tuple[int, str]]:
    """Every module `source` imports, with its line, including imports inside functions."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "inkwell":  # `from inkwell import dialects`
                for alias in node.names:
                    yield node.lineno, f"inkwell.{alias.name}"
            else:
                yield node.lineno, node.module


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "versions" not in p.parts)


def test_every_layer_is_in_the_table() -> None:
    rules = allowed_imports()
    assert {layer_of(module) for module in modules()} <= set(rules)


def violations(source: str, layer: str, rules: dict[str, set[str]]) -> list[str]:
    """The imports in `source`, a module of `layer`, that break the rules."""
    everything = set(rules)
    allowed = everything if layer == "inkwell" else rules[layer] | {layer}
    wrong = []
    for line, name in imports(source):
        parts = name.split(".")
        if parts[0] == "inkwell":
            target = parts[1] if len(parts) > 1 and parts[1] in everything else "inkwell"
            if target not in allowed:
                wrong.append(f"line {line}: {name} ({layer} may not import {target})")
        elif parts[0] == "flask" and layer in WITHOUT_FLASK:
            wrong.append(f"line {line}: {name} ({layer} must not depend on Flask)")
    return wrong


@pytest.mark.parametrize("module", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_only_downward(module: Path) -> None:
    wrong = violations(module.read_text(), layer_of(module), allowed_imports())
    assert not wrong, "\n".join(wrong)


def test_upward_and_flask_imports_are_caught() -> None:
    """The checker itself, on imports that must be refused wherever they hide."""
    source = (
        "from inkwell.web.forms import show_errors\n"
        "def later():\n"
        "    from inkwell import http\n"
        "    import flask\n"
        "from inkwell.models import User\n"
    )
    wrong = violations(source, "services", allowed_imports())
    assert wrong == [
        "line 1: inkwell.web.forms (services may not import web)",
        "line 3: inkwell.http (services may not import http)",
        "line 4: flask (services must not depend on Flask)",
    ]


@pytest.mark.parametrize("module", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_config_reads_the_environment(module: Path) -> None:
    if module == PACKAGE / "config.py":
        return
    tree = ast.parse(module.read_text())
    reads = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and node.attr in ("environ", "getenv", "environb")
    ]
    assert not reads, f"os.environ read on lines {reads}"
