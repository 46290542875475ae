"""The shapelint command line. Importing this module imports no framework: commands import lazily.

    options.py    option groups every command spells the same way (sizes, format, load, run)
    output.py     --output-file, --fail-on, --exit-zero: where the report goes and the exit code it earns
    configure.py  [tool.shapelint] as click's default_map, and per-source overrides

The command modules (probe, check, rules, inspect) import what they need from here.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from .configure import configure, run_configured
from .options import (
    FORMATS,
    CommandError,
    NothingToCheck,
    format_option,
    load_options,
    load_settings,
    read_sizes,
    run_options,
    sizes_option,
    sources_help,
)
from .output import FAIL_ON, finish, output_options

__all__ = ["FAIL_ON", "FORMATS", "CommandError", "NothingToCheck", "finish", "format_option", "load_options",
           "load_settings", "main", "output_options", "read_sizes", "run_configured", "run_options", "sizes_option",
           "sources_help"]


class Group(click.Group):
    """`--config PATH` is accepted wherever users type it: before the subcommand or among its options."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, hoist_config(list(args)))


def hoist_config(args: list[str]) -> list[str]:
    """['check', 'a.py:f', '--config', 'x.toml'] -> ['--config', 'x.toml', 'check', 'a.py:f']."""
    hoisted, rest, i = [], [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--config" and i + 1 < len(args):
            hoisted += args[i:i + 2]
            i += 2
            continue
        if arg.startswith("--config="):
            hoisted.append(arg)
        else:
            rest.append(arg)
        i += 1
    return hoisted + rest


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shapelint")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="pyproject.toml to read [tool.shapelint] from (default: the nearest one above the working directory).")
@click.pass_context
def main(ctx, config_path):
    """Probe pretrained backbones and lint classification heads.

    \b
    shapelint check models/classifier.py:build   is my head right? (the head, its shapes, the line at fault)
    shapelint probe keras:MobileNetV2            does the head need GlobalAveragePooling2D?
    shapelint probe path/to/saved_model          what does this opaque Hub module return?

    Settings come from [tool.shapelint] in pyproject.toml (--config PATH, given anywhere, reads another
    file); flags on the command line override them.
    """
    configure(ctx, config_path)


# Importing a command module registers its commands on `main`.
from . import cache as _cache  # noqa: E402,F401  (cache info, cache clear)
from . import check as _check  # noqa: E402,F401
from . import inspect as _inspect  # noqa: E402,F401
from . import probe as _probe  # noqa: E402,F401
from . import rules as _rules  # noqa: E402,F401  (rules and explain)
