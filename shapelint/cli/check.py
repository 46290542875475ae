from __future__ import annotations

import click

from . import (
    CommandError,
    finish,
    format_option,
    load_options,
    load_settings,
    main,
    output_options,
    read_sizes,
    run_configured,
    run_options,
    sizes_option,
)


def read_patterns(ctx, param, value) -> tuple[str, ...]:
    """'SL2,double-pooling' -> ('SL2', 'double-pooling'); a pattern that names no rule is a usage error."""
    from ..rules.registry import validate_patterns

    items = value if isinstance(value, (list, tuple)) else (value or "").split(",")
    patterns = tuple(p.strip() for p in items if p and p.strip())
    unknown = validate_patterns(patterns)
    if unknown:
        raise click.BadParameter(f"no rule matches {', '.join(map(repr, unknown))} (see 'shapelint rules')")
    return patterns


def read_input_shape(text: str | None) -> tuple[int, ...] | None:
    """'1,28,28' -> (1, 28, 28): an input shape without the batch."""
    if not text:
        return None
    parts = [part.strip() for part in text.split(",")]
    shape = tuple(int(part) for part in parts) if all(part.isdigit() for part in parts) else ()
    if not shape or min(shape) < 1:
        raise CommandError(f"--input-shape: expected positive sizes without the batch, such as 1,28,28; got {text!r}")
    return shape


@main.command(short_help="Is my head right? The head table, and findings with their lines.")
@click.argument("sources", nargs=-1)
@click.option("--num-classes", type=click.IntRange(1), default=None,
              help="Number of classes; enables classes-mismatch.")
@click.option("--select", default="", callback=read_patterns, metavar="CODES",
              help="Only these rules: codes, code prefixes or names, comma-separated (e.g. SL2,SL104).")
@click.option("--ignore", default="", callback=read_patterns, metavar="CODES",
              help="Skip these rules; the longer of a matching --select and --ignore wins.")
@click.option("--input-shape", default=None, metavar="SHAPE",
              help="The input a PyTorch model takes, without the batch (e.g. 1,28,28 or 784), where the "
                   "layer it meets first does not say.")
@sizes_option
@load_options
@run_options
@click.option("--show-probe", is_flag=True,
              help="Also show the backbone's probe table (shown anyway when the backbone itself is the problem).")
@output_options
@format_option
def check(sources, num_classes, select, ignore, input_shape, sizes, max_size, show_probe, fmt, **options):
    """Lint whole models: the head on top (SL2xx) and the backbone inside them (SL1xx).

    Prints a status line per model and its head: the backbone (probed) and each layer after it, with
    the line of your code that created it, its output shape and what it does to the head. Findings
    are `file:line: severity CODE` lines. With no SOURCE, checks `sources` from [tool.shapelint] in
    pyproject.toml.

    \b
    SOURCE is one of:
      pkg.module:factory, file.py:fn    Python code that returns a model (it runs as code; the working
                                        directory is importable, as with python -m)
      model.keras, model.h5             a saved Keras model
      keras:MobileNetV2?include_top=1   a keras.applications architecture (weights=None)
      path/to/saved_model               a SavedModel directory (probed as an opaque backbone)
      https://tfhub.dev/...             a TF Hub handle, from the TF Hub cache (no download)

    Exit codes: 0 nothing at or above --fail-on (default warning), 1 findings, 2 a source could not
    be loaded. 'shapelint rules' lists the rules; 'shapelint explain CODE' documents one.
    """
    from ..engine.check import check_all
    from ..engine.run import Options

    if not sources:
        raise CommandError("no SOURCE given, and no [tool.shapelint] sources in a pyproject.toml here or above; "
                           "give one (e.g. shapelint check models/classifier.py:build) or list them under "
                           "[tool.shapelint] sources = [...]")
    settings = Options(sizes=read_sizes(sizes, max_size), select=select, ignore=ignore, num_classes=num_classes,
                       input_shape=read_input_shape(input_shape), **load_settings(options))
    report = run_configured(check_all, sources, settings)
    finish(report, fmt, None, show_probe=show_probe, **options)
