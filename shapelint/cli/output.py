"""Where a command's report goes (stdout, --output-file) and what exit code it earns (--fail-on, --exit-zero)."""

from __future__ import annotations

import functools
import sys

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
           exit_zero: bool = False, output_files=(), **_) -> None:
    """Write the report, one stderr line per source that failed to load, and exit.

    exit_code is the command's own judgement (probe: 2 if a load failed, else 0); an explicit
    --fail-on, or exit_code=None, judges the report instead: 0 clean, 1 findings at or above
    fail_on (default warning), 2 a source could not be loaded. --exit-zero turns 1 into 0 only.
    """
    from ..formatters import FORMATTERS

    @functools.cache
    def anchored_report():  # --format github --output-file sarif:PATH looks for the files once, not twice
        return _anchored(report)

    def render(name: str) -> str:
        return FORMATTERS[name](anchored_report() if name in ANCHORED_FORMATS else report)

    stdout_path, extra = output_files or (None, [])
    for path, name in [(stdout_path, fmt), *extra]:
        if path is not None:
            _write(path, render(name))
    if stdout_path is None:
        click.echo(render(fmt), nl=False)
    for result in report.results:
        if result.error:
            click.echo(f"shapelint: {result.error}", err=True)
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
    """['out.txt', 'sarif:a.sarif'] -> ('out.txt', [('a.sarif', 'sarif')]); a bare PATH replaces stdout."""
    stdout_path, extra = None, []
    for value in values:
        name, sep, path = value.partition(":")
        if sep and name in FORMATS and path:
            extra.append((path, name))
        elif stdout_path is None:
            stdout_path = value
        else:
            raise click.BadParameter("give at most one PATH without a FORMAT: prefix", param_hint="--output-file")
    return stdout_path, extra


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None
