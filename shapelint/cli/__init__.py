"""The shapelint command line. Importing this module imports no framework: commands import lazily."""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..sources import DEFAULT_MAX_SIZE, DEFAULT_SIZES, SourceError, format_size, parse_sizes


def sizes_option(f):
    default = ",".join(format_size(s) for s in DEFAULT_SIZES)
    f = click.option("--max-size", type=click.IntRange(1), default=DEFAULT_MAX_SIZE, show_default=True,
                     help="Refuse input sizes larger than this.")(f)
    return click.option("--sizes", default=default, show_default=True,
                        help="Input sizes to probe: N for N×N, HxW for height×width, comma-separated.")(f)


def format_option(f):
    return click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                        show_default=True, help="Output format.")(f)


def read_sizes(text: str, max_size: int):
    try:
        return parse_sizes(text, max_size)
    except SourceError as exc:
        raise click.BadParameter(str(exc), param_hint="--sizes") from None


def emit(text: str) -> None:
    click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="shapelint")
def main():
    """Probe pretrained backbones and lint classification heads.

    \b
    shapelint probe keras:MobileNetV2            does the head need GlobalAveragePooling2D?
    shapelint probe path/to/saved_model          what does this opaque Hub module return?
    """


from . import probe as _probe  # noqa: E402,F401  (registers the command)


def run() -> None:  # pragma: no cover - console entry point wrapper
    sys.exit(main())
