"""The fenced code blocks of README.md and docs/**/*.md: what tests/integration/package/
test_docs.py runs and tools/typecheck_docs.py type-checks, found one way for both."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
NO_RUN = re.compile(r"^<!--\s*no-run:\s*(?P<reason>\S.*?)\s*-->$")
ANY_NO_RUN = re.compile(r"^\s*<!--\s*no[-_ ]?run\b", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    before: str  # the nearest non-blank line above the fence ("" at the top)
    expected_output: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def no_run(self) -> str | None:
        """The reason given by a ``<!-- no-run: reason -->`` line right above, if any."""
        match = NO_RUN.match(self.before.strip())
        return match.group("reason") if match else None


def parse_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of ``path`` in order; ``text`` blocks that follow a Python
    block become its ``expected_output`` (and are not listed)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    last_nonblank = ""
    previous_end = -1
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                last_nonblank = lines[index]
            index += 1
            continue
        indent, fence = match.group("indent"), match.group("fence")
        words = match.group("info").split()
        language = words[0].lower() if words else ""
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        else:
            raise AssertionError(f"{path}:{index + 1}: code block never closed")
        code = "\n".join(body) + "\n"
        previous = blocks[-1] if blocks else None
        if (
            language == "text"
            and previous is not None
            and previous.language == "python"
            and previous.expected_output is None
            and all(not line.strip() for line in lines[previous_end + 1 : index])
        ):
            blocks[-1] = replace(previous, expected_output=code)
        else:
            blocks.append(Block(path, index + 1, language, code, last_nonblank))
        previous_end = end
        last_nonblank = lines[end]
        index = end + 1
    return blocks
