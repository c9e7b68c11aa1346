"""requirements.lock (what `make install` installs) pins every dependency of pyproject.toml, hash-checked,
at a version its requirement admits: a dependency added without `make lock` fails here."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)}


def test_every_dependency_is_locked_at_an_admitted_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = locked()
    for spec in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name], str(requirement))


def test_every_pin_has_a_hash():
    blocks = re.split(r"\n(?=[A-Za-z0-9._-]+==)", (ROOT / "requirements.lock").read_text(encoding="utf-8"))
    pinned = [block for block in blocks if re.match(r"[A-Za-z0-9._-]+==", block)]
    assert pinned and all("--hash=sha256:" in block for block in pinned)
