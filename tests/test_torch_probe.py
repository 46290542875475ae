"""`shapelint probe` on real PyTorch models (random weights): timm, torchvision, Hugging Face, saved files.

One CLI run probes every source (a torch worker imports torch and timm once), and the tests read its JSON.
"""

from __future__ import annotations

import json
import sys

import pytest
from torch_helpers import by_source, run_cli, save_tiny_cnn

torch = pytest.importorskip("torch")

RESNET_MAP = "timm:resnet18?num_classes=0&global_pool="
RESNET_POOLED = "timm:resnet18?num_classes=0"
VIT_TOKENS = "timm:vit_tiny_patch16_224?num_classes=0&global_pool="
SWIN_MAP = "timm:swin_tiny_patch4_window7_224?num_classes=0&global_pool="
TV_RESNET = "torchvision:resnet18?num_classes=5"
TINY_VIT = {"model_type": "vit", "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 37, "image_size": 32, "patch_size": 8, "num_channels": 3}


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("torch-files")
    save_tiny_cnn(folder, 64)  # full.pt, a full-model pickle, is refused without --unsafe-load
    (folder / "tiny-vit").mkdir()
    (folder / "tiny-vit" / "config.json").write_text(json.dumps(TINY_VIT))
    return folder


@pytest.fixture(scope="session")
def probed(files):
    sources = [RESNET_MAP, RESNET_POOLED, VIT_TOKENS, SWIN_MAP, TV_RESNET, f"hf:{files / 'tiny-vit'}",
               str(files / "scripted.pt"), str(files / "exported.pt2"), str(files / "weights.pth"),
               str(files / "full.pt"), "timm:resnet19", "timm:resnet18?pretrained=true"]
    code, doc, stderr = run_cli("probe", *sources, "--sizes", "64,96")
    return code, by_source(doc), stderr


def verdict_of(probed, source) -> dict:
    item = probed[1][source]
    assert item["error"] is None, item["error"]
    return item["verdict"]


def test_a_timm_feature_map_is_nchw_and_pooling_makes_sizes_safe(probed):
    v = verdict_of(probed, RESNET_MAP)
    assert {k: v[k] for k in ("pooling", "rank", "channels", "layout", "output_stride", "input_sizes",
                              "pooling_makes_sizes_safe")} == {
        "pooling": "required", "rank": 4, "channels": 512, "layout": "channels_first", "output_stride": 32,
        "input_sizes": "variable", "pooling_makes_sizes_safe": True}
    records = probed[1][RESNET_MAP]["records"]
    assert [r["outputs"]["output"] for r in records] == [[1, 512, 2, 2], [1, 512, 3, 3]]
    assert [r["executed"] for r in records] == [True, False]  # one real batch, at the smallest size


def test_num_classes_0_is_already_pooled(probed):
    v = verdict_of(probed, RESNET_POOLED)
    assert (v["pooling"], v["rank"], v["channels"]) == ("applied", 2, 512)


def test_a_vit_returns_tokens_and_takes_one_size(probed):
    v = verdict_of(probed, VIT_TOKENS)
    assert (v["pooling"], v["layout"], v["channels"], v["input_sizes"]) == ("required", "tokens", 192, "fixed")
    records = probed[1][VIT_TOKENS]["records"]
    assert records[0]["size"] == [224, 224] and records[0]["outputs"]["output"] == [1, 197, 192]
    assert "Input height (64) doesn't match model (224)" in records[1]["error"]
    assert any("dynamic_img_size=True" in note for note in v["notes"])


def test_swin_is_channels_last_because_timm_says_so(probed):
    v = verdict_of(probed, SWIN_MAP)  # one working size: the shapes alone cannot tell NHWC from NCHW
    assert (v["layout"], v["channels"], v["input_sizes"]) == ("channels_last", 768, "fixed")


def test_torchvision_with_its_own_classifier(probed):
    v = verdict_of(probed, TV_RESNET)
    assert (v["pooling"], v["channels"], v["input_sizes"]) == ("applied", 5, "variable")


def test_every_hugging_face_output_has_its_own_verdict(probed, files):
    v = verdict_of(probed, f"hf:{files / 'tiny-vit'}")
    assert v["outputs"]["last_hidden_state"]["layout"] == "tokens"
    assert v["outputs"]["last_hidden_state"]["example_shape"] == [1, 17, 32]
    assert v["outputs"]["pooler_output"]["pooling"] == "applied"
    assert v["input_sizes"] == "fixed"  # 32 only, unless interpolate_pos_encoding=True
    assert any("interpolate_pos_encoding=True" in note for note in v["notes"])


def test_torchscript_and_export_files(probed, files):
    scripted = verdict_of(probed, str(files / "scripted.pt"))
    assert (scripted["layout"], scripted["channels"], scripted["output_stride"], scripted["input_sizes"]) == (
        "channels_first", 16, 4, "variable")
    exported = verdict_of(probed, str(files / "exported.pt2"))
    assert exported["input_sizes"] == "fixed" and exported["working_sizes"] == [[64, 64]]  # exported at 64, static


def test_bad_torch_sources_are_one_line_each(probed, files):
    code, results, stderr = probed
    assert code == 2
    errors = {source: item["error"] for source, item in results.items() if item["error"]}
    assert errors == {
        str(files / "weights.pth"): f"{files / 'weights.pth'}: a state_dict holds weights, not an architecture; "
                                     "pass a module:factory that builds the model (and loads these weights if you like) "
                                     "instead",
        str(files / "full.pt"): f"{files / 'full.pt'}: refused to load: a pickled full model runs code while loading "
                                 "(torch.nn.modules.container.Sequential, torch.nn.modules.conv.Conv2d, "
                                 "torch.nn.modules.activation.ReLU); save a torch.export file instead, "
                                 "or pass --unsafe-load to allow",
        "timm:resnet19": "timm:resnet19: unknown timm model 'resnet19'; did you mean resnet18, resnet61q, resnet51q?",
        "timm:resnet18?pretrained=true": "timm:resnet18?pretrained=true: shapelint builds architectures only "
                                         "(pretrained=False); shapes do not depend on weights",
    }
    assert [line for line in stderr.splitlines() if not line.startswith("shapelint: ")] == []


def test_a_full_model_pickle_loads_with_unsafe_load(files):
    from shapelint.adapters.torch.load import load

    backbone = load(parse(str(files / "full.pt")), unsafe=True)
    assert backbone.symbolic((1, 3, 32, 32)) == {"output": (1, 16, 8, 8)}


def parse(text):
    from shapelint.sources import parse_source

    return parse_source(text)


class Payload:
    """Unpickling this writes a file: what a malicious .pt could do instead."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_payload_pickle_is_refused_before_it_runs(tmp_path):
    from shapelint.adapters.torch.load import load

    target = tmp_path / "pwned"
    torch.save({"model": Payload(str(target))}, tmp_path / "payload.pt")
    with pytest.raises(Exception, match="refused to load: a pickled full model runs code while loading \\(io.open\\)"):
        load(parse(str(tmp_path / "payload.pt")))
    assert not target.exists()
    torch.load(tmp_path / "payload.pt", weights_only=False)  # without the guard, the payload fires
    assert target.exists()


def test_workers_keep_tensorflow_and_torch_apart(factory_file, tmp_path):
    torch_factory = factory_file("""
        import sys
        import torch
        assert "tensorflow" not in sys.modules, "TensorFlow in a torch worker"
        def build():
            return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2))
    """, filename="torch_factory.py")
    keras_factory = factory_file("""
        import sys
        import keras
        assert "torch" not in sys.modules, "torch in a TensorFlow worker"
        def build():
            return keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(4, 3, strides=2)])
    """, filename="keras_factory.py")
    code, doc, _ = run_cli("probe", torch_factory, keras_factory, "timm:resnet18?num_classes=0", "--sizes", "32")
    results = by_source(doc)
    assert code == 0, doc
    assert results[torch_factory]["verdict"]["layout"] == "channels_first"
    assert results[keras_factory]["verdict"]["layout"] == "channels_last"


def test_timm_after_tensorflow_in_one_process_is_refused_not_a_crash(monkeypatch):
    from shapelint.adapters.torch.runtime import import_vision

    if "torchvision" in sys.modules:
        pytest.skip("torchvision already imported here")
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow") or type(sys)("tensorflow"))
    with pytest.raises(Exception, match="cannot be imported after TensorFlow in one process"):
        import_vision("timm:resnet18", "timm")


