"""Where the CI formats (sarif, github) point a result whose source has no file in the repository.

Code scanning rejects a whole SARIF upload when one result lacks a file, and an annotation without a
file floats free of the diff. So for these formats only, a source named by reference is pointed at:
the module file behind a dotted `pkg.module:factory` when it is found under the working directory
(or its src/), else the line of the pyproject.toml whose [tool.shapelint] sources lists it. A file outside the
working directory (a TF Hub cache folder) counts as none. Nothing here imports a framework.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from .report import Report, SourceReport
from .sources import SourceError, parse_source


def in_tree(path, root: Path) -> str | None:
    """path relative to root, POSIX style, or None when it lies outside root."""
    relative = os.path.relpath(Path(path).resolve(), root.resolve())
    return None if relative == ".." or relative.startswith(".." + os.sep) else Path(relative).as_posix()


def module_file(source: str, root: Path) -> Path | None:
    """pkg.module:build -> root/pkg/module.py (or .../__init__.py, or under root/src), without importing."""
    try:
        if parse_source(source).kind != "factory":
            return None
    except SourceError:
        return None
    parts = source.rsplit(":", 1)[0].split(".")
    for base in (root, root / "src"):
        for candidate in (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")):
            if candidate.is_file():
                return candidate
    return None


def listing_line(config_path: Path, source: str) -> int | None:
    """The line of the config file that lists `source` as a quoted string, after [tool.shapelint]; None if none."""
    try:
        lines = Path(config_path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    quoted = (f'"{source}"', f"'{source}'")
    start = next((i for i, text in enumerate(lines) if text.strip().startswith("[tool.shapelint")), 0)
    return next((i + 1 for i, text in enumerate(lines) if i >= start and any(q in text for q in quoted)), None)


def anchored(report: Report, config_path: Path | None = None, configured=(), root: Path | None = None) -> Report:
    root = root or Path.cwd()

    def anchor(result: SourceReport) -> SourceReport:
        path = in_tree(result.path, root) if result.path else None
        if path is None:
            found = module_file(result.source, root)
            path = in_tree(found, root) if found else None
        if path is None and config_path is not None and result.source in configured:
            path = in_tree(config_path, root)
            if path is not None:
                return replace(result, path=path, line=listing_line(config_path, result.source))
        return result if path == result.path else replace(result, path=path)

    return Report(tuple(anchor(r) for r in report.results))
