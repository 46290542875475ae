"""Where a command's report goes (stdout, --output-file) and what exit code it earns (--fail-on, --exit-zero)."""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import click

from .configure import current_config
from .options import FORMATS, CommandError

# config.FAIL_ON, spelled out so that --help does not import config (tests/test_config.py checks that they agree)
FAIL_ON = ["error", "warning", "info"]
ANCHORED_FORMATS = ("sarif", "github")  # formats that point at files: see anchors.py


def output_options(f):
    f = click.option("--exit-zero", is_flag=True,
                     help="Exit 0 even when there are findings (a source that fails to load still exits 2).")(f)
    f = click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
                     help="Exit 1 when a finding is at or above this severity. "
                          "check: default warning; probe: only when given.")(f)
    return click.option("--output-file", "output_files", multiple=True, metavar="[FORMAT:]PATH",
                        callback=_parse_output_files,
                        help="Write the --format output to PATH instead of stdout; FORMAT:PATH writes that "
                             "format to PATH as well (repeatable: one probe, several reports).")(f)


def finish(report, fmt: str, exit_code: int | None = None, *, fail_on: str | None = None,
           exit_zero: bool = False, output_files=(), show_probe: bool = False, **_) -> None:
    """Write the report, one stderr line per source that failed to load (never on stdout), and exit.

    exit_code is the command's own judgement (probe: 2 if a load failed, else 0); an explicit
    --fail-on, or exit_code=None, judges the report instead: 0 clean, 1 findings at or above
    fail_on (default warning), 2 a source could not be loaded. --exit-zero turns 1 into 0 only.
    """
    from ..formatters import FORMATTERS

    @functools.cache
    def anchored_report():  # --format github --output-file sarif:PATH looks for the files once, not twice
        return _anchored(report)

    def render(name: str, terminal: bool = False) -> str:
        if name == "table":  # on stdout, a load error is the one line on stderr below, not a block of the table
            return FORMATTERS[name](report, show_probe=show_probe, show_errors=not terminal)
        return FORMATTERS[name](anchored_report() if name in ANCHORED_FORMATS else report)

    stdout_path, extra = output_files or (None, [])
    for path, name in [(stdout_path, fmt), *extra]:
        if path is not None:
            _write(path, render(name))
    if stdout_path is None:
        click.echo(render(fmt, terminal=True), nl=False)
    for result in report.results:
        if result.error or result.unanswered:
            click.echo(f"shapelint: {result.error or result.unanswered}", err=True)
    if fail_on is not None or exit_code is None:
        exit_code = report.exit_code(fail_on or "warning")
    sys.exit(0 if exit_zero and exit_code == 1 else exit_code)


def _anchored(report):
    """The report as the CI formats see it: every source pointed at a file in the tree where one can be found."""
    from ..anchors import anchored

    config = current_config()
    if config is None:
        return anchored(report)
    return anchored(report, config.path, config.values.get("sources", ()))


def _parse_output_files(ctx, param, values) -> tuple[str | None, list[tuple[str, str]]]:
    """['out.txt', 'sarif:a.sarif'] -> ('out.txt', [('a.sarif', 'sarif')]); a bare PATH replaces stdout.

    Every output is checked here, before any model is loaded: an unknown FORMAT or a path that cannot be
    written is a usage error now, not after minutes of probing.
    """
    stdout_path, extra = None, []
    for value in values:
        name, sep, path = value.partition(":")
        if sep and name in FORMATS and path:
            extra.append((path, name))
        elif sep and re.fullmatch(r"[A-Za-z]{2,}", name):  # 'xml:out.xml'; a one-letter prefix is a drive (C:)
            raise CommandError(f"--output-file {value}: unknown format {name!r} (one of {', '.join(FORMATS)})")
        elif stdout_path is None:
            stdout_path = value
        else:
            raise CommandError("--output-file: give at most one PATH without a FORMAT: prefix")
    for path in [stdout_path, *(p for p, _ in extra)]:
        if path is not None:
            _check_writable(path)
    return stdout_path, extra


def _check_writable(path: str) -> None:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CommandError(f"cannot write {path}: it is a directory")
    if not folder.is_dir():
        raise CommandError(f"cannot write {path}: no such directory {folder}")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise CommandError(f"cannot write {path}: permission denied")


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None
