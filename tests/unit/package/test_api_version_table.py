"""The API versions the package knows: one table, the docs' copy of it, the tools' default."""

from __future__ import annotations

import re
from pathlib import Path

from watson_async._version import API_VERSIONS, DEFAULT_API_VERSION

DOC = Path(__file__).parents[3] / "docs" / "getting-started.md"
_ROW = re.compile(r"^\| `(?P<version>\d{4}-\d{2}-\d{2})` \| (?P<change>.+) \|$")


def test_the_docs_table_is_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## API versions", 1)[1].split("\n## ", 1)[0]
    rows = {m["version"]: m["change"] for line in section.splitlines() if (m := _ROW.match(line))}
    assert rows == API_VERSIONS


def test_versions_are_dates_oldest_first_and_the_default_is_the_newest() -> None:
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in API_VERSIONS)
    assert list(API_VERSIONS) == sorted(API_VERSIONS)
    assert DEFAULT_API_VERSION == "2024-12-02" == list(API_VERSIONS)[-1]
