"""Developer tasks: ``nox -s tests``, ``nox -s lint``, ``nox -s typecheck``, ``nox -s bench``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
# Every version pyproject.toml's classifiers promise. Locally a missing interpreter is
# skipped; under CI (the CI variable set) nox fails on it, so nothing goes untested.
PYTHONS = nox.project.python_versions(PYPROJECT)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite on every supported Python (integration tests use the fake
    service on loopback; ``nox -s tests-3.12`` runs one version)."""
    session.install("-e", ".[speedups]", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the example apps under examples/, then on the Python
    examples of README.md and docs/."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "typecheck"))
    session.run("mypy", "--strict", "watson_async")
    session.run("mypy", "--strict", "examples")
    session.run("python", "tools/typecheck_docs.py")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ (mkdocs --strict: any warning fails)."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "docs"))
    session.run(
        "mkdocs", "build", "--strict", "--site-dir", "site", env={"NO_MKDOCS_2_WARNING": "1"}
    )


BENCHMARKS = {
    "goodput": ["benchmarks/rate_limit_goodput.py"],
    "load": ["benchmarks/load.py"],
    "parse": ["benchmarks/parse.py"],
    "memory": ["benchmarks/memory.py"],
    "token": ["benchmarks/iam_token.py"],
    "fleet": ["benchmarks/fleet.py"],
    "redis": ["benchmarks/redis_gate_cost.py"],
    "instructions": ["benchmarks/instructions.py"],
    "percall": ["benchmarks/percall.py"],
    "gzip": ["benchmarks/gzip_body.py"],
    "deadline": ["benchmarks/interactive_deadline.py"],
}


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (not tests): print tables of ratios measured in the same run.

    ``nox -s bench`` runs them all (a few minutes on 2 cores); ``nox -s bench -- load
    parse`` runs some; ``--quick`` shrinks each. Results: benchmarks/results/*.json.
    """
    session.install("-e", ".[speedups]", *nox.project.dependency_groups(PYPROJECT, "bench"))
    quick = "--quick" in session.posargs
    names = [a for a in session.posargs if a != "--quick"] or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        session.error(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}")
    for name in names:
        args = list(BENCHMARKS[name])
        if quick:
            args += ["--conversations", "60"] if name == "goodput" else ["--quick"]
        session.run("python", *args)
