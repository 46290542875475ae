from __future__ import annotations

import sys

import click

from ..formatters import FORMATTERS
from . import emit, format_option, main, read_sizes, sizes_option


@main.command()
@click.argument("sources", nargs=-1, required=True)
@sizes_option
@click.option("--batch", type=click.IntRange(1, 64), default=1, show_default=True, help="Batch size of the dummy input.")
@click.option("--unsafe-load", is_flag=True, help="Allow model files to run code while loading (Lambda layers).")
@format_option
def probe(sources, sizes, max_size, batch, unsafe_load, fmt):
    """Probe SOURCE backbones at several input sizes and say whether the head needs pooling.

    \b
    SOURCE is one of:
      keras:MobileNetV2?alpha=0.35      a keras.applications architecture (weights=None)
      model.keras, model.h5             a saved Keras model
      path/to/saved_model               a SavedModel directory (TF Hub format, Keras export)
      https://tfhub.dev/...             a TF Hub handle, from the TF Hub cache (no download)
      pkg.module:factory, file.py:fn    Python code that returns a model (it runs as code)
    """
    from ..run import Options, probe_all

    report = probe_all(sources, Options(sizes=read_sizes(sizes, max_size), batch=batch, unsafe_load=unsafe_load))
    emit(FORMATTERS[fmt](report))
    for result in report.results:
        if result.error:
            click.echo(f"shapelint: {result.error}", err=True)
    sys.exit(2 if report.load_failed else 0)
