"""Every Python example in README.md and docs/**/*.md runs, against ``FakeAssistant``.

How a ```` ```python ```` block is run (docs/index.md, "About the examples", says the
same for readers):

* **As a script.** Compiled with top-level ``await`` allowed and executed in a fresh
  namespace with ``__name__ == "__main__"``, with the working directory and ``HOME`` set
  to an empty temporary directory; ``asyncio.run(main())`` in it runs as usual.
* **Real-instance examples run as written**, against a ``FakeAssistant`` served from a
  background thread for this module: the :data:`PLACEHOLDERS` literals
  (``"<assistant-id>"``, ``"<environment-id>"``, the ``.../instances/<instance-id>``
  service URL) are replaced by the fake's values in the source, IBM Cloud's IAM
  endpoint (``watson_async.auth._iam.DEFAULT_IAM_URL``) is the fake's, the fake accepts the
  API key ``"my-apikey"``, and the ``ASSISTANT_*`` variables ``from_env`` reads name the
  fake.
* **Fragments**: a block with top-level ``await`` runs inside a coroutine whose scope
  already has the names in :data:`FRAGMENT_NAMES` (``client`` connected to the fake,
  ``assistant``, ``assistant_id``, ``environment_id``, a fresh ``session_id``, and a
  ``release`` with an export ready).
* **Tests in examples**: zero-argument ``test_*`` functions a block defines are called
  (awaited when async); a ``fake_assistant`` or ``fake_assistant_factory`` parameter
  gets what the pytest plugin's fixture gives, honouring
  ``@pytest.mark.fake_assistant(...)``; ``watson_cassette`` gets a recording cassette
  (mode ``once``) named by ``@pytest.mark.watson_cassette(...)``. The tests of
  :data:`PYTEST_PROJECT_FILES` (README.md, docs/testing.md) are run by pytest itself
  instead, in a new project with exactly the configuration docs/testing.md documents
  (``test_pytest_examples_run_with_the_documented_configuration``).
* **Output**: a ```` ```text ```` block right after a Python block (blank lines between
  allowed) is its expected standard output, compared exactly.
* **No network**: resolving or connecting to anything but loopback fails.
* **Opting out**: a block that cannot run (an ``ibm-watson`` call shown for comparison)
  is preceded by ``<!-- no-run: reason -->``. The reason is required and the number of
  such blocks is capped (:data:`MAX_NO_RUN`).
"""

from __future__ import annotations

import ast
import asyncio
import faulthandler
import importlib
import inspect
import ipaddress
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import _sdk
import pytest
from _doc_blocks import ANY_NO_RUN, DOC_FILES, NO_RUN, ROOT, Block, parse_blocks
from _subpytest import run_pytest

import watson_async.auth._iam
import watson_async.resilience.retry
import watson_async.testing.pytest_plugin
from watson_async import AssistantClient, IAMAuthenticator
from watson_async.protocol.routes import BY_NAME
from watson_async.testing import FakeAssistant

#: The API key real-instance examples use; the module's fake accepts it.
EXAMPLE_APIKEY = "my-apikey"
#: Names a fragment (a block with top-level ``await``) may use without defining them.
FRAGMENT_NAMES = (
    "client",
    "assistant",
    "assistant_id",
    "environment_id",
    "session_id",
    "release",
)
#: Fixtures a ``test_*`` function in an example may ask for.
FIXTURES = ("fake_assistant", "fake_assistant_factory", "watson_cassette")
#: At most this many blocks may opt out of running.
MAX_NO_RUN = 4
#: Seconds one block may take before the test run is aborted with a traceback.
BLOCK_TIMEOUT = 60

ALL_BLOCKS = [block for path in DOC_FILES for block in parse_blocks(path)]
#: Files whose ``test_*`` examples run under pytest in a new project (their fixtures and
#: conftest blocks too), not called in-process.
PYTEST_PROJECT_FILES = (ROOT / "README.md", ROOT / "docs" / "testing.md")
PYTHON_BLOCKS = [block for block in ALL_BLOCKS if block.language == "python"]
RUNNABLE = [block for block in PYTHON_BLOCKS if block.no_run is None]


