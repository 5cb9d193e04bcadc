"""Griffe extension for the docs site: Sphinx roles in docstrings become links.

The package's docstrings use Sphinx roles (``:class:`RetryPolicy```, ``:meth:`aclose```).
mkdocstrings' Google-style parser would show them as text, so this extension rewrites
each role, once the package is loaded, into an *optional* mkdocs-autorefs reference: a
link when the target is documented on the site, plain code otherwise (never a warning).

Loaded from mkdocs.yml (``extensions: [docs/_ext/sphinx_roles.py]``); not part of the
package and not copied into the site (``exclude_docs``).
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|attr|data|func|mod|exc|obj):`(?P<target>[^`]+)`")


def _identifier(obj: griffe.Object, target: str) -> str | None:
    """The full path ``target`` names, seen from ``obj``'s scope, or None."""
    if target.startswith("watson_async."):
        return target
    first, _, rest = target.partition(".")
    scope: griffe.Object | None = obj
    while scope is not None:
        try:
            resolved = scope.resolve(first)
        except (griffe.NameResolutionError, griffe.AliasResolutionError):
            scope = scope.parent
            continue
        return f"{resolved}.{rest}" if rest else resolved
    return None


def _rewrite(obj: griffe.Object, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match.group("target").strip()
        short = target.startswith("~")
        target = target.lstrip("~").strip(".")
        title = target.rsplit(".", 1)[-1] if short else target
        code = f"<code>{html.escape(title)}</code>"
        identifier = _identifier(obj, target)
        if identifier is None:
            return code
        return f'<autoref identifier="{html.escape(identifier)}" optional>{code}</autoref>'

    return _ROLE.sub(replace, text)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of the loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        seen: set[int] = set()
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = _rewrite(obj, obj.docstring.value)
            stack.extend(member for member in obj.members.values() if not member.is_alias)
