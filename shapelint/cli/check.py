from __future__ import annotations

import click

from . import (
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


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--num-classes", type=click.IntRange(1), default=None,
              help="Number of classes; enables classes-mismatch.")
@click.option("--select", default="", callback=read_patterns, metavar="CODES",
              help="Only these rules: codes, code prefixes or names, comma-separated (e.g. SL2,SL104).")
@click.option("--ignore", default="", callback=read_patterns, metavar="CODES",
              help="Skip these rules; the longer of a matching --select and --ignore wins.")
@sizes_option
@load_options
@run_options
@output_options
@format_option
def check(sources, num_classes, select, ignore, sizes, max_size, fmt, **options):
    """Lint whole models: the backbone inside them (SL1xx) and the head on top (SL2xx).

    \b
    SOURCE is one of:
      model.keras, model.h5             a saved Keras model
      pkg.module:factory, file.py:fn    Python code that returns a model (it runs as code)
      keras:MobileNetV2?include_top=1   a keras.applications architecture (weights=None)
      path/to/saved_model               a SavedModel directory (probed as an opaque backbone)

    Exit codes: 0 nothing at or above --fail-on (default warning), 1 findings, 2 a source could not
    be loaded. 'shapelint rules' lists the rules; 'shapelint explain CODE' documents one.
    """
    from ..engine.check import check_all
    from ..engine.run import Options

    settings = Options(sizes=read_sizes(sizes, max_size), select=select, ignore=ignore, num_classes=num_classes,
                       **load_settings(options))
    report = run_configured(check_all, sources, settings)
    finish(report, fmt, None, **options)
