"""The facts records carry (records.facts) survive JSON exactly, and say what they claim. No framework."""

import json

from hypothesis import given
from hypothesis import strategies as st

from shapelint.records.backbone import BackboneRecord, InputSpec, ProbeRecord
from shapelint.records.facts import CLASS, REFERENCES, REGISTER, ClassifierRecord, SizeRule, TokenRecord
from shapelint.records.words import words_for

SIDE = st.integers(1, 1024)
SIZE = st.tuples(SIDE, SIDE)

tokens = st.builds(TokenRecord, st.lists(st.sampled_from([CLASS, "distillation", REGISTER]), max_size=6).map(tuple),
                   st.one_of(st.none(), SIZE), st.one_of(st.none(), st.integers(1, 32)),
                   st.one_of(st.none(), st.sampled_from(REFERENCES)), st.text(max_size=20), st.text(max_size=20))
classifiers = st.builds(ClassifierRecord, st.one_of(st.none(), st.integers(1, 1000)),
                        st.one_of(st.none(), st.integers(1, 4096)), st.one_of(st.none(), st.sampled_from(["fc", "head"])),
                        st.sampled_from(["", "timm", "torchvision", "hf", "keras", "keras_hub"]), st.booleans())
size_rules = st.builds(SizeRule, st.one_of(st.none(), st.integers(1, 32)), st.booleans(), st.booleans(),
                       st.lists(SIZE, max_size=3).map(tuple), st.one_of(st.none(), SIZE),
                       st.one_of(st.none(), st.booleans()), st.text(max_size=20))


@given(st.one_of(st.none(), tokens), st.one_of(st.none(), classifiers), st.one_of(st.none(), size_rules))
def test_backbone_facts_round_trip_through_json(token_record, classifier, size_rule):
    record = BackboneRecord("vit", InputSpec(), (ProbeRecord((224, 224), (1, 224, 224, 3), {"output": (1, 197, 384)}),),
                            tokens=token_record, classifier=classifier, size_rule=size_rule)
    assert BackboneRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_records_from_before_the_facts_still_load():
    old = BackboneRecord("old", InputSpec(), ()).to_json()
    for key in ("tokens", "classifier", "size_rule"):
        old.pop(key)
    assert BackboneRecord.from_json(old) == BackboneRecord("old", InputSpec(), ())


def test_token_record_counts_its_prefix():
    reg4 = TokenRecord((CLASS, REGISTER, REGISTER, REGISTER, REGISTER), grid=(16, 16), patch=14)
    assert (reg4.num_prefix, reg4.has_class_token, reg4.count(REGISTER)) == (5, True, 4)
    assert not TokenRecord().has_class_token  # SigLIP: no class token, token 0 is a patch


@given(size_rules, SIZE)
def test_a_size_rule_allows_exactly_the_sizes_that_meet_every_constraint(rule, size):
    h, w = size
    expected = ((not rule.only or size in rule.only) and (not rule.multiple_of or (h % rule.multiple_of == 0 ==
                w % rule.multiple_of)) and (not rule.square_only or h == w) and (not rule.even or h % 2 == 0 == w % 2)
                and (not rule.at_least or (h >= rule.at_least[0] and w >= rule.at_least[1])))
    assert rule.allows(size) is expected


def test_each_framework_says_how_to_re_head_a_classifier_in_its_own_words():
    torch = words_for("torch")
    assert torch.fine_tune_for("torchvision", features=512, attribute="fc", num_classes=3) == \
        "model.fc = nn.Linear(512, 3)"
    assert "ignore_mismatched_sizes=True" in torch.fine_tune_for("hf", num_classes=3)
    assert "include_top=False" in words_for("keras").fine_tune_for("keras")
    assert "ImageClassifier" in words_for("keras_hub").fine_tune_for("keras_hub", num_classes=5)


def test_a_call_forward_made_round_trips_with_its_facts():
    from shapelint.records.layers import LayerRecord, ModelRecord

    call = LayerRecord("mean", "Tensor.mean", ((None, 197, 384),), ((None, 384),), kind="global_pool",
                       call="x[:, 1:].mean(dim=1)", origin=("models.py", 12), function=True, axes=(1,),
                       reduces="tokens", tokens=(0, None), pooling="average", pool_dims=1, inbound=("getitem",))
    dense = LayerRecord("fc", "Linear", ((None, 384),), None, kind="dense", units=3, features=2048, error="boom")
    model = ModelRecord("m", (call, dense), ("fc",), framework="torch", input_note="(N, 3, H, W) images",
                        batch_sizes=(4, 8))
    assert ModelRecord.from_json(json.loads(json.dumps(model.to_json()))) == model


def test_an_inlined_backbone_layer_round_trips():
    from shapelint.records.layers import LayerRecord, ModelRecord

    part = LayerRecord("Conv1…out_relu", "Functional", ((None, 224, 224, 3),), ((None, 7, 7, 1280),), is_model=True,
                       kind="model", inlined=True)
    model = ModelRecord("m", (part,), ("Conv1…out_relu",), backbone_layer="Conv1…out_relu")
    again = ModelRecord.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model and again.layers[0].inlined
    assert LayerRecord.from_json({k: v for k, v in part.to_json().items() if k != "inlined"}).inlined is False


def test_a_size_rule_forbids_only_what_is_not_a_minimum():
    rule = SizeRule(multiple_of=14, at_least=(28, 28))
    assert rule.forbids((160, 160)) and not rule.forbids((14, 14)) and not rule.allows((14, 14))
    assert not SizeRule(at_least=(29, 29)).forbids((16, 16)) and not SizeRule(at_least=(29, 29)).restricts
    assert SizeRule(square_only=True).forbids((192, 256)) and SizeRule(even=True).forbids((225, 224))


def test_a_classifier_the_user_re_headed_is_not_told_to_re_head_it():
    from shapelint.engine.check import answered_by_head
    from shapelint.records.layers import LayerRecord, ModelRecord
    from shapelint.report import Finding

    backbone = BackboneRecord("resnet", InputSpec(), (ProbeRecord((224, 224), (1, 224, 224, 3), {"output": (1, 3)}),),
                              classifier=ClassifierRecord(3, 512, "fc", "torchvision"))
    whole = Finding("whole-classifier", "SL106", "info", "a classifier with 3 outputs", "model.fc = ...")
    layers = (LayerRecord("body", "ResNet", output_shapes=((None, 512),), kind="model"),
              LayerRecord("fc", "Linear", ((None, 512),), ((None, 3),), kind="dense", inbound=("body",)))
    library = ModelRecord("timm:resnet18", layers, ("fc",), backbone=backbone, backbone_layer="body")
    assert answered_by_head(library, (whole,)) == (whole,)  # the library built fc: how to re-head it is news
    users = ModelRecord("models.py:build", (layers[0], LayerRecord(**{**layers[1].__dict__, "origin": ("models.py", 9)})),
                        ("fc",), backbone=backbone, backbone_layer="body")
    assert answered_by_head(users, (whole,)) == ()  # model.fc = nn.Linear(512, 3) at models.py:9 did it
