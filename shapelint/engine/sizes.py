"""Which input sizes a backbone takes, found by probing sizes chosen to tell the constraints apart. Framework-free.

A size that fails is not always too small: a ViT wants multiples of its patch size, an export may want even or
square sizes, or exactly the size it was traced at although its input declares dynamic axes. So the sizes
probed here separate the explanations: twice the smallest working square (larger, and a multiple of anything
it is a multiple of: if it fails, only the sizes seen work), one pixel more (odd: if it fails, sizes must be
multiples of something), the working side plus each of its divisors (the first that works is that multiple),
a non-square of working sides (square only). Only what is left, failing below the smallest working size, is
bisected for a minimum: bisection is sound only where failing is monotonic in size, so the minimum it finds
stands only if one pixel more and twice as much work too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from math import gcd
from typing import Callable

from ..records.backbone import ProbeRecord
from ..records.facts import SizeRule
from ..sources import format_size

Size = tuple  # (height, width)


@dataclass
class Discovery:
    """What was probed and concluded: every record so far, and the rows to show with why each was probed."""

    run: Callable[[Size], ProbeRecord]
    records: dict  # size -> ProbeRecord: everything probed so far
    rows: dict = field(default_factory=dict)  # size -> ProbeRecord probed here and shown, `why` set
    whys: dict = field(default_factory=dict)  # size -> why it was probed, shown or not

    def works(self, size: Size, why: str = "bisected", show: bool = True) -> bool:
        """Whether `size` works; probed unless it already was, and shown unless show=False."""
        size = (int(size[0]), int(size[1]))
        if size not in self.records:
            self.records[size] = self.run(size)
            self.whys[size] = why
        if show:
            self.show(size, why)
        return self.records[size].ok

    def show(self, size: Size, why: str | None = None) -> None:
        if size not in self.rows and self.records[size].why is None:
            self.rows[size] = replace(self.records[size], why=why or self.whys.get(size, "probed"))


def discover(declared: SizeRule | None, records: dict, run: Callable[[Size], ProbeRecord], asked=()) -> tuple:
    """(the SizeRule the evidence supports, the rows probed for it). records: size -> ProbeRecord of the
    sizes probed so far; run(size) probes one more size; asked: the sizes the caller asked for (never re-shown)."""
    found = Discovery(run, dict(records))
    found.rows.update({s: None for s in asked})  # placeholders: already shown as asked
    result = _discover(found, declared, records)
    return result, [r for r in found.rows.values() if r is not None]


UPWARD_LIMIT = 512  # when every size asked for is too small, how far up a working size is searched: sizes a real batch
# still runs at (probe.EXECUTE_LIMIT), so a size above it never "works" on shape inference alone


def _discover(found: Discovery, declared: SizeRule | None, records: dict) -> SizeRule | None:
    ok = [s for s, r in records.items() if r.ok]
    bad = [s for s, r in records.items() if not r.ok]
    if not ok and bad and not (declared and declared.only):
        ok = _upward(found, bad)
        records = {s: found.records[s] for s in (*records, *ok)}
    if not ok or not bad or (declared and declared.only):
        return declared
    rule = declared or SizeRule()
    if rule.multiple_of:
        _confirm_multiple(found, rule.multiple_of, [s for s in bad if _forbidden(rule, s)])
    unexplained = [s for s in bad if not _forbidden(rule, s)]
    if not unexplained:
        return declared
    side = _smallest_square(ok)
    if _below(unexplained, side):
        minimum = _bisect(found, rule, unexplained, side)
        if minimum is not None:
            return replace(rule, at_least=minimum)
    rule = _separate(found, rule, side)
    left = [s for s in unexplained if not _forbidden(rule, s)]
    if not rule.only and left and _below(left, side):
        minimum = _bisect(found, rule, left, side)
        rule = replace(rule, at_least=minimum) if minimum else rule
    return rule if rule != SizeRule() else declared


def _upward(found: Discovery, bad: list) -> list:
    """Every size asked for failed: double the largest failing square until one works (up to UPWARD_LIMIT), so a
    model probed only below its minimum still gets its minimum, not "no size worked"."""
    squares = [s[0] for s in bad if s[0] == s[1]]
    side = max(squares) if squares else 0
    while 0 < side < UPWARD_LIMIT:
        side = min(2 * side, UPWARD_LIMIT)
        if found.works((side, side), "every size asked for fails: twice the side, to find one that works"):
            return [(side, side)]
    return []


def _separate(found: Discovery, rule: SizeRule, side: Size) -> SizeRule:
    """Failing above a working size: only the sizes seen, a multiple, or square only."""
    h, w = side
    double, plus_one = (2 * h, 2 * w), (h + 1, w + 1)
    if not found.works(double, "twice the smallest working size: does a larger size work?"):
        return _only(found, rule)
    multiple = rule.multiple_of
    if not multiple and not found.works(plus_one, "one pixel more: must sizes be even, or multiples of something?"):
        multiple = next((d for d in _divisors(gcd(h, w)) if d < h and
                         found.works((h + d, w + d), f"{format_size(side)} plus {d}: the first step up that works",
                                     show=False)), None)
        if not multiple:
            return _only(found, rule)
        found.show((h + multiple, w + multiple))
        works = f"{format_size(plus_one)} fails, {format_size((h + multiple, w + multiple))} works"
        rule = replace(rule, evidence=_joined(rule.evidence, works))
        rule = replace(rule, even=True) if multiple == 2 else replace(rule, multiple_of=multiple)
    non_square = [s for s, r in found.records.items() if not r.ok and s[0] != s[1] and not _forbidden(rule, s)]
    if non_square and not found.works((h, 2 * w), "a working height, twice as wide: must sizes be square?"):
        rule = replace(rule, square_only=True, evidence=_joined(
            rule.evidence, f"{format_size(double)} works, {format_size((h, 2 * w))} fails"))
    return rule


def _only(found: Discovery, rule: SizeRule) -> SizeRule:
    """Only the sizes seen to work (the rows that fail say why; the evidence stays what the model declared)."""
    working = tuple(sorted((s for s, r in found.records.items() if r.ok), key=lambda s: s[0] * s[1]))
    for size in working:  # every size the rule names is a row of the table
        found.show(size)
    return replace(rule, only=working)


def _confirm_multiple(found: Discovery, multiple: int, off: list) -> None:
    """The multiple just below the first size that is not one, probed to show that it works."""
    if off:
        h, w = off[0]
        near = (max(multiple, h // multiple * multiple), max(multiple, w // multiple * multiple))
        found.works(near, f"the multiple of {multiple} below {format_size(off[0])}")


def _bisect(found: Discovery, rule: SizeRule, failing: list, side: Size):
    """The smallest working square between the largest failing square and `side`, over the sizes the rule
    allows; None when the boundary does not hold (one step above it fails: failing is not monotonic)."""
    step = rule.multiple_of or (2 if rule.even else 1)
    squares = [s[0] for s in failing if s[0] == s[1]]
    if not squares or side[0] != side[1]:
        return None
    lo, hi = max(squares) // step, side[0] // step  # in steps: lo * step fails, hi * step works
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if found.works((mid * step,) * 2, show=False) else (mid, hi)
    smallest = (hi * step,) * 2
    above = [((smallest[0] + 1,) * 2, "one pixel above the smallest working size")] if step == 1 else []
    for size, why in above + [((2 * smallest[0],) * 2, "twice the smallest working size")]:
        if not found.works(size, why, show=False):  # not monotonic after all (a multiple, or one size): show why
            found.show(size)
            return None
    if (lo * step,) * 2 in found.records:
        found.show((lo * step,) * 2, "bisected: the largest size that fails")
    found.show(smallest, "bisected: the smallest size that works")
    return smallest


def _below(sizes: list, side: Size) -> bool:
    return all(s[0] <= side[0] and s[1] <= side[1] for s in sizes)


def _forbidden(rule: SizeRule | None, size: Size) -> bool:
    """The size breaks a constraint of the rule other than its minimum."""
    return rule is not None and rule.forbids(tuple(size))


def _smallest_square(ok: list) -> Size:
    squares = [s for s in ok if s[0] == s[1]]
    return min(squares or ok, key=lambda s: s[0] * s[1])


def _divisors(n: int) -> list[int]:
    return [d for d in range(2, n + 1) if n % d == 0]


def _joined(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
