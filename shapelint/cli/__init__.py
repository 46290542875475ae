"""The shapelint command line. Importing this module imports no framework: commands import lazily.

Shared option groups live here so every command spells them the same way:
sizes_option, format_option, load_options (what may run while loading), run_options (how sources
are scheduled), output_options (where output goes and what exit code it earns).
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..sources import DEFAULT_MAX_SIZE, DEFAULT_SIZES, SourceError, format_size, parse_sizes

FORMATS = ["table", "json"]


def sizes_option(f):
    default = ",".join(format_size(s) for s in DEFAULT_SIZES)
    f = click.option("--max-size", type=click.IntRange(1), default=DEFAULT_MAX_SIZE, show_default=True,
                     help="Refuse input sizes larger than this.")(f)
    return click.option("--sizes", default=default, show_default=True,
                        help="Input sizes to probe: N for N×N, HxW for height×width, comma-separated.")(f)


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(f)


def load_options(f):
    return click.option("--unsafe-load", is_flag=True,
                        help="Allow model files to run code while loading (Lambda layers).")(f)


def run_options(f):
    return f


def output_options(f):
    return f


def read_sizes(text: str, max_size: int):
    try:
        return parse_sizes(text, max_size)
    except SourceError as exc:
        raise click.BadParameter(str(exc), param_hint="--sizes") from None


def finish(report, fmt: str, exit_code: int, **_) -> None:
    """Print the report, one stderr line per source that failed to load, and exit."""
    from ..formatters import FORMATTERS

    click.echo(FORMATTERS[fmt](report), nl=False)
    for result in report.results:
        if result.error:
            click.echo(f"shapelint: {result.error}", err=True)
    sys.exit(exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shapelint")
def main():
    """Probe pretrained backbones and lint classification heads.

    \b
    shapelint probe keras:MobileNetV2            does the head need GlobalAveragePooling2D?
    shapelint probe path/to/saved_model          what does this opaque Hub module return?
    """


from . import probe as _probe  # noqa: E402,F401  (registers the command)
