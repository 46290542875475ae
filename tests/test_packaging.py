"""What `pip install .` ships: every data file the package reads at run time is declared as package data."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_data_file_in_the_package_is_declared():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {(ROOT / package.replace(".", "/") / name).resolve() for package, names in declared.items() for name in names}
    data = {path.resolve() for path in (ROOT / "shapelint").rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts}
    assert data and data <= shipped, sorted(str(p.relative_to(ROOT)) for p in data - shipped)
