"""engine/sizes.py: which sizes a backbone takes, told apart by the sizes probed. The constraints here are
plain functions of the size, so each explanation can be checked against the one the probe settles on; the
same discovery on real models (timm, ONNX, torch.export) is tested in test_tokens.py."""

from __future__ import annotations

import pytest

from shapelint.engine.sizes import discover
from shapelint.records.backbone import ProbeRecord
from shapelint.records.facts import SizeRule


def runner(works, calls=None):
    def run(size):
        if calls is not None:
            calls.append(size)
        ok = works(*size)
        return ProbeRecord(size, (1, 3, *size), {"output": (1, 8)} if ok else {}, None if ok else "RuntimeError: no")
    return run


def probe(works, sizes, declared=None, calls=None):
    run = runner(works, calls)
    records = {s: run(s) for s in sizes}
    return discover(declared, records, run, sizes)


DEFAULT = [(224, 224), (160, 160), (320, 320), (192, 256)]


@pytest.mark.parametrize("works, expected", [
    (lambda h, w: h % 14 == 0 and w % 14 == 0, SizeRule(multiple_of=14)),
    (lambda h, w: h % 2 == 0 and w % 2 == 0 and h == w, SizeRule(even=True, square_only=True)),
    (lambda h, w: h == w, SizeRule(square_only=True)),
    (lambda h, w: (h, w) == (224, 224), SizeRule(only=((224, 224),))),
    (lambda h, w: h >= 29 and w >= 29, None),  # every default size works: nothing to tell
])
def test_each_constraint_is_told_apart(works, expected):
    rule, _ = probe(works, DEFAULT)
    if expected is None:
        assert rule is None
    else:
        assert (rule.multiple_of, rule.even, rule.square_only, rule.only, rule.at_least) == (
            expected.multiple_of, expected.even, expected.square_only, expected.only, expected.at_least), rule


def test_a_minimum_is_bisected_only_where_failing_is_monotonic():
    rule, rows = probe(lambda h, w: h >= 29 and w >= 29, [(16, 16), (224, 224)])
    assert rule.at_least == (29, 29) and not (rule.multiple_of or rule.even or rule.square_only or rule.only)
    assert [(r.size, r.why) for r in rows] == [((28, 28), "bisected: the largest size that fails"),
                                              ((29, 29), "bisected: the smallest size that works")]


def test_failing_below_a_multiple_is_not_called_a_minimum():
    """160 fails below 224, as a too-small size would: one pixel above the bisected boundary tells them apart."""
    rule, rows = probe(lambda h, w: h % 14 == 0 and w % 14 == 0, [(224, 224), (160, 160)])
    assert rule.multiple_of == 14 and rule.at_least is None, rule
    assert SizeRule(multiple_of=14).allows((154, 154)) and not rule.allows((160, 160))


def test_a_declared_multiple_is_confirmed_next_to_the_size_that_failed():
    declared = SizeRule(multiple_of=14, evidence="timm patch_embed.patch_size 14, dynamic_img_size=True")
    calls = []
    rule, rows = probe(lambda h, w: h % 14 == 0 and w % 14 == 0, [(224, 224), (160, 160), (100, 100)], declared,
                       calls)
    assert rule == declared
    assert [(r.size, r.ok, r.why) for r in rows] == [((154, 154), True, "the multiple of 14 below 160")]
    assert calls == [(224, 224), (160, 160), (100, 100), (154, 154)]  # nothing bisected


def test_multiples_with_a_minimum():
    rule, _ = probe(lambda h, w: h % 8 == 0 and w % 8 == 0 and min(h, w) >= 32, [(224, 224), (16, 16), (100, 100)])
    assert (rule.multiple_of, rule.at_least) == (8, (32, 32)), rule


def test_a_declared_dynamic_file_that_runs_at_one_size():
    declared = SizeRule(declared_dynamic=True, evidence="the graph declares x (n, 3, h, w)")
    rule, rows = probe(lambda h, w: (h, w) == (224, 224), DEFAULT, declared)
    assert rule.only == ((224, 224),) and rule.declared_dynamic
    assert [r.size for r in rows] == [(448, 448)]


def test_a_bisected_minimum_that_larger_sizes_break_is_one_size_only():
    """A position embedding for 14×14 patches of 16: 224..239 floor to it, 223 and 240 do not."""
    rule, rows = probe(lambda h, w: h // 16 == 14 and w // 16 == 14, [(224, 224), (144, 144)])
    assert rule.only == ((224, 224), (225, 225)) and rule.at_least is None, rule
    assert ((448, 448), "twice the smallest working size") in [(r.size, r.why) for r in rows]
