"""The packages depend one way: index_build <- service <- eval, the command line (service/cli.py) on top; and the
data files the code reads ship in the wheel (pyproject's package data)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).parents[1]
LAYERS = ["index_build", "service", "eval"]  # each may import the ones before it, never those after
TOP = {"service/cli.py"}  # the `citeqa` command: may import every package


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_package_imports_a_layer_above_it():
    wrong = []
    for rank, package in enumerate(LAYERS):
        for path in sorted((REPO / package).rglob("*.py")):
            name = path.relative_to(REPO).as_posix()
            above = imported_packages(path) & set(LAYERS[rank + 1:])
            if above and name not in TOP:
                wrong.append(f"{name} imports {sorted(above)}")
    assert wrong == []


def test_the_data_files_of_the_packages_are_package_data():
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    missing = []
    for package in LAYERS:
        shipped = {path for pattern in package_data.get(package, []) for path in (REPO / package).glob(pattern)}
        missing += [path.relative_to(REPO).as_posix() for path in sorted((REPO / package).rglob("*"))
                    if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
                    and path not in shipped]
    assert missing == []


#: Modules outside index_build/store/ that may name a backend, and why: the `citeqa db` command administers a
#: PostgreSQL database by name (migrate, copy-from); the scale bench writes a synthetic index folder and copies it
#: into a database; the swap bench measures the folder's atomic switch; a corpus folder is the catalogs' exchange
#: format (export, import).
NAMES_A_BACKEND = {"service/cli.py": "db command", "eval/scale.py": "synthetic folder", "eval/live_swap.py": "folder swap",
                   "index_build/reports.py": "corpus folder format"}
BACKEND_WORDS = ("index_build.store.folder", "index_build.store.postgres", "FolderStore", "PostgresStore",
                 "FolderVersion", "PostgresVersion", "settings.store", "hasattr(")


def test_only_the_store_package_names_a_backend():
    """Everything but the store package takes a Store from open_store: no module tests which backend it holds
    (no `settings.store`, no `hasattr` on a store, no Path-to-store conversion)."""
    wrong = []
    for package in LAYERS:
        for path in sorted((REPO / package).rglob("*.py")):
            name = path.relative_to(REPO).as_posix()
            if name.startswith("index_build/store/") or name in NAMES_A_BACKEND:
                continue
            text = path.read_text(encoding="utf-8")
            wrong += [f"{name}: {word}" for word in BACKEND_WORDS if word in text]
    assert wrong == []
