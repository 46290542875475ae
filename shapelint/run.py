"""Source string -> SourceReport: load, probe, judge, lint. One bad source never stops the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import one_line
from .report import Report, SourceReport
from .rules import run_rules
from .sources import DEFAULT_SIZES, SourceError, parse_source
from .verdict import verdict


@dataclass(frozen=True)
class Options:
    sizes: tuple = DEFAULT_SIZES
    batch: int = 1
    select: tuple = ()
    ignore: tuple = ()
    num_classes: int | None = None
    unsafe_load: bool = False
    trust: bool = False
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def probe_source(text: str, options: Options) -> SourceReport:
    try:
        source = parse_source(text)
        from .adapters.load import load  # the first framework import happens here, not at CLI start-up
        from .probe import probe

        backbone = load(source, unsafe=options.unsafe_load)
        record = probe(backbone, options.sizes, options.batch)
    except SourceError as exc:
        return SourceReport(text, error=str(exc))
    except Exception as exc:  # an adapter bug or a model we cannot handle: reported, not raised
        return SourceReport(text, error=f"{text}: {one_line(exc)}")
    findings = run_rules("backbone", record, options.select, options.ignore, num_classes=options.num_classes)
    path = str(source.path) if source.path else None
    return SourceReport(text, record, verdict(record).to_json(), findings, None, path)


def probe_all(sources, options: Options) -> Report:
    return Report(tuple(probe_source(text, options) for text in sources))
