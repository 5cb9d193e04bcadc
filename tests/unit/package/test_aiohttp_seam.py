"""Every HTTP request the package makes goes through the transport seam (``transport/``):
no other module of the client imports aiohttp."""

from __future__ import annotations

import ast
from pathlib import Path

import watson_async

PACKAGE = Path(watson_async.__file__).parent

#: Modules allowed to import aiohttp, and why.
ALLOWED = {
    "transport/aiohttp_transport.py": "the transport: the one place that sends HTTP requests",
    "transport/failures.py": "the transport's mapping of aiohttp's failures to typed errors",
    "webhooks/aiohttp.py": "serves webhook handlers with aiohttp.web: a server, not a client",
}
#: Modules allowed to import aiohttp under ``if TYPE_CHECKING:`` only (never at run time).
ALLOWED_FOR_TYPES = {
    "analytics/sinks.py": "the type of SegmentBatchSink's session= argument",
}
#: The fake servers (FakeAssistant, FakeSegment) are aiohttp servers, not clients.
ALLOWED_DIRS = ("testing/",)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def aiohttp_imports(path: Path) -> set[str]:
    """``"runtime"`` and/or ``"types"``: how ``path`` imports aiohttp (empty: not at all)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                typing_only.update(id(n) for n in ast.walk(statement))
    found: set[str] = set()
    for node in ast.walk(tree):
        if any(name == "aiohttp" or name.startswith("aiohttp.") for name in _names(node)):
            found.add("types" if id(node) in typing_only else "runtime")
    return found


def test_only_the_transport_imports_aiohttp() -> None:
    unexpected: list[str] = []
    importers: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        found = aiohttp_imports(path)
        if found:
            importers.add(name)
        if not found or name in ALLOWED or name.startswith(ALLOWED_DIRS):
            continue
        if found == {"types"} and name in ALLOWED_FOR_TYPES:
            continue
        unexpected.append(f"{name} ({', '.join(sorted(found))})")
    assert "transport/aiohttp_transport.py" in importers  # the check sees imports at all
    assert not unexpected, f"aiohttp outside the transport seam: {unexpected}"


def test_the_import_check_sees_every_form(tmp_path: Path) -> None:
    forms = {
        "import aiohttp\n": {"runtime"},
        "import aiohttp.web as web\n": {"runtime"},
        "from aiohttp import ClientSession\n": {"runtime"},
        "from aiohttp.abc import AbstractStreamWriter\n": {"runtime"},
        "def f():\n    from aiohttp import web\n": {"runtime"},
        "if TYPE_CHECKING:\n    import aiohttp\n": {"types"},
        "if typing.TYPE_CHECKING:\n    from aiohttp import web\n": {"types"},
        "if TYPE_CHECKING:\n    pass\nelse:\n    import aiohttp\n": {"runtime"},
        "import aiohttp_retry\n": set(),
        "from . import aiohttp\n": set(),
        "import yarl\n": set(),
    }
    for source, expected in forms.items():
        path = tmp_path / "m.py"
        path.write_text(source)
        assert aiohttp_imports(path) == expected, source
