"""The verdict is a pure function of records: built here from hand-written records, no TensorFlow."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shapelint.records.backbone import BackboneRecord, InputSpec, Layout, ProbeRecord
from shapelint.rules import run_rules
from shapelint.rules.verdict import verdict


def backbone(outputs_by_size: dict, spec=InputSpec(), errors: dict = {}) -> BackboneRecord:
    records = [ProbeRecord(size, spec.shape(size), {"output": shape}) for size, shape in outputs_by_size.items()]
    records += [ProbeRecord(size, spec.shape(size), {}, error) for size, error in errors.items()]
    return BackboneRecord("model", spec, tuple(records))


def test_channels_first_maps_are_recognised_by_which_axes_scale():
    v = verdict(backbone({(224, 224): (1, 512, 7, 7), (160, 160): (1, 512, 5, 5)}, InputSpec(layout=Layout.NCHW)))
    main = v.primary
    assert (main.layout, main.channels, main.output_stride) == (Layout.NCHW, 512, 32)
    assert main.suggested_head.startswith('GlobalAveragePooling2D(data_format="channels_first")')


def test_feature_size_that_changes_with_input_is_not_made_safe_by_pooling():
    v = verdict(backbone({(224, 224): (1, 7, 7, 64), (160, 160): (1, 5, 5, 40)}))
    assert v.primary.pooling_makes_sizes_safe is False
    assert "does not make sizes safe" in v.to_json()["text"]


def test_rank_five_output_is_unknown_and_has_no_suggestion():
    v = verdict(backbone({(224, 224): (1, 2, 7, 7, 64)}))
    assert (v.primary.pooling, v.primary.suggested_head) == ("unknown", "")


def test_only_some_large_sizes_working_is_restricted():
    v = verdict(backbone({(224, 224): (1, 7, 7, 8), (160, 160): (1, 5, 5, 8)}, errors={(320, 320): "ValueError: no"}))
    assert v.input_sizes == "restricted" and v.min_size is None


def test_nothing_working_gives_an_unknown_verdict():
    v = verdict(backbone({}, errors={(224, 224): "ValueError: broken"}))
    assert (v.input_sizes, v.primary) == ("unknown", None)
    assert v.to_json()["pooling"] == "unknown"


dims = st.integers(1, 64)
maps = st.tuples(st.just(1), dims, dims, st.sampled_from([8, 16]))
record_sets = st.dictionaries(st.tuples(dims, dims), maps, min_size=1, max_size=5)


@given(record_sets, st.randoms())
def test_order_of_records_never_changes_the_findings(outputs, rnd):
    first = backbone(outputs)
    shuffled = list(first.records)
    rnd.shuffle(shuffled)
    second = BackboneRecord("model", first.input, tuple(shuffled))
    assert {f.rule for f in run_rules("backbone", first)} == {f.rule for f in run_rules("backbone", second)}
    assert verdict(first).primary.pooling == verdict(second).primary.pooling


named_shapes = st.dictionaries(st.text(min_size=1, max_size=8), st.lists(st.one_of(st.none(), dims), max_size=5), max_size=3)


@given(st.tuples(dims, dims), named_shapes, st.one_of(st.none(), st.text(max_size=20)), st.booleans())
def test_probe_records_round_trip_through_json(size, outputs, error, executed):
    record = ProbeRecord(size, (1, *size, 3), {k: tuple(v) for k, v in outputs.items()}, error, executed)
    assert ProbeRecord.from_json(record.to_json()) == record


def test_valid_padding_networks_still_get_their_output_stride():
    # InceptionV3 pads 'valid': 224 -> 5, 160 -> 3, 75 -> 1 is floor((in - k) / 32) + 1, not in / 32
    v = verdict(backbone({(224, 224): (1, 5, 5, 2048), (160, 160): (1, 3, 3, 2048), (75, 75): (1, 1, 1, 2048)}))
    assert v.primary.output_stride == 32


def test_a_map_that_does_not_change_with_the_input_is_still_safe_to_pool():
    v = verdict(backbone({(224, 224): (1, 7, 7, 64), (160, 160): (1, 7, 7, 64)}))
    assert v.primary.pooling_makes_sizes_safe is True
    assert "does not change with the input size here" in v.to_json()["text"]


# Advice words come from the record's framework (records.words), never from the rules or the verdict.

def test_words_are_found_by_framework_without_importing_one():
    import subprocess
    import sys

    code = ("import sys; from shapelint.records.words import words_for; w = words_for('tf_keras'); "
            "assert w is words_for('keras') is words_for(None) is words_for('no-such-framework'); "
            "print(w.global_pool(1), w.global_pool(2, channels_first=True), w.dense_call(5), w.dense_call(1, 8, 'sigmoid'), "
            "sorted({'tensorflow', 'keras', 'torch'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ('GlobalAveragePooling1D() GlobalAveragePooling2D(data_format="channels_first") Dense(5) '
                           "Dense(1, activation='sigmoid') []")


def test_rules_and_verdict_spell_no_layer_outside_their_docs():
    import ast
    from pathlib import Path

    import shapelint.rules

    spelled = []
    for path in Path(shapelint.rules.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node)}
        spelled += [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                    and any(word in node.value for word in ("GlobalAverage", "Dense(", "Flatten()", "pooling='avg'"))]
    assert spelled == []


def test_the_verdict_speaks_the_backbones_framework():
    from dataclasses import replace

    record = backbone({(224, 224): (1, 7, 7, 64), (160, 160): (1, 5, 5, 64)})
    assert verdict(record).primary.suggested_head == "GlobalAveragePooling2D() → Dense(num_classes)"
    again = BackboneRecord.from_json(replace(record, framework="tf_keras").to_json())
    assert again.framework == "tf_keras" and verdict(again).primary.suggested_head == verdict(record).primary.suggested_head


def test_a_map_one_by_one_at_every_size_is_already_pooled():
    record = replace_framework(backbone({(224, 224): (1, 512, 1, 1), (160, 160): (1, 512, 1, 1)},
                                        InputSpec(layout=Layout.NCHW)), "torch")
    v = verdict(record)
    main = v.primary
    assert (main.pooling, main.output_stride, main.pooling_makes_sizes_safe) == ("pooled", None, True)
    assert main.suggested_head == "torch.flatten(x, 1) → nn.Linear(512, num_classes)"
    assert v.to_json()["text"].startswith("Already pooled to 1×1: the output (N, 512, 1, 1) at 224")
    assert [f.code for f in run_rules("backbone", record)] == ["SL102"]  # not SL101 "the head must pool it"
    one_size = verdict(backbone({(32, 32): (1, 1, 1, 64)}))  # a stride explains 1×1 at one size: still a map
    assert one_size.primary.pooling == "required"
    # one size larger than the strides backbones use: no such stride makes 224 into 1×1, so it is pooled
    large = verdict(backbone({(224, 224): (1, 512, 1, 1)}, InputSpec(layout=Layout.NCHW)))
    assert large.primary.pooling == "pooled"
    small = verdict(backbone({(31, 31): (1, 1, 1, 1280), (32, 32): (1, 1, 1, 1280)}))  # MobileNetV2 near its minimum
    assert small.primary.pooling == "required"  # stride 32 makes both 1×1: still a map


def test_a_whole_classifier_is_re_headed_not_stacked():
    from dataclasses import replace

    from shapelint.records.facts import ClassifierRecord

    scores = backbone({(224, 224): (1, 1000), (160, 160): (1, 1000)}, InputSpec(layout=Layout.NCHW))
    record = replace(scores, framework="torch", classifier=ClassifierRecord(1000, 512, "fc", "torchvision"))
    v = verdict(record)
    assert v.scores and v.fine_tune == "model.fc = nn.Linear(512, num_classes)"
    assert v.to_json()["suggested_head"] == v.fine_tune
    assert "nn.Linear(1000" not in v.to_json()["text"]
    assert [f.code for f in run_rules("backbone", record)] == ["SL106"]
    assert [f.code for f in run_rules("backbone", record, num_classes=1000)] == []
    (other,) = run_rules("backbone", record, num_classes=3)
    assert other.fix.startswith("To fine-tune it for your classes, model.fc = nn.Linear(512, 3)")


def replace_framework(record, framework):
    from dataclasses import replace

    return replace(record, framework=framework)
