"""Source string or model object -> SourceReport: load, probe, judge. One bad source never stops the others."""

from __future__ import annotations

from dataclasses import dataclass

from ..adapters import adapter, framework_of
from ..errors import one_line
from ..records.backbone import BackboneRecord
from ..report import Report, SourceReport
from ..rules import run_rules
from ..rules.verdict import verdict
from ..sources import DEFAULT_SIZES, SourceError, parse_source


@dataclass(frozen=True)
class Options:
    sizes: tuple = DEFAULT_SIZES
    batch: int = 1
    select: tuple = ()
    ignore: tuple = ()
    num_classes: int | None = None
    unsafe_load: bool = False
    trust: bool = False
    input_shape: tuple | None = None  # the input a PyTorch model takes, without the batch, where it was given


def probe_source(text: str, options: Options) -> SourceReport:
    def load():
        source = parse_source(text)
        loader = adapter(source.framework, "load")  # the first framework import happens here, not at CLI start-up
        return loader.load(source, unsafe=options.unsafe_load, trust=options.trust), source.path

    return _guarded(text, load, options)


def probe_object(model, name: str, options: Options) -> SourceReport:
    """Probe a model object the caller already holds (pytest plugin, notebooks)."""

    def load():
        return adapter(framework_of(model), "load").from_object(model, name), None

    return _guarded(name, load, options)


def _guarded(name: str, load, options: Options) -> SourceReport:
    try:
        from .probe import probe

        backbone, path = load()
        record = probe(backbone, options.sizes, options.batch)
    except Exception as exc:  # one bad source never stops the others: reported, not raised
        return failed(name, exc)
    findings = run_rules("backbone", record, options.select, options.ignore, num_classes=options.num_classes)
    return judged(name, record, findings, backbone.notes, path)


def failed(name: str, exc: Exception) -> SourceReport:
    """The report of a source that could not be loaded or probed (probe and check): one line, not a traceback.

    A SourceError is already worded for the user; anything else (an adapter bug, a model we cannot
    handle) is named with its type.
    """
    if isinstance(exc, SourceError):
        return SourceReport(name, error=str(exc))
    return SourceReport(name, error=f"{name}: {one_line(exc)}")


def judged(name: str, backbone: BackboneRecord | None, findings: tuple, notes, path, model=None) -> SourceReport:
    """The report of a source that loaded (probe and check): the verdict on its backbone, with the notes
    loading and probing it left, and the findings."""
    judgement = dict(verdict(backbone).to_json(), notes=list(notes)) if backbone else None
    return SourceReport(name, backbone, judgement, findings, None, str(path) if path else None, model)


def probe_all(sources, options: Options, schedule=None) -> Report:
    """Every source in worker processes (runner.py), cached; schedule=None takes the CLI's --jobs etc."""
    from .runner import run_sources

    return run_sources("shapelint.engine.run:probe_source", sources, options, schedule)
