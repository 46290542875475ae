"""Run a Backbone at several input sizes and keep what it did. Framework-free: adapters do the calling."""

from __future__ import annotations

from ..adapters.base import Backbone, CannotExecuteHere
from ..errors import one_line
from ..records.backbone import BackboneRecord, ProbeRecord
from ..sources import SourceError

# Sizes at or under this many pixels may be executed; larger ones only ever get shape inference, so
# memory does not grow with the probed size.
EXECUTE_LIMIT = 512 * 512
SMALL_SIZE = (224, 224)  # where the one real batch runs when every probed size is larger than the limit
UPWARD_LIMIT = 1024  # when every size asked for is too small, how far up the smallest working size is searched


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
    boundary = _min_size_boundary(backbone, records, batch, execute)
    ordered = [records[s] for s in sizes] + [r for r in boundary if r.size not in records]
    reasons = {fixed: "the model's declared input size", SMALL_SIZE: "the real batch: every size asked for is larger"}
    if len(boundary) == 2:
        reasons.update({boundary[0].size: "bisected: the largest size that fails",
                        boundary[1].size: "bisected: the smallest size that works"})
    record = BackboneRecord(backbone.name, backbone.input, tuple(ordered), backbone.kind, backbone.suspicious,
                            backbone.framework, declared_layout=backbone.layout, tokens=backbone.tokens,
                            classifier=backbone.classifier, size_rule=backbone.size_rule)
    return record.explained(requested, reasons)


def _min_size_boundary(backbone: Backbone, records: dict, batch: int, execute: bool) -> list[ProbeRecord]:
    """When a square size is too small, bisect the side up to the smallest working square.

    Returns the two records either side of the minimum (largest failing, smallest working), so the
    minimum size is evidence in the table rather than a guess. Executes when allowed: tiny inputs
    are cheap and inference is least reliable exactly there.
    """
    if backbone.input.fixed_size:
        return []
    squares_ok = [s[0] for s, r in records.items() if r.ok and s[0] == s[1]]
    failing = [s[0] for s, r in records.items() if not r.ok and s[0] == s[1]]
    found = {}

    def run(side):
        nonlocal execute
        found[side] = _run(backbone.symbolic, backbone, (side, side), batch, False)
        if execute and not backbone.blocked and side * side <= EXECUTE_LIMIT:
            try:
                found[side] = _run(backbone.execute, backbone, (side, side), batch, True)
            except CannotExecuteHere:
                execute = False
        return found[side].ok

    if not squares_ok and failing and not any(r.ok for r in records.values()):
        # every size asked for is too small: double the side until one works, so the minimum is still found
        side = max(failing)
        while side < UPWARD_LIMIT and not squares_ok:
            side = min(2 * side, UPWARD_LIMIT)
            if run(side):
                squares_ok.append(side)
            else:
                failing.append(side)
    if not squares_ok:
        return []
    hi = min(squares_ok)
    failing = [s for s in failing if s < hi]
    if not failing:
        return []
    lo = max(failing)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if run(mid) else (mid, hi)
    return [found[n] if n in found else records[(n, n)] for n in (lo, hi)]


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
