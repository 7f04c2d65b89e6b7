"""`make demo` installs requirements/base.lock alone, so every runtime dependency must be
pinned there, not only in the development lock that the test suite runs with."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    """The distribution name of a requirement, as lock files spell it (PEP 503)."""
    name = re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned(lock: Path) -> set[str]:
    return {_name(line) for line in lock.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith((" ", "#"))}


def test_every_dependency_is_pinned_in_the_lock_its_install_reads() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    base = _pinned(ROOT / "requirements" / "base.lock")
    assert runtime - base == set(), "run `make lock`"
    assert (runtime | dev) - _pinned(ROOT / "requirements" / "dev.lock") == set(), "run `make lock`"
