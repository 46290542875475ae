"""Run a Backbone at several input sizes and keep what it did. Framework-free: adapters do the calling."""

from __future__ import annotations

from ..adapters.base import Backbone, CannotExecuteHere
from ..errors import one_line
from ..records.backbone import BackboneRecord, ProbeRecord
from ..sources import SourceError
from .sizes import discover

# Sizes at or under this many pixels may be executed; larger ones only ever get shape inference, so
# memory does not grow with the probed size.
EXECUTE_LIMIT = 512 * 512
SMALL_SIZE = (224, 224)  # where the one real batch runs when every probed size is larger than the limit


def probe(backbone: Backbone, sizes, batch: int = 1, execute: bool = True) -> BackboneRecord:
    """Shapes at every size by inference; one real batch at the smallest working size settles the truth.

    Where inference fails, a small size is executed too (inference can refuse what runs, and the
    reverse); where inference and execution disagree, execution wins. A backbone that is cheap to run
    and infers loosely (execute_each: ONNX) is executed at every size up to the limit. Nothing larger than
    EXECUTE_LIMIT is ever executed: when every size that works is larger, the real batch runs at
    SMALL_SIZE, added as a row of its own.
    """
    sizes = list(sizes)
    requested = set(sizes)
    fixed = backbone.input.fixed_size
    if fixed and fixed not in sizes:
        sizes.insert(0, fixed)
    records = {size: _run(backbone.symbolic, backbone, size, batch, executed=False) for size in sizes}
    if execute and not backbone.blocked:
        working = [s for s, r in records.items() if r.ok]
        to_run = {min(working, key=_area)} if working else set()
        if working and _area(min(to_run)) > EXECUTE_LIMIT and not fixed:
            to_run = {SMALL_SIZE}  # every size that works is large: check inference against a small real batch
            if SMALL_SIZE not in records:
                sizes.append(SMALL_SIZE)
        to_run |= {s for s, r in records.items() if not r.ok and _area(s) <= EXECUTE_LIMIT}
        if backbone.execute_each:  # cheap to run, and its shape inference is the weaker witness (ONNX)
            to_run |= {s for s in working if _area(s) <= EXECUTE_LIMIT}
        for size in sorted(to_run, key=_area):
            try:
                records[size] = _run(backbone.execute, backbone, size, batch, executed=True)
            except CannotExecuteHere as exc:
                backbone.notes.append(f"not executed, shapes are inferred: this machine cannot run it ({exc})")
                execute = False
                break
    rule, found = backbone.size_rule, []
    if not fixed:  # which sizes work, as the constraint it is: multiples, parity, squareness, a minimum
        rule, found = discover(backbone.size_rule, records, _runner(backbone, batch, execute), sizes)
    ordered = [records[s] for s in sizes] + [r for r in found if r.size not in records]
    reasons = {fixed: "the model's declared input size", SMALL_SIZE: "the real batch: every size asked for is larger"}
    record = BackboneRecord(backbone.name, backbone.input, tuple(ordered), backbone.kind, backbone.suspicious,
                            backbone.framework, declared_layout=backbone.layout, tokens=backbone.tokens,
                            classifier=backbone.classifier, size_rule=rule)
    return record.explained(requested, reasons)


def _runner(backbone: Backbone, batch: int, execute: bool):
    """Probe one more size: inferred, then executed where allowed (tiny inputs are cheap, and inference is
    least reliable exactly there)."""
    state = {"execute": execute and not backbone.blocked}

    def run(size) -> ProbeRecord:
        record = _run(backbone.symbolic, backbone, size, batch, False)
        if state["execute"] and size[0] * size[1] <= EXECUTE_LIMIT:
            try:
                record = _run(backbone.execute, backbone, size, batch, True)
            except CannotExecuteHere:
                state["execute"] = False
        return record

    return run


def _run(fn, backbone: Backbone, size, batch: int, executed: bool) -> ProbeRecord:
    shape = backbone.input.shape(size, batch)
    try:
        return ProbeRecord(size, shape, fn(shape), None, executed)
    except CannotExecuteHere:
        raise
    except Exception as exc:  # a size that fails is a finding, not a crash
        why = exhausted(exc)
        if why:
            raise SourceError(f"{backbone.name}: hit a resource limit at {size[0]}x{size[1]} ({why}): the model asks for "
                              "more memory than a worker may use (--memory-limit); a resource bomb?") from None
        return ProbeRecord(size, shape, {}, one_line(exc), executed)


# How each framework says an allocation failed: a resource bomb (a 16 GiB tf.fill or ConstantOfShape) is an error
# of its own, not a size that is too small. TensorFlow folds a huge constant into a proto it cannot parse.
EXHAUSTED = ("Failed to allocate memory", "bad_alloc", "OOM when allocating", "out of memory", "Cannot parse tensor from proto",
             "exceeds the memory limit", "Cannot allocate memory")


def exhausted(exc: BaseException) -> str | None:
    """The words of an allocation failure, e.g. "Failed to allocate memory for requested buffer of size 17179869184";
    None for any other error."""
    text = str(exc)
    marker = next((marker for marker in EXHAUSTED if marker in text), None)
    if marker:
        return text[text.index(marker):].splitlines()[0][:120].strip()
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, MemoryError) or names & {"ResourceExhaustedError", "OutOfMemoryError"}:
        return one_line(exc, 120)
    return None


def _area(size) -> int:
    return size[0] * size[1]
