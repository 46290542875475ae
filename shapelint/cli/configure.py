"""[tool.shapelint] under every command: click's default_map from the file, and per-source overrides."""

from __future__ import annotations

import sys

import click

from .options import CommandError

META_KEY = "shapelint.config"  # where configure() keeps the Config in click's context for the command


def configure(ctx, path) -> None:
    """Lay [tool.shapelint] under every command as click's default_map (black's way); keep it for overrides."""
    from ..config import ConfigError, default_map, load_config

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    for where in config.unknown:
        click.echo(f"shapelint: warning: {where} ignored", err=True)
    ctx.meta[META_KEY] = config
    if config.path is not None:  # pkg.module:factory sources resolve from the config's folder (workers inherit sys.path)
        folder = str(config.path.parent.resolve())
        if folder not in sys.path:
            sys.path.insert(0, folder)
    # probe reports and does not judge: fail-on from the file applies to check, not to probe
    ctx.default_map = {name: default_map(config, command.params, skip=("fail_on",) if name == "probe" else ())
                       for name, command in ctx.command.commands.items()}


def current_config():
    """The Config the running command was configured with; None outside a command (finish() called directly)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(META_KEY) if ctx else None


def run_configured(run_all, sources, options):
    """run_all(sources, options) once per group of sources that [[tool.shapelint.overrides]] give the same
    options; the report keeps the order of sources. Options set on the command line beat the overrides."""
    from ..config import options_for
    from ..report import Report

    config = current_config()
    if config is None or not config.overrides:
        return run_all(sources, options)
    ctx = click.get_current_context()
    explicit = tuple(p.name for p in ctx.command.params
                     if ctx.get_parameter_source(p.name) is click.core.ParameterSource.COMMANDLINE)
    groups: dict[object, list[int]] = {}  # options -> indices of the sources that get them
    for i, source in enumerate(sources):
        groups.setdefault(options_for(source, options, config, explicit), []).append(i)
    results = [None] * len(sources)
    for chosen, indices in groups.items():
        for i, result in zip(indices, run_all([sources[i] for i in indices], chosen).results):
            results[i] = result
    return Report(tuple(results))
