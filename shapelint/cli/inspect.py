from __future__ import annotations

import sys

import click

from . import load_options, main


@main.command(short_help="Show what is inside a model: endpoints, outputs, pooling.")
@click.argument("sources", nargs=-1, required=True)
@load_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("--layers", is_flag=True,
              help="List a SavedModel's layers: its variables grouped by name, with their shapes, and where the "
                   "spatial size halves (the JSON always has them).")
def inspect(sources, fmt, layers, **options):
    """Show what is inside SOURCE models: endpoints, input, outputs, pooling, variables.

    \b
    SavedModel directories and TF Hub handles (from the TF Hub cache, no download) are read from
    saved_model.pb as data: nothing is loaded or executed. inner_pooling (mean, max, none, unknown)
    comes from walking each output back through the traced function graph, and tail_ops shows the
    last ops the walk passed. 'ops outside the allowlist' are what the probe's scan before loading finds
    (SL105): ops that no reviewed list of pure computation allows, and the functions that hold them. Other sources
    (keras:NAME, .keras/.h5 files, module:factory) are loaded by their adapter and described by what
    it can say. ONNX files are read as data too (the graph walked back from each output).

    Exit codes: 0 inspected, 2 a source could not be read (the others are still reported).
    """
    from ..formatters.inspect import INSPECT_FORMATTERS

    results = [_inspect(text, unsafe=options.get("unsafe_load", False)) for text in sources]
    click.echo(INSPECT_FORMATTERS[fmt](results, layers=layers, show_errors=False), nl=False)
    for result in results:
        if result.error:
            click.echo(f"shapelint: {result.error}", err=True)
    sys.exit(2 if any(r.error for r in results) else 0)


def _inspect(text: str, unsafe: bool):
    """ONNX files are read by the onnx adapter (no TensorFlow import), PyTorch sources are declined in one
    line (this process may hold TensorFlow), every other source is read by TensorFlow's adapter."""
    from ..sources import SourceError, parse_source

    try:
        source = parse_source(text)
    except SourceError:
        source = None  # the TensorFlow inspector reports it, in the same words as before
    if source is not None and source.framework == "torch":  # never imported beside TensorFlow in one process
        from ..records.inspection import Inspection

        return Inspection(text, error=f"{text}: inspect reads SavedModels, TF Hub modules, Keras models and ONNX "
                                      "files; for a PyTorch source, `shapelint probe` shows what it returns at each "
                                      "size, and `shapelint check` the head of an nn.Module, timm, torchvision or "
                                      "Hugging Face model")
    if source is not None and source.framework == "onnx":
        from ..adapters.onnx.inspector import inspect_onnx
        from ..errors import one_line
        from ..records.inspection import Inspection

        try:
            return inspect_onnx(source)
        except SourceError as exc:
            return Inspection(text, error=str(exc))
        except Exception as exc:  # a file we cannot read: reported, not raised
            return Inspection(text, error=f"{text}: {one_line(exc)}")
    from ..adapters.tensorflow.inspector import inspect_source

    return inspect_source(text, unsafe=unsafe)
