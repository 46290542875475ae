from __future__ import annotations

import click

from . import (
    NothingToCheck,
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
    sources_help,
)


@main.command(short_help="Probe backbones at several input sizes: does the head need pooling?")
@sources_help
@click.argument("sources", nargs=-1)
@sizes_option
@click.option("--batch", type=click.IntRange(1, 64), default=1, show_default=True, help="Batch size of the dummy input.")
@load_options
@run_options
@output_options
@format_option
def probe(sources, sizes, max_size, batch, fmt, **options):
    """Probe SOURCE backbones at several input sizes and say whether the head needs pooling.

    {sources}

    Exit codes: 0 probed, 2 a source could not be loaded or no size asked for works (the others are
    still reported), 3 nothing to check (no SOURCE given and none in [tool.shapelint] sources).
    probe reports and does not judge: findings change the exit code only with an explicit
    --fail-on (then 1 when one is at or above it), as `shapelint check` does by default.
    """
    from ..engine.run import Options, probe_all

    if not sources:
        raise NothingToCheck("probe")

    settings = Options(sizes=read_sizes(sizes, max_size), batch=batch, **load_settings(options))
    report = run_configured(probe_all, sources, settings)
    finish(report, fmt, 2 if report.not_checked else 0, **options)
