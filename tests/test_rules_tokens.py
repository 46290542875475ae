"""SL24x token-pooling rules on hand-made records (Fixit style: each bad example yields exactly its own rule at its
call, each good one nothing), then the facts_text advice. The same rules on real timm / Hugging Face heads run in
test_tokens.py."""

from __future__ import annotations

import pytest

from shapelint.records.backbone import BackboneRecord, InputSpec, Layout, ProbeRecord
from shapelint.records.facts import ATTENTION, CLASS, CLASS_AND_MEAN, CLASS_TOKEN, MEAN_PATCHES, REGISTER, TokenRecord
from shapelint.records.layers import LayerRecord, ModelRecord
from shapelint.records.words import words_for
from shapelint.rules import run_rules
from shapelint.rules.facts_text import layout_text, token_pooling

REG4 = TokenRecord((CLASS,) + (REGISTER,) * 4, (16, 16), 14, CLASS_TOKEN, "global_pool='token'",
                   "timm vit_small_patch14_reg4_dinov2: num_prefix_tokens=5, default global_pool='token'")
SIGLIP = TokenRecord((), (16, 16), 14, ATTENTION, "pooler_output", "transformers SiglipVisionModel")
DINOV2_HF = TokenRecord((CLASS,) + (REGISTER,) * 4, (16, 16), 14, CLASS_AND_MEAN, "",
                        "transformers Dinov2WithRegistersForImageClassification")
EVA = TokenRecord((CLASS,), (16, 16), 14, MEAN_PATCHES, "global_pool='avg'", "timm eva02")
C = 384


def head(tokens: TokenRecord, *calls: LayerRecord) -> ModelRecord:
    """backbone -> calls... -> fc, every call's input the output before it unless it names its own."""
    length = tokens.num_prefix + 256
    probe = ProbeRecord((224, 224), (1, 3, 224, 224), {"output": (1, length, C)})
    backbone = BackboneRecord("vit", InputSpec(layout=Layout.NCHW), (probe,), "timm", framework="torch", tokens=tokens)
    layers = [LayerRecord("backbone", "VisionTransformer", ((None, 3, 224, 224),), ((None, length, C),),
                          kind="model", is_model=True)]
    for call in calls:
        inbound = call.inbound or (layers[-1].name,)
        layers.append(LayerRecord(**{**call.__dict__, "inbound": inbound}))
    width = layers[-1].output_shape[-1]
    layers.append(LayerRecord("fc", "Linear", ((None, width),), ((None, 5),), kind="dense", units=5,
                              inbound=(layers[-1].name,), call=f"nn.Linear({width}, 5)"))
    return ModelRecord("head.py:build", tuple(layers), ("fc",), (224, 224), (160, 160), backbone=backbone,
                       backbone_layer="backbone", framework="torch")


def mean(length: int, call="x.mean(dim=1)", name="mean", inbound=(), pooling="average") -> LayerRecord:
    return LayerRecord(name, "Tensor.mean", ((None, length, C),), ((None, C),), kind="global_pool", pooling=pooling,
                       pool_dims=1, function=True, axes=(1,), reduces="tokens", tokens=(0, None), call=call,
                       origin=("head.py", 12), inbound=inbound)


def select(length: int, start: int, stop, name="getitem", call=None, inbound=()) -> LayerRecord:
    single = stop == start + 1
    out = (None, C) if single else (None, length - start, C)
    return LayerRecord(name, "Tensor.__getitem__", ((None, length, C),), (out,), kind="select", function=True,
                       axes=(1,), reduces="tokens" if single else None, tokens=(start, stop),
                       call=call or (f"x[:, {start}]" if single else f"x[:, {start}:]"), origin=("head.py", 11),
                       inbound=inbound)


def norm(length: int) -> LayerRecord:
    return LayerRecord("norm", "LayerNorm", ((None, length, C),), ((None, length, C),), kind="norm",
                       call="nn.LayerNorm()")


def concat() -> LayerRecord:
    return LayerRecord("cat", "torch.cat", ((None, C), (None, C)), ((None, 2 * C),), kind="concat", function=True,
                       axes=(1,), inbound=("cls", "mean"), call="torch.cat([cls, mean], dim=1)")


EXAMPLES = {
    "mean-includes-prefix-tokens": {
        "bad": [head(REG4, mean(261)), head(REG4, norm(261), mean(261)), head(REG4, select(261, 1, None), mean(260)),
                head(EVA, mean(257, pooling="max")), head(DINOV2_HF, mean(261))],
        "good": [head(REG4, select(261, 0, 1)), head(REG4, select(261, 0, 1, call="x[:, :1].squeeze(1)"))],
    },
    "token-zero-without-class-token": {
        "bad": [head(SIGLIP, select(256, 0, 1)), head(SIGLIP, norm(256), select(256, 0, 1))],
        "good": [head(REG4, select(261, 0, 1)), head(EVA, select(257, 1, None), mean(256))],
    },
    "token-pooling-differs": {
        "bad": [head(SIGLIP, mean(256)), head(REG4, select(261, 5, None), mean(256)), head(EVA, select(257, 0, 1)),
                head(DINOV2_HF, select(261, 0, 1))],
        "good": [head(EVA, select(257, 1, None), mean(256)), head(REG4, norm(261), select(261, 0, 1)),
                 head(DINOV2_HF, select(261, 0, 1, name="cls"), select(261, 5, None, name="patches", inbound=("backbone",)),
                      mean(256, name="mean"), concat())],
    },
}


