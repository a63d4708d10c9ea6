"""Test sessions: one per package (in a fresh environment holding only that package and
its declared dependencies), the cross-package integration tests, lint and typecheck.

`uv run nox` runs them all. Each environment is filled by `uv sync --frozen` from the
committed lock file, so a dependency a package forgot to declare fails its session.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"
PACKAGES = {
    "config": "alphatriangle-config",
    "nn": "alphatriangle-nn",
    "rl": "alphatriangle-rl",
    "training": "alphatriangle-training",
    "eval": "alphatriangle-eval",
}
PYTEST_ARGS = ("-p", "no:cacheprovider")
# Ray workers must use this environment's interpreter, not re-create one through uv.
TEST_ENV = {"RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}


def sync(session: nox.Session, *args: str) -> None:
    """Install exactly what the lock file says for `args` into the session's environment."""
    session.run_install(
        "uv",
        "sync",
        "--frozen",
        "--no-default-groups",
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        external=True,
    )


def package_session(short: str, distribution: str) -> None:
    @nox.session(name=short, python=PYTHON)
    def run_tests(session: nox.Session) -> None:
        sync(session, "--package", distribution, "--group", "test")
        session.run(
            "pytest", f"packages/{distribution}/tests", *PYTEST_ARGS, *session.posargs, env=TEST_ENV
        )

    run_tests.__doc__ = f"Tests of {distribution}, alone in its own environment."


for _short, _distribution in PACKAGES.items():
    package_session(_short, _distribution)


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests: the train and eval apps run as a user runs them, with resume."""
    sync(session, "--all-packages", "--group", "dev")
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