# --------------------------------------------------------------------------- the fake


class FakeInThread:
    """A ``FakeAssistant`` served by its own event loop in a daemon thread, so examples
    can run their own ``asyncio.run()`` against it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def start() -> FakeAssistant:
            fake = FakeAssistant(apikey=EXAMPLE_APIKEY)
            await fake.start()
            return fake

        self.fake = self.call(start)
        self.release = asyncio.run(self._prepare_release())

    def call(self, function: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``function()`` on the fake's loop and wait for its result."""

        async def run() -> Any:
            return await function()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=10)

    def finish_tasks(self) -> None:
        async def finish() -> None:
            self.fake.finish_tasks()

        self.call(finish)

    async def _prepare_release(self) -> str:
        """A release of the fake's assistant with an export ready to download."""
        async with self.client() as client:
            release = (await client.create_release(self.fake.assistant_id)).release
            assert release is not None
            self.finish_tasks()
            await client.create_release_export(self.fake.assistant_id, release)
            self.finish_tasks()
            return release

    def client(self) -> AssistantClient:
        fake = self.fake
        return AssistantClient(
            "2024-08-25",
            IAMAuthenticator(fake.apikey, url=fake.iam_url),
            service_url=fake.service_url,
        )

    def stop(self) -> None:
        self.call(self.fake.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def served() -> Iterator[FakeInThread]:
    server = FakeInThread()
    try:
        yield server
    finally:
        server.stop()


#: Literal text in real-instance examples, replaced by the fake's value of the same name.
PLACEHOLDERS = {
    "https://api.us-south.assistant.watson.cloud.ibm.com/instances/<instance-id>": "service_url",
    "<assistant-id>": "assistant_id",
    "<environment-id>": "environment_id",
}


# --------------------------------------------------------------------------- sandbox


def _is_loopback(host: object) -> bool:
    if host is None or host == "localhost":
        return True
    if isinstance(host, bytes):
        host = host.decode()
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def _logging_restored() -> Iterator[None]:
    """Examples may configure logging (``basicConfig``, levels): undo it afterwards."""
    known = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    saved = [
        (logger, logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for logger in known
        if isinstance(logger, logging.Logger)
    ]
    try:
        yield
    finally:
        restored = set()
        for logger, level, handlers, propagate, disabled in saved:
            for handler in logger.handlers:
                if handler not in handlers:
                    handler.close()
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled
            logger.setLevel(level)  # also clears the isEnabledFor() caches
            restored.add(id(logger))
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if isinstance(logger, logging.Logger) and id(logger) not in restored:
                for handler in logger.handlers:
                    handler.close()
                logger.handlers.clear()
                logger.setLevel(logging.NOTSET)


@pytest.fixture
def sandbox(
    served: FakeInThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeInThread]:
    """Point everything an example may reach at the fake; refuse the network; undo
    what an example changes in the process (logging, ``set_testing``)."""
    fake = served.fake
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") or name in ("IBM_CREDENTIALS_FILE", "VCAP_SERVICES"):
            monkeypatch.delenv(name)
    for key, value in fake.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(watson_async.auth._iam, "DEFAULT_IAM_URL", fake.iam_url)
    # set_testing() in an example must not leak into other tests
    testing = watson_async.resilience.retry._TESTING
    monkeypatch.setattr(testing, "enabled", testing.enabled)
    monkeypatch.setattr(testing, "attempts", testing.attempts)

    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise OSError(f"docs examples must not reach the network (resolving {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise OSError(f"docs examples must not reach the network (connecting {address!r})")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    with _logging_restored():
        yield served


# --------------------------------------------------------------------------- running


def _source(block: Block, served: FakeInThread) -> str:
    code = block.code
    for literal, attribute in PLACEHOLDERS.items():
        code = code.replace(literal, getattr(served.fake, attribute))
    # pad so that tracebacks show the Markdown file's line numbers
    return "\n" * block.line + code


async def _run_fragment(code: Any, namespace: dict[str, Any], served: FakeInThread) -> None:
    fake = served.fake
    async with served.client() as client:
        session = await client.create_session(fake.assistant_id, fake.environment_id)
        scope = {
            "client": client,
            "assistant": client.assistant(fake.assistant_id, fake.environment_id),
            "assistant_id": fake.assistant_id,
            "environment_id": fake.environment_id,
            "session_id": session.session_id,
            "release": served.release,
        }
        assert set(scope) == set(FRAGMENT_NAMES)
        namespace.update(scope)
        coroutine: Coroutine[Any, Any, Any] = eval(code, namespace)
        await coroutine


async def _call_test(function: Callable[..., Any]) -> None:
    parameters = list(inspect.signature(function).parameters)
    unknown = sorted(set(parameters) - set(FIXTURES))
    assert not unknown, f"{function.__name__}: test_docs provides no fixture {unknown}"
    marks = [m for m in getattr(function, "pytestmark", []) if m.name == "fake_assistant"]
    options = dict(marks[0].kwargs) if marks else {}
    async with AsyncExitStack() as stack:
        kwargs: dict[str, Any] = {}
        if "fake_assistant" in parameters:
            kwargs["fake_assistant"] = await stack.enter_async_context(FakeAssistant(**options))
        if "fake_assistant_factory" in parameters:

            async def factory(**options: Any) -> FakeAssistant:
                return await stack.enter_async_context(FakeAssistant(**options))

            kwargs["fake_assistant_factory"] = factory
        if "watson_cassette" in parameters:
            # As the fixture with --watson-record-mode=once in a fresh folder: it records.
            from watson_async.testing import Cassette

            named = [m for m in getattr(function, "pytestmark", []) if m.name == "watson_cassette"]
            name = named[0].args[0] if named and named[0].args else function.__name__
            cassette = Cassette(Path("cassettes") / f"{name}.yaml", "once")
            kwargs["watson_cassette"] = await stack.enter_async_context(cassette)
        result = function(**kwargs)
        if inspect.isawaitable(result):
            await result


def run_block(block: Block, served: FakeInThread) -> None:
    filename = str(block.path)
    code = compile(_source(block, served), filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": filename}
    faulthandler.dump_traceback_later(BLOCK_TIMEOUT, exit=True, file=sys.__stderr__)
    try:
        if code.co_flags & inspect.CO_COROUTINE:
            asyncio.run(_run_fragment(code, namespace, served))
        else:
            exec(code, namespace)
        for name, value in list(namespace.items()):
            if (
                block.path not in PYTEST_PROJECT_FILES
                and name.startswith("test_")
                and inspect.isfunction(value)
                and value.__code__.co_filename == filename
            ):
                asyncio.run(_call_test(value))
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_example_runs(
    block: Block, sandbox: FakeInThread, capsys: pytest.CaptureFixture[str]
) -> None:
    run_block(block, sandbox)
    if block.expected_output is not None:
        assert capsys.readouterr().out == block.expected_output


# --------------------------------------------------------------------------- conventions


def test_examples_are_found() -> None:
    per_file = {path.name: 0 for path in DOC_FILES}
    for block in RUNNABLE:
        per_file[block.path.name] += 1
    assert per_file["README.md"] >= 2
    assert len(RUNNABLE) >= 30, per_file
    assert any(block.expected_output for block in RUNNABLE)


def test_no_run_blocks_are_few_and_explained() -> None:
    for path in DOC_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if ANY_NO_RUN.search(line):
                assert NO_RUN.match(line.strip()), (
                    f"{path}:{number}: write the marker as <!-- no-run: reason -->"
                )
                marked = [b for b in ALL_BLOCKS if b.path == path and b.before == line]
                assert marked, f"{path}:{number}: no-run marker without a code block below"
                assert all(b.language == "python" for b in marked), f"{path}:{number}"
    skipped = [block for block in PYTHON_BLOCKS if block.no_run is not None]
    assert len(skipped) <= MAX_NO_RUN, [b.id for b in skipped]


def test_python_blocks_are_tagged_python() -> None:
    """An untagged block that parses as Python would escape both ruff and this test."""
    for block in ALL_BLOCKS:
        if block.language in ("", "py", "python3", "pycon"):
            try:
                ast.parse(block.code)
            except SyntaxError:
                continue
            raise AssertionError(f"{block.id}: tag this Python block ```python")


def test_placeholders_are_the_documented_ones() -> None:
    text = "\n".join(block.code for block in RUNNABLE)
    for literal in PLACEHOLDERS:
        assert literal in text, f"placeholder {literal!r} is no longer used: update both"
    leftover = set(re.findall(r"<[a-z-]+-id>", text)) - {
        "<assistant-id>",
        "<environment-id>",
        "<instance-id>",
    }
    assert not leftover, f"unknown placeholders {leftover}: add them to PLACEHOLDERS"


_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@pytest.mark.parametrize(
    "path", [ROOT / "README.md", ROOT / "CHANGELOG.md"], ids=["README.md", "CHANGELOG.md"]
)
def test_relative_links_outside_the_site_resolve(path: Path) -> None:
    """mkdocs --strict checks links between docs pages; these files are not built."""
    for target in _LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        assert (path.parent / target.split("#")[0]).exists(), f"{path.name}: {target}"


# --------------------------------------------------------------------------- API reference

_DIRECTIVE = re.compile(r"^::: (?P<target>[\w.]+)\s*$", re.MULTILINE)


@pytest.mark.parametrize(
    "package",
    ["watson_async", "watson_async.models", "watson_async.testing", "watson_async.loadtest"],
)
def test_every_public_name_is_in_the_api_reference(package: str) -> None:
    """Each name in ``__all__`` has a ``:::`` block, or its module (re-exporting it) has."""
    targets = {
        match.group("target")
        for page in (ROOT / "docs" / "reference").glob("*.md")
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8"))
    }
    modules = []
    for target in targets:
        try:
            modules.append(importlib.import_module(target))
        except ImportError:
            continue
    public = importlib.import_module(package)
    missing = [
        name
        for name in public.__all__
        if f"{package}.{name}" not in targets
        and not any(
            name in getattr(module, "__all__", ())
            and getattr(module, name) is getattr(public, name)
            for module in modules
        )
    ]
    assert not missing, f"add these to a docs/reference page: {missing}"


# --------------------------------------------------------------------------- migration table

MIGRATION = ROOT / "docs" / "migration.md"
_ROW = re.compile(
    r"^\| `service\.(?P<sdk_name>\w+)\((?P<sdk_args>[^)]*)\)\.get_result\(\)` "
    r"\| `await client\.(?P<name>\w+)\((?P<args>[^)]*)\)` "
    r"\| (?P<returns>[^|]+) \|"
)


def _call_shape(signature: inspect.Signature) -> str:
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    keywords = [
        f"{p.name}=..."
        for p in signature.parameters.values()
        if p.kind is p.KEYWORD_ONLY and p.name not in ("headers", "timeout")
    ]
    return ", ".join(positional + keywords)


def test_migration_table_lists_every_endpoint_of_the_table() -> None:
    rows = [
        m for line in MIGRATION.read_text(encoding="utf-8").splitlines() if (m := _ROW.match(line))
    ]
    assert [row.group("name") for row in rows] == sorted(BY_NAME)
    for row in rows:
        returns = BY_NAME[row.group("name")].result.replace(" | ", "` or `")
        assert row.group("returns").strip() == f"`{returns}`", row.group("name")


def test_migration_table_lists_every_sdk_method_as_it_is() -> None:
    assistant_v2 = pytest.importorskip("ibm_watson.assistant_v2").AssistantV2
    sdk_methods = _sdk.sdk_methods(assistant_v2)
    assert len(sdk_methods) == 32
    rows = [
        m for line in MIGRATION.read_text(encoding="utf-8").splitlines() if (m := _ROW.match(line))
    ]
    listed = [row.group("name") for row in rows]
    assert listed == sdk_methods, "the table must list every AssistantV2 method, sorted"
    for row in rows:
        name = row.group("name")
        assert row.group("sdk_name") == name
        sdk_signature = inspect.signature(getattr(assistant_v2, name))
        our_signature = inspect.signature(getattr(AssistantClient, name))
        assert row.group("sdk_args") == _call_shape(sdk_signature), name
        assert row.group("args") == _call_shape(our_signature), name
        returns = str(our_signature.return_annotation).replace(" | ", "` or `")
        assert row.group("returns").strip() == f"`{returns}`", name


# --------------------------------------------------------------------------- pytest projects

#: A third-party deprecation a sync TestClient example raises (not the example's doing).
_STARLETTE_HTTPX = "ignore:Using `httpx` with `starlette.testclient`"


def _defines(block: Block) -> tuple[list[str], list[str]]:
    """(test functions, fixtures) a block defines at its top level."""
    tests, fixtures = [], []
    for node in ast.parse(block.code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("test_"):
                tests.append(node.name)
            elif any("fixture" in ast.unparse(d) for d in node.decorator_list):
                fixtures.append(node.name)
    return tests, fixtures


def _pytest_project(tmp_path: Path, pyproject: str) -> list[str]:
    """Write the documented pytest examples as a project; return the tests' names."""
    (tmp_path / "pyproject.toml").write_text(pyproject)
    conftest: list[str] = []
    names: list[str] = []
    for block in RUNNABLE:
        if block.path not in PYTEST_PROJECT_FILES:
            continue
        tests, fixtures = _defines(block)
        if tests:
            module = f"test_{block.path.stem.lower()}_{block.line}.py"
            (tmp_path / module).write_text(block.code)
            names += tests
        elif fixtures:
            conftest.append(block.code)
    (tmp_path / "conftest.py").write_text("\n\n".join(conftest))
    return names


def _run_pytest(project: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ASSISTANT_", "PYTEST_")) and key != "IBM_CREDENTIALS_FILE"
    }
    env.update(HOME=str(project), NO_PROXY="127.0.0.1,localhost")
    return run_pytest(project, "-q", "-W", "error", "-W", _STARLETTE_HTTPX, environ=env)


def _documented_pyproject() -> str:
    (config,) = [
        block.code
        for block in ALL_BLOCKS
        if block.path == ROOT / "docs" / "testing.md"
        and block.language == "toml"
        and "[tool.pytest.ini_options]" in block.code
    ]
    return config


@pytest.mark.slow
def test_pytest_examples_run_with_the_documented_configuration(tmp_path: Path) -> None:
    names = _pytest_project(tmp_path, _documented_pyproject())
    assert len(names) >= 5, names
    result = _run_pytest(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"{len(names)} passed" in output, output


@pytest.mark.slow
def test_without_the_documented_configuration_the_async_examples_do_not_run(
    tmp_path: Path,
) -> None:
    # The configuration is what makes them run: pytest-asyncio's default (strict) mode
    # leaves unmarked async tests to pytest, which can't run them.
    documented = _documented_pyproject()
    bare = "\n".join(line for line in documented.splitlines() if "asyncio_mode" not in line)
    assert bare != documented
    _pytest_project(tmp_path, bare + "\n")
    result = _run_pytest(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "async def functions are not natively supported" in output, output