CASES = [pytest.param(name, kind, record, id=f"{name}-{kind}-{i}")
         for name, kinds in EXAMPLES.items() for kind, records in kinds.items() for i, record in enumerate(records)]


@pytest.mark.parametrize("name, kind, record", CASES)
def test_rule_examples(name, kind, record):
    found = [f for f in run_rules("head", record, select=("SL24",))]
    if kind == "bad":
        assert [f.rule for f in found] == [name], [(f.rule, f.message) for f in found]
        assert found[0].layer in {layer.name for layer in record.layers if layer.function}
    else:
        assert found == [], [(f.rule, f.message) for f in found]


def test_the_reg4_mean_names_the_prefix_tokens_and_the_reference():
    (finding,) = run_rules("head", head(REG4, mean(261, call="tokens.mean(dim=1)")), select=("SL240",))
    assert finding.message == (
        "tokens.mean(dim=1) pools tokens 0..260 of vit (1 class token and 4 register tokens, then 256 patch tokens): "
        "the 1 class token and 4 register tokens are pooled with the patches; the checkpoint's reference pooling is "
        "the class token (timm vit_small_patch14_reg4_dinov2: num_prefix_tokens=5, default global_pool='token')")
    assert finding.fix == "Pool the patch tokens only, x[:, 5:].mean(dim=1), or pool as the checkpoint does: x[:, 0]"
    assert finding.layer == "mean"


def test_siglip_token_0_is_an_error_with_the_attention_pool_as_fix():
    (finding,) = run_rules("head", head(SIGLIP, select(256, 0, 1)), select=("SL24",))
    assert finding.code == "SL241" and finding.severity == "error"
    assert "token 0 is the first of its 256 patch tokens" in finding.message
    assert finding.fix == "Pool as the checkpoint does: the model's attention pool (pooler_output)"


def test_dinov2_class_and_mean_joined_is_the_reference():
    record = EXAMPLES["token-pooling-differs"]["good"][1]
    assert run_rules("head", record, select=("SL24",)) == ()


def test_token_advice_in_each_framework():
    torch_words, keras_words = words_for("torch"), words_for("keras")
    assert token_pooling(REG4, torch_words) == "x[:, 0]"
    assert token_pooling(EVA, torch_words) == "x[:, 1:].mean(dim=1)"
    assert token_pooling(EVA, keras_words) == "GlobalAveragePooling1D()(x[:, 1:])"
    assert token_pooling(DINOV2_HF, torch_words) == "torch.cat([x[:, 0], x[:, 5:].mean(dim=1)], dim=1)"
    assert layout_text(REG4, 261, (224, 224)) == ("1 class token and 4 register tokens, then 256 patch tokens "
                                                  "(16×16 patches of 14 pixels)")
    assert layout_text(SIGLIP, 256, (224, 224)).startswith("no class token: all 256 tokens are patch tokens")


def test_a_head_on_the_pooled_output_of_a_model_output_pools():
    """pooler_output beside last_hidden_state: the head reads the pooled one, so SL101's advice is answered."""
    record = head(SIGLIP, select(256, 0, 1))
    assert record.head_pools()  # token 0 taken: one vector per image
    backbone = LayerRecord("backbone", "SiglipVisionModel", ((None, 3, 224, 224),), ((None, 256, C), (None, C)),
                           kind="model", is_model=True)
    fc = LayerRecord("fc", "Linear", ((None, C),), ((None, 5),), kind="dense", units=5, inbound=("backbone",))
    pooled = ModelRecord("m", (backbone, fc), ("fc",), backbone=record.backbone, backbone_layer="backbone",
                         framework="torch")
    assert pooled.head_pools()
    single = ModelRecord("m", (LayerRecord(**{**backbone.__dict__, "output_shapes": ((None, C),)}), fc), ("fc",),
                         backbone=record.backbone, backbone_layer="backbone", framework="torch")
    assert not single.head_pools()  # an already pooled backbone: the head does not pool


def prepended(*calls: LayerRecord) -> ModelRecord:
    """A ViT written in forward: torch.cat((cls_token.expand(...), patches), dim=1), no library backbone."""
    layers = [LayerRecord("embed", "Linear", ((None, 16, 768),), ((None, 16, C),), kind="dense", units=C),
              LayerRecord("cat", "torch.cat", ((None, 1, C), (None, 16, C)), ((None, 17, C),), kind="concat",
                          function=True, axes=(1,), inbound=("embed",), call="torch.cat((x, y), dim=1)"),
              LayerRecord("norm", "LayerNorm", ((None, 17, C),), ((None, 17, C),), kind="norm", inbound=("cat",))]
    for call in calls:
        layers.append(LayerRecord(**{**call.__dict__, "inbound": call.inbound or (layers[-1].name,)}))
    layers.append(LayerRecord("fc", "Linear", ((None, C),), ((None, 5),), kind="dense", units=5,
                              inbound=(layers[-1].name,)))
    return ModelRecord("vit.py:build", tuple(layers), ("fc",), (64, 64), (96, 96), framework="torch")


def test_a_class_token_prepended_in_forward_is_a_prefix_token():
    (finding,) = run_rules("head", prepended(mean(17)), select=("SL24",))
    assert finding.code == "SL240" and "1 class token, then 16 patch tokens" in finding.message
    assert run_rules("head", prepended(select(17, 1, None), mean(16)), select=("SL24",)) == ()
    assert run_rules("head", prepended(select(17, 0, 1)), select=("SL24",)) == ()
