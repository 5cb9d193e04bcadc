"""tools/typecheck_docs.py: the docs' examples under mypy --strict, errors at their
Markdown lines (issue 17 item 4). Runs mypy in a subprocess. The whole docs are
type-checked by ``nox -s typecheck``, which runs the tool itself."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from _doc_blocks import ROOT, Block


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "typecheck_docs", ROOT / "tools" / "typecheck_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def block(line: int, code: str) -> Block:
    return Block(ROOT / "docs" / "example.md", line, "python", code, before="")


def test_errors_are_reported_at_their_markdown_line() -> None:
    tool = load_tool()
    fragment = block(  # uses the fragment names; its second line is wrong
        10,
        'reply = await assistant.message_stateless(input={"text": "hi"})\n'
        "count: int = reply.text\n",
    )
    script = block(30, "from watson_async import RetryPolicy\n\nRetryPolicy(max_wait=2)\n")
    untyped = block(50, "def handler(reply):\n    return reply.text\n")
    lines, status = tool.check([fragment, script, untyped], [])
    assert status == 1
    errors = sorted(line for line in lines if ": error:" in line)
    assert len(errors) == 2, lines
    assert errors[0].startswith("docs/example.md:12: error: Incompatible types")
    assert errors[1].startswith("docs/example.md:51: error: Function is missing")
