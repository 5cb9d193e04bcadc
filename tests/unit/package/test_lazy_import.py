"""``import watson_async`` loads its public names on first use (PEP 562): the name map
agrees with the imports type checkers read, and every name resolves to its definition."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import watson_async
import watson_async.models
import watson_async.testing


def _type_checking_imports(module: object) -> dict[str, str]:
    """Name -> module of the ``if TYPE_CHECKING:`` imports in ``module``'s source."""
    tree = ast.parse(Path(module.__file__).read_text())  # type: ignore[attr-defined]
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                for alias in imp.names:
                    found[alias.asname or alias.name] = imp.module or ""
    return found


def test_the_lazy_map_is_the_type_checking_imports() -> None:
    assert _type_checking_imports(watson_async) == watson_async._WHERE
    assert set(watson_async._WHERE) | {"__version__"} == set(watson_async.__all__)
    testing = watson_async.testing
    assert _type_checking_imports(testing) == testing._WHERE
    assert set(testing._WHERE) == set(testing.__all__)


def test_every_public_name_is_its_definition() -> None:
    for name, module in watson_async._WHERE.items():
        assert getattr(watson_async, name) is getattr(importlib.import_module(module), name)
    for name, module in watson_async.testing._WHERE.items():
        assert getattr(watson_async.testing, name) is getattr(importlib.import_module(module), name)
    for name in watson_async.models.__all__:
        defined_in = [m for m in watson_async.models._MODULES if name in _exports(m).__all__]  # type: ignore[attr-defined]
        assert len(defined_in) == 1, (name, defined_in)
        assert getattr(watson_async.models, name) is getattr(_exports(defined_in[0]), name)


def _exports(module: str) -> object:
    return importlib.import_module(f"watson_async.models.{module}")


def test_unknown_names_raise_attribute_error() -> None:
    for module in (watson_async, watson_async.models, watson_async.testing):
        with pytest.raises(AttributeError, match="NoSuchName"):
            getattr(module, "NoSuchName")  # noqa: B009 - the lookup under test


def _lines_printed_by(code: str) -> list[str]:
    """What ``code`` prints, run in a fresh interpreter (nothing imported yet)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_importing_the_package_loads_neither_aiohttp_nor_the_models() -> None:
    code = (
        "import sys, watson_async, watson_async.models\n"
        "assert not hasattr(watson_async.models, '__wrapped__')  # a probe loads no model\n"
        "print(sorted(m for m in ('aiohttp', 'watson_async.models._base', 'watson_async.analytics')"
        " if m in sys.modules))\n"
        "from watson_async import AssistantClient\n"
        "print(sorted(m for m in ('watson_async.analytics', 'watson_async.models.skills',"
        " 'watson_async.models.providers', 'jwt') if m in sys.modules))\n"
    )
    assert _lines_printed_by(code) == ["[]", "[]"]


def test_loading_the_pytest_plugin_loads_no_fake_and_no_aiohttp() -> None:
    # Every pytest run of a project that installs watson_async loads the plugin.
    code = (
        "import sys, watson_async.testing.pytest_plugin\n"
        "print(sorted(m for m in ('aiohttp', 'watson_async.testing.fake',"
        " 'watson_async.testing.cassette', 'watson_async.client') if m in sys.modules))\n"
    )
    assert _lines_printed_by(code) == ["[]"]
