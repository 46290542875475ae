"""Lint a whole model: SL1xx on the backbone inside it, SL2xx on its head. Imports no framework itself.

check_source and check_object are what the CLI and the pytest plugin call; check_all schedules several
sources like probe_all does, so sources share the TensorFlow start-up of the process that runs them.
"""

from __future__ import annotations

from dataclasses import replace

from ..adapters import adapter, framework_of
from ..records.layers import ModelRecord
from ..report import Report, SourceReport
from ..rules import run_rules
from ..rules.verdict import verdict
from ..sources import FactoryError, parse_source
from .probe import probe
from .run import Options, failed, judged


def check_source(text: str, options: Options) -> SourceReport:
    """Load SOURCE, record its layer graph and run the rules; a source that cannot load is SourceReport(error=...)."""

    def record():
        source = parse_source(text)
        load, graph = adapter(source.framework, "load"), adapter(source.framework, "graph")
        try:
            if source.kind in ("keras-file", "factory") and hasattr(graph, "object_record"):
                # an adapter that records any model graph, whatever its inputs: no image backbone required
                model = load.load_object(source, unsafe=options.unsafe_load)
                return graph.object_record(model, text, options.sizes, probe), source.path, None
            backbone = load.load(source, unsafe=options.unsafe_load, trust=options.trust)
            backbone.input_shape = options.input_shape
        except FactoryError as exc:  # a head that cannot even be built may be a rule's finding
            lines = tuple((name, file, line) for name, (file, line) in exc.lines.items())
            return ModelRecord(text, build_error=exc.cause, build_lines=lines), source.path, str(exc)
        whole = source.kind in ("keras-app", "timm", "torchvision", "hf")  # a library's backbone, no head of the user's
        return graph.model_record(backbone, options.sizes, probe, whole_is_backbone=whole), source.path, None

    return _guarded(text, record, options)


def check_object(model, name: str, options: Options) -> SourceReport:
    """Check a model object the caller already holds (pytest plugin, notebooks)."""

    def record():
        framework = framework_of(model)
        graph = adapter(framework, "graph")
        if hasattr(graph, "object_record"):  # any model graph, whatever its inputs
            return graph.object_record(model, name, options.sizes, probe), None, None
        backbone = adapter(framework, "load").from_object(model, name)
        backbone.input_shape = options.input_shape
        return graph.model_record(backbone, options.sizes, probe), None, None

    return _guarded(name, record, options)


def check_record(model: ModelRecord, options: Options) -> tuple:
    """The findings for a ModelRecord: backbone rules on its backbone, then head rules. Pure."""
    rules = dict(select=options.select, ignore=options.ignore, num_classes=options.num_classes)
    found = run_rules("backbone", model.backbone, **rules) if model.backbone else ()
    return found + run_rules("head", model, **rules)


def answered_by_head(model: ModelRecord, findings: tuple) -> tuple:
    """Quiet when correct: the backbone's advice is dropped where the head already follows it (SL101 when the
    head pools, SL102 when it does not pool again, SL103 when the model itself declares that one size, SL106 when
    the user's own code gave the classifier its new layer)."""
    if any(f.code in ("SL206", "SL230") for f in findings):  # the head's finding says how to re-head it
        findings = tuple(f for f in findings if f.code != "SL106")
    if model.backbone_layer is None:  # a bare backbone: its advice is all there is
        return findings
    pools = model.head_pools()
    fixed = model.backbone.input.fixed_size if model.backbone else None
    main = verdict(model.backbone).primary if model.backbone else None
    if main is not None and main.pooled_map:  # flattening a map pooled to 1×1 is what SL102 advises
        pools = any(layer.kind == "global_pool" for layer in model.head_layers() if layer.name != model.backbone_layer)
    # a classifier the user built into the model (model.fc = nn.Linear(512, 3)): re-headed already, as SL106 advises
    reheaded = any(layer.kind == "dense" and layer.origin for layer in model.head_layers()
                   if layer.name != model.backbone_layer)
    answered = {"SL101": pools, "SL102": not pools, "SL103": bool(fixed) and tuple(model.size or ()) == fixed,
                "SL106": reheaded}
    return tuple(f for f in findings if not answered.get(f.code, False))


def check_all(sources, options: Options, schedule=None) -> Report:
    """Every source through runner.py (worker processes that each import TensorFlow once, cached);
    schedule=None takes the CLI's --jobs etc., and jobs=0 runs them all in this process."""
    from .runner import run_sources

    return run_sources("shapelint.engine.check:check_source", sources, options, schedule)


def _guarded(name: str, record, options: Options) -> SourceReport:
    try:
        model, path, load_error = record()
    except Exception as exc:  # one bad source never stops the others: reported, not raised
        return failed(name, exc)
    if model.alt_size and tuple(model.alt_size) not in {tuple(s) for s in options.sizes}:
        model = replace(model, alt_unasked=True)  # the table and SL202 say why a size nobody asked for is there
    if model.backbone is not None:  # the head table's two sizes are probed too: say so where nobody asked
        reasons = {model.size: "the model's input size", model.alt_size: "the second size of the head table"}
        model = replace(model, backbone=model.backbone.explained(options.sizes, reasons))
    findings = answered_by_head(model, check_record(model, options))
    if model.build_error and not findings:  # no rule explains why the model could not be built
        return SourceReport(name, error=load_error or f"{name}: cannot build: {model.build_error}")
    return judged(name, model.backbone, findings, model.notes, path, model)
