"""The images install the runtime libraries at the versions the tests ran with.

`constraints.txt` pins every runtime library of the four packages (dependencies of dependencies
too); `requirements-dev.txt` installs the test environment under it and each Dockerfile installs
its image under it. So the versions installed here, which the tests just ran with, must be
exactly the pinned ones.
"""

from __future__ import annotations

import re
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"
PACKAGES = [
    "taalhuis-shared",
    "taalhuis-enrolment",
    "taalhuis-scheduling",
    "taalhuis-notifications",
    "taalhuis-console",
]
DOCKERFILES = sorted((ROOT / "services").glob("*/Dockerfile"))


def runtime_closure() -> dict[str, str]:
    """Every distribution the four packages need at run time, installed here: name -> version."""
    wanted: dict[str, frozenset[str]] = {}
    pending = [(name, frozenset[str]()) for name in PACKAGES]
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if key in wanted and extras <= wanted[key]:
            continue
        wanted[key] = wanted.get(key, frozenset()) | extras
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in extras or {""}]
            if requirement.marker and not any(requirement.marker.evaluate(e) for e in environments):
                continue
            pending.append((requirement.name, frozenset(requirement.extras)))
    return {key: distribution(key).version for key in wanted if key not in PACKAGES}


def pinned() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not NAME==VERSION"
            pins[canonicalize_name(name)] = version
    return pins


def test_constraints_pin_exactly_the_runtime_libraries_the_tests_run_with() -> None:
    installed = runtime_closure()
    assert {"faststream", "aio-pika", "sqlalchemy", "asyncpg", "aiosmtplib"} <= set(installed)
    expected = "\n".join(f"{name}=={version}" for name, version in sorted(installed.items()))
    assert pinned() == installed, f"constraints.txt should pin exactly these (below its header):\n{expected}"


def test_the_test_environment_installs_under_the_constraints() -> None:
    lines = (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "-c constraints.txt" in lines
    # A second pin there could differ from the constraint; one place holds each version.
    direct = {canonicalize_name(re.split(r"[=<>!~\[ ]", line)[0]) for line in lines if "==" in line}
    assert not direct & set(pinned()), f"pinned in requirements-dev.txt too: {direct & set(pinned())}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_each_image_installs_under_the_constraints(dockerfile: Path) -> None:
    text = dockerfile.read_text(encoding="utf-8")
    assert re.search(r"^COPY constraints\.txt \./$", text, re.M), f"{dockerfile} copies no constraints.txt"
    installs = re.findall(r"^RUN .*\bpip install\b.*$", text, re.M)
    assert installs, f"{dockerfile} installs nothing"
    for install in installs:
        assert "-c constraints.txt" in install, f"{dockerfile}: {install!r} ignores the constraints"
    assert re.search(r"^WORKDIR /app$", text, re.M), "the constraints are copied to the working directory"
    assert len(DOCKERFILES) == 4
