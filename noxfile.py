"""Test sessions: one per package (in a fresh environment holding only that package and
its declared dependencies), the cross-package integration tests, lint and typecheck.

`uv run nox` runs them all. Each environment is filled by `uv sync --frozen` from the
committed lock file, so a dependency a package forgot to declare fails its session.
An environment made by an earlier run is reused: `uv sync` is exact, so it removes
whatever the lock file does not give that session and installs what changed, in
seconds, where making the environment again (and compiling it) takes about a minute
per session on 2 cores. `uv run nox --reuse-venv=no` makes every environment afresh.

The workspace installs with every module compiled to bytecode (`compile-bytecode` in
pyproject.toml), so that Ray's worker processes do not each compile torch again when
they start. Compiling a whole environment costs about half a minute on 2 cores; the
sessions whose tests start no Ray workers install without it, and Python compiles
just the modules they import.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"

PYTHON = "3.11"
PACKAGES = {
    "config": "alphatriangle-config",
    "nn": "alphatriangle-nn",
    "rl": "alphatriangle-rl",
    "training": "alphatriangle-training",
    "eval": "alphatriangle-eval",
}
STARTS_RAY = {"rl", "training"}
"""Package sessions whose tests start Ray workers (and `integration`)."""
PYTEST_ARGS = ("-p", "no:cacheprovider")
# Ray workers must use this environment's interpreter, not re-create one through uv.
TEST_ENV = {"RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}


def sync(session: nox.Session, *args: str, compile_bytecode: bool = False) -> None:
    """Install exactly what the lock file says for `args` into the session's environment,
    compiled to bytecode ahead if its tests start Ray workers."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--no-default-groups",
        "--compile-bytecode" if compile_bytecode else "--no-compile-bytecode",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def package_session(short: str, distribution: str) -> None:
    @nox.session(name=short, python=PYTHON)
    def run_tests(session: nox.Session) -> None:
        sync(
            session,
            "--package",
            distribution,
            "--group",
            "test",
            compile_bytecode=short in STARTS_RAY,
        )
        session.run(
            "pytest", f"packages/{distribution}/tests", *PYTEST_ARGS, *session.posargs, env=TEST_ENV
        )

    run_tests.__doc__ = f"Tests of {distribution}, alone in its own environment."


for _short, _distribution in PACKAGES.items():
    package_session(_short, _distribution)


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests: the train and eval apps run as a user runs them, with resume."""
    sync(session, "--all-packages", "--group", "dev", compile_bytecode=True)
    session.run("pytest", "tests", *PYTEST_ARGS, *session.posargs, env=TEST_ENV)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole workspace."""
    sync(session, "--only-group", "dev")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy (strict) over every package."""
    sync(session, "--all-packages", "--group", "dev")
    session.run(
        "mypy",
        *(f"packages/{d}/src" for d in PACKAGES.values()),
        "apps/train",
        "apps/eval",
        "benchmarks",
        "noxfile.py",
    )
