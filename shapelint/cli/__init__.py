"""The shapelint command line. Importing this module imports no framework: commands import lazily.

Shared option groups live here so every command spells them the same way:
sizes_option, format_option, load_options (what may run while loading), run_options (how sources
are scheduled), output_options (where output goes and what exit code it earns).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .. import __version__
from ..sources import DEFAULT_MAX_SIZE, DEFAULT_SIZES, SourceError, format_size, parse_sizes

FORMATS = ["table", "json", "sarif", "github"]
FAIL_ON = ["error", "warning", "info"]
ANCHORED_FORMATS = ("sarif", "github")  # formats that point at files: see anchors.py


def sizes_option(f):
    default = ",".join(format_size(s) for s in DEFAULT_SIZES)
    f = click.option("--max-size", type=int, default=DEFAULT_MAX_SIZE, show_default=True,
                     help="Refuse input sizes larger than this.")(f)
    return click.option("--sizes", default=default, show_default=True,
                        help="Input sizes to probe: N for N×N, HxW for height×width, comma-separated.")(f)


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(f)


def load_options(f):
    f = click.option("--trust", is_flag=True,
                     help="Load and run SavedModels that contain host-access ops (file I/O, py_func); see SL105.")(f)
    return click.option("--unsafe-load", is_flag=True,
                        help="Allow model files to run code while loading (Lambda layers).")(f)


def run_options(f):
    """--jobs, --timeout, --memory-limit, --no-cache, --quiet: how sources run, never what they report.

    The command runs inside runner.scheduled(...), so every run_sources call it makes (probe, check) uses
    these settings; Ctrl-C becomes one line on stderr and exit 130 once every worker is gone.
    """

    @functools.wraps(f)
    def command(*args, jobs, timeout, memory_limit, no_cache, quiet, **kwargs):
        from ..runner import Schedule, scheduled

        schedule = Schedule(jobs=jobs, timeout=timeout, memory_limit_gib=memory_limit or None,
                            cache=not no_cache, progress=not quiet and sys.stderr.isatty())
        try:
            with scheduled(schedule):
                return f(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("shapelint: interrupted; every worker stopped", err=True)
            sys.exit(130)

    for option in reversed([
        click.option("-j", "--jobs", type=click.IntRange(0), default=None,
                     help="Worker processes [default: one per core, capped by memory]; 0 runs in this process "
                          "(no isolation, no timeout)."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True,
                     help="Seconds a source may take (after its worker imported TensorFlow) before it is an error."),
        click.option("--memory-limit", type=click.FloatRange(min=0), default=8.0, show_default=True,
                     help="GiB of address space per worker (0: no cap); past it a source fails, not the machine."),
        click.option("--no-cache", is_flag=True, help="Probe every source again instead of reusing cached results."),
        click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr."),
    ]):
        command = option(command)
    return command


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


class OptionError(click.ClickException):
    """A bad option value: one line on stderr, exit 2 (click's BadParameter adds the usage and a hint)."""

    exit_code = 2


def read_sizes(text: str, max_size: int):
    if max_size < 1:
        raise OptionError(f"--max-size must be at least 1, got {max_size}")
    try:
        return parse_sizes(text, max_size)
    except SourceError as exc:
        raise OptionError(f"--sizes: {exc}") from None


def finish(report, fmt: str, exit_code: int | None = None, *, fail_on: str | None = None,
           exit_zero: bool = False, output_files=(), **_) -> None:
    """Write the report, one stderr line per source that failed to load, and exit.

    exit_code is the command's own judgement (probe: 2 if a load failed, else 0); an explicit
    --fail-on, or exit_code=None, judges the report instead: 0 clean, 1 findings at or above
    fail_on (default warning), 2 a source could not be loaded. --exit-zero turns 1 into 0 only.
    """
    from ..formatters import FORMATTERS

    def render(name: str) -> str:
        return FORMATTERS[name](_anchored(report) if name in ANCHORED_FORMATS else report)

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

    ctx = click.get_current_context(silent=True)
    config = ctx.meta.get("shapelint.config") if ctx else None
    if config is None:
        return anchored(report)
    return anchored(report, config.path, config.values.get("sources", ()))


class OutputError(click.ClickException):
    exit_code = 2


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
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shapelint")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="pyproject.toml to read [tool.shapelint] from (default: the nearest one above the working directory).")
@click.pass_context
def main(ctx, config_path):
    """Probe pretrained backbones and lint classification heads.

    \b
    shapelint probe keras:MobileNetV2            does the head need GlobalAveragePooling2D?
    shapelint probe path/to/saved_model          what does this opaque Hub module return?

    Settings come from [tool.shapelint] in pyproject.toml; flags on the command line override them.
    """
    configure(ctx, config_path)


class ConfigFileError(click.ClickException):
    exit_code = 2


def configure(ctx, path) -> None:
    """Lay [tool.shapelint] under every command as click's default_map (black's way); keep it for overrides."""
    from ..config import ConfigError, default_map, load_config, warn_unknown

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise ConfigFileError(str(exc)) from None
    warn_unknown(config)
    ctx.meta["shapelint.config"] = config
    # probe reports and does not judge: fail-on from the file applies to check, not to probe
    ctx.default_map = {name: default_map(config, command.params, skip=("fail_on",) if name == "probe" else ())
                       for name, command in ctx.command.commands.items()}


def run_configured(run_all, sources, options):
    """run_all(sources, options) once per group of sources that [[tool.shapelint.overrides]] give the same
    options; the report keeps the order of sources. Options set on the command line beat the overrides."""
    from ..config import options_for
    from ..report import Report

    ctx = click.get_current_context()
    config = ctx.meta.get("shapelint.config")
    if config is None or not config.overrides:
        return run_all(sources, options)
    explicit = tuple(p.name for p in ctx.command.params
                     if ctx.get_parameter_source(p.name) is click.core.ParameterSource.COMMANDLINE)
    groups: list[tuple[object, list[int]]] = []
    for i, source in enumerate(sources):
        chosen = options_for(source, options, config, explicit)
        group = next((g for g in groups if g[0] == chosen), None)
        if group is None:
            groups.append((chosen, [i]))
        else:
            group[1].append(i)
    results = [None] * len(sources)
    for chosen, indices in groups:
        for i, result in zip(indices, run_all([sources[i] for i in indices], chosen).results):
            results[i] = result
    return Report(tuple(results))


from . import probe as _probe  # noqa: E402,F401  (registers the command)
from . import check as _check, rules as _rules  # noqa: E402,F401  (register check, rules, explain)
from . import inspect as _inspect  # noqa: E402,F401
