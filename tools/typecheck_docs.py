"""Type-check the Python examples of README.md and docs/**/*.md with ``mypy --strict``.

``python tools/typecheck_docs.py [mypy options]`` (``nox -s typecheck`` runs it). The
blocks are the ones ``tests/integration/package/test_docs.py`` runs (found by
``tests/_doc_blocks.py``; ``<!-- no-run: reason -->`` blocks are skipped), each
checked as a module of its own:

* a **script** (no top-level ``await``) as written;
* a **fragment** (top-level ``await``) as the body of an ``async def`` whose
  parameters are the names test_docs gives fragments, typed by :data:`PRELUDE`
  (``client: AssistantClient``, ``assistant: Assistant``, the IDs as ``str``).

Errors are reported at the Markdown file's line. Exit status: mypy's.
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _doc_blocks import DOC_FILES, ROOT, Block, parse_blocks

#: What a fragment may use without defining it (test_docs.FRAGMENT_NAMES, typed).
PRELUDE = """\
from watson_async import AssistantClient
from watson_async.conversation import Assistant


async def _fragment(
    client: AssistantClient,
    assistant: Assistant,
    assistant_id: str,
    environment_id: str,
    session_id: str,
    release: str,
) -> None:
"""
_MYPY_LINE = re.compile(r"^(?P<file>[^:\s]+\.py):(?P<line>\d+):(?P<rest>.*)$")


def is_fragment(block: Block) -> bool:
    """Whether the block awaits at top level (test_docs runs it inside a coroutine)."""
    code = compile(block.code, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return bool(code.co_flags & inspect.CO_COROUTINE)


def module_source(block: Block) -> tuple[str, int]:
    """The module to check for ``block`` and the module line of the block's first line."""
    if is_fragment(block):
        return PRELUDE + textwrap.indent(block.code, "    ", lambda line: True), (
            PRELUDE.count("\n") + 1
        )
    return block.code, 1


def module_name(block: Block, index: int) -> str:
    stem = re.sub(r"\W", "_", str(block.path.relative_to(ROOT)).removesuffix(".md"))
    return f"doc_{index:03d}_{stem}_L{block.line}"


def check(blocks: list[Block], mypy_args: list[str]) -> tuple[list[str], int]:
    """mypy's report on ``blocks`` (each error at its Markdown line) and its exit status."""
    with tempfile.TemporaryDirectory(prefix="docs-mypy-") as tmp:
        where: dict[str, tuple[Block, int]] = {}
        for index, block in enumerate(blocks):
            source, first = module_source(block)
            name = module_name(block, index)
            (Path(tmp) / f"{name}.py").write_text(source, encoding="utf-8")
            where[name] = (block, first)
        files = sorted(str(Path(tmp) / f"{name}.py") for name in where)
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", *mypy_args, *files],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    lines = []
    for line in result.stdout.splitlines():
        match = _MYPY_LINE.match(line)
        if match is not None and Path(match["file"]).stem in where:
            block, first = where[Path(match["file"]).stem]
            markdown_line = block.line + int(match["line"]) - first + 1
            line = f"{block.path.relative_to(ROOT)}:{markdown_line}:{match['rest']}"
        lines.append(line)
    lines.extend(result.stderr.splitlines())
    return lines, result.returncode


def main(mypy_args: list[str]) -> int:
    blocks = [
        block
        for path in DOC_FILES
        for block in parse_blocks(path)
        if block.language == "python" and block.no_run is None
    ]
    lines, status = check(blocks, mypy_args)
    print("\n".join(lines))
    print(f"{len(blocks)} examples checked", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
