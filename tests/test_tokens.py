"""Token outputs and input sizes on real models built from timm and Hugging Face configs (random weights, depth 1):
the prefix tokens, the reference pooling and the size rule each model declares; the three token-pooling head
bugs as findings at their line and the correct heads silent; exports whose declared dynamic axes do not hold.

Each group runs one CLI command (one torch worker) and the tests read its JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from torch_helpers import by_source, run_cli

pytest.importorskip("timm")
pytest.importorskip("transformers")

TINY = "img_size=28&depth=1&embed_dim=32&num_heads=2"
TIMM = {
    "reg4": f"timm:vit_small_patch14_reg4_dinov2?num_classes=0&global_pool=&{TINY}",
    "dinov2_dynamic": f"timm:vit_small_patch14_dinov2?num_classes=0&dynamic_img_size=true&{TINY}",
    "dinov2_dynamic_tokens": f"timm:vit_small_patch14_dinov2?num_classes=0&global_pool=&dynamic_img_size=true&{TINY}",
    "deit": "timm:deit_tiny_distilled_patch16_224?num_classes=0&img_size=32&depth=1&embed_dim=32&num_heads=2",
    "siglip": "timm:vit_base_patch16_siglip_224?num_classes=0&global_pool=&img_size=32&depth=1&embed_dim=32&num_heads=2",
    "eva": f"timm:eva02_tiny_patch14_224?num_classes=0&global_pool=&{TINY}",
    "clip": "timm:vit_base_patch16_clip_224?num_classes=0&global_pool=&img_size=32&depth=1&embed_dim=32&num_heads=2",
}
SMALL = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 37,
         "image_size": 28, "patch_size": 14, "num_channels": 3}
HF = {"vit": {"model_type": "vit"}, "deit": {"model_type": "deit"}, "dinov2": {"model_type": "dinov2"},
      "dinov2_reg": {"model_type": "dinov2_with_registers", "num_register_tokens": 4},
      "clip": {"model_type": "clip_vision_model"}, "siglip": {"model_type": "siglip_vision_model"}}

SAVE = """
import sys, warnings
from pathlib import Path
import timm, torch
from torch.export import Dim
warnings.simplefilter("ignore")
folder = Path(sys.argv[1])
def vit(**options):
    return timm.create_model("vit_tiny_patch16_224", pretrained=False, patch_size=8, depth=1, embed_dim=16, num_heads=2,
                             num_classes=0, global_pool="", **options).eval()
x = torch.zeros(1, 3, 32, 32)
axes = {"pixel_values": {0: "n", 2: "h", 3: "w"}}
torch.onnx.export(vit(img_size=32), (x,), folder / "vit_fixed.onnx", input_names=["pixel_values"], dynamic_axes=axes,
                  dynamo=False)
cnn = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU()).eval()
torch.onnx.export(cnn, (x,), folder / "cnn.onnx", input_names=["pixel_values"], dynamic_axes=axes, dynamo=False)
class Even(torch.nn.Module):  # folds pairs of rows: the height must be even
    def forward(self, x):
        return x.reshape(x.shape[0], 3, x.shape[2] // 2, 2, x.shape[3]).mean(3)
auto = {"x": {2: Dim.AUTO, 3: Dim.AUTO}}
torch.export.save(torch.export.export(Even(), (x,), dynamic_shapes=auto), folder / "even.pt2")
torch.export.save(torch.export.export(vit(img_size=32, dynamic_img_size=True), (x,), dynamic_shapes=auto),
                  folder / "vit_dynamic.pt2")
"""

HEADS = '''
import timm
import torch
import transformers as T
from torch import nn

REG4 = dict(pretrained=False, num_classes=0, global_pool="", img_size=28, depth=1, embed_dim=32, num_heads=2)
SMALL = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37, image_size=28,
             patch_size=14)


class Head(nn.Module):
    def __init__(self, backbone, pool, width=32):
        super().__init__()
        self.backbone, self.pool, self.fc = backbone, pool, nn.Linear(width, 5)

    def forward(self, x):
        out = self.backbone(x)
        tokens = getattr(out, "last_hidden_state", out)
        if self.pool == "mean":
            return self.fc(tokens.mean(dim=1))
        if self.pool == "first":
            return self.fc(tokens[:, 0])
        if self.pool == "patches":
            return self.fc(tokens[:, 5:].mean(dim=1))
        if self.pool == "cls+patches":
            return self.fc(torch.cat([tokens[:, 0], tokens[:, 5:].mean(dim=1)], dim=1))
        return self.fc(out.pooler_output)


def reg4(pool):
    return lambda: Head(timm.create_model("vit_small_patch14_reg4_dinov2", **REG4), pool)


def dinov2_reg(pool):
    config = T.Dinov2WithRegistersConfig(num_register_tokens=4, **SMALL)
    return lambda: Head(T.AutoModel.from_config(config), pool, 64 if pool == "cls+patches" else 32)


def siglip(pool):
    return lambda: Head(T.AutoModel.from_config(T.SiglipVisionConfig(**SMALL)), pool)


def square():
    """Adds the image to its own transpose: only square inputs work."""
    class Square(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)

        def forward(self, x):
            return self.conv(x + x.transpose(2, 3))
    return Square()


timm_mean, timm_first, timm_patches = reg4("mean"), reg4("first"), reg4("patches")
hf_mean, hf_first, hf_joined = dinov2_reg("mean"), dinov2_reg("first"), dinov2_reg("cls+patches")
siglip_first, siglip_mean, siglip_pooler = siglip("first"), siglip("mean"), siglip("pooler")
'''


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tokens")
    for name, config in HF.items():
        (folder / name).mkdir()
        (folder / name / "config.json").write_text(json.dumps({**SMALL, **config}))
    (folder / "heads.py").write_text(textwrap.dedent(HEADS))
    # saved by a fresh interpreter: torch.onnx and torch.export after TensorFlow can crash a pytest worker
    subprocess.run([sys.executable, "-c", SAVE, str(folder)], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="session")
def facts(files):
    """Every timm and Hugging Face model, and an ONNX CNN with dynamic axes, probed at 28, 42, 20 and 28x42."""
    sources = [*TIMM.values(), *(f"hf:{files / name}" for name in HF), str(files / "cnn.onnx")]
    code, doc, stderr = run_cli("probe", *sources, "--sizes", "28,42,20,28x42")
    return by_source(doc)


def record_of(facts, source) -> dict:
    item = facts[source]
    assert item["error"] is None, item["error"]
    return item


@pytest.mark.parametrize("key, prefix, reference, switch", [
    ("reg4", ["class"] + ["register"] * 4, "class_token", "global_pool='token'"),
    ("deit", ["class", "distillation"], "class_token", "global_pool='token'"),
    ("siglip", [], "attention", "global_pool='map'"),
    ("eva", ["class"], "mean_patches", "global_pool='avg'"),
    ("clip", ["class"], "class_token", "global_pool='token'"),
])
def test_timm_tokens_as_timm_declares_them(facts, key, prefix, reference, switch):
    tokens = _tokens(facts, TIMM[key])
    assert (tokens["prefix"], tokens["reference"], tokens["switch"]) == (prefix, reference, switch)


@pytest.mark.parametrize("name, prefix, reference", [
    ("vit", ["class"], "class_token"), ("deit", ["class", "distillation"], "class_token"),
    ("dinov2", ["class"], "class_and_mean_patches"),
    ("dinov2_reg", ["class"] + ["register"] * 4, "class_and_mean_patches"),
    ("clip", ["class"], "class_token"), ("siglip", [], "attention"),
])
def test_hugging_face_tokens_as_the_config_and_heads_say(facts, files, name, prefix, reference):
    tokens = _tokens(facts, f"hf:{files / name}")
    assert (tokens["prefix"], tokens["reference"], tokens["patch"]) == (prefix, reference, 14)


def _tokens(facts, source) -> dict:
    item = record_of(facts, source)
    return item["tokens"]


def test_reg4_advice_names_its_prefix_tokens_and_never_averages_them(facts):
    item = record_of(facts, TIMM["reg4"])
    text = item["verdict"]["text"]
    assert "1 class token and 4 register tokens, then 4 patch tokens (2×2 patches of 14 pixels)" in text
    assert "timm vit_small_patch14_reg4_dinov2: num_prefix_tokens=5, default global_pool='token'" in text
    assert item["verdict"]["suggested_head"] == "x[:, 0] → nn.Linear(32, num_classes)"
    assert "x[:, 5:].mean(dim=1)" in text and "flatten(1, -2).mean" not in text


def test_siglip_advice_is_its_attention_pool(facts):
    item = record_of(facts, TIMM["siglip"])
    assert item["verdict"]["suggested_head"] == "the model's attention pool (global_pool='map') → nn.Linear(32, num_classes)"
    assert "There is no class token: x[:, 0] is the first patch token." in item["verdict"]["text"]


def test_a_dynamic_vit_needs_multiples_of_its_patch_not_a_minimum(facts):
    item = record_of(facts, TIMM["dinov2_dynamic"])
    rule, rules = item["size_rule"], {f["code"] for f in item["findings"]}
    assert rule["multiple_of"] == 14 and rule["at_least"] is None
    rows = {tuple(r["size"]): r for r in item["records"]}
    assert rows[(14, 14)]["why"] == "the multiple of 14 below 20" and not rows[(14, 14)]["error"]
    assert "height and width must be multiples of 14" in item["verdict"]["text"]
    assert "SL110" in rules and "SL104" not in rules
    assert not any("dynamic_img_size=True to accept" in note for note in item["verdict"]["notes"])


def test_a_fixed_timm_vit_is_only_its_img_size(facts):
    item = record_of(facts, TIMM["reg4"])
    assert item["size_rule"]["only"] == [[28, 28]]
    assert "SL103" in {f["code"] for f in item["findings"]}


def test_an_onnx_export_whose_dynamic_axes_hold_is_not_called_out(facts, files):
    clean = record_of(facts, str(files / "cnn.onnx"))
    assert clean["size_rule"]["declared_dynamic"] and not clean["size_rule"]["only"]
    assert not {"SL103", "SL111"} & {f["code"] for f in clean["findings"]}


@pytest.fixture(scope="session")
def sizes(files):
    """Files and a factory with size rules no model declares, probed at sizes chosen to tell them apart."""
    sources = [str(files / "vit_fixed.onnx"), str(files / "even.pt2"), str(files / "vit_dynamic.pt2"),
               f"{files / 'heads.py'}:square"]
    code, doc, stderr = run_cli("probe", *sources, "--sizes", "32,33,24,32x48")
    return by_source(doc)


def test_sizes_no_model_declares_are_found(sizes, files):
    fixed = record_of(sizes, str(files / "vit_fixed.onnx"))
    # exported at 32: the patch convolution floors 33 to the same 4×4 patches, and nothing else runs
    assert fixed["size_rule"]["only"] == [[32, 32], [33, 33]] and fixed["size_rule"]["declared_dynamic"]
    (finding,) = [f for f in fixed["findings"] if f["code"] == "SL111"]
    assert "declares a dynamic height and width (the graph declares pixel_values (n, 3, h, w))" in finding["message"]
    assert "dynamo=True" in finding["fix"] and "dynamic_img_size=True" in finding["fix"]
    assert "SL103" not in {f["code"] for f in fixed["findings"]}
    even = record_of(sizes, str(files / "even.pt2"))["size_rule"]
    assert even["even"] and not even["square_only"] and even["declared_dynamic"]
    vit = record_of(sizes, str(files / "vit_dynamic.pt2"))["size_rule"]
    assert (vit["multiple_of"], vit["declared_dynamic"]) == (8, True)
    square = record_of(sizes, f"{files / 'heads.py'}:square")["size_rule"]
    assert square["square_only"] and not square["even"] and not square["multiple_of"]


@pytest.fixture(scope="session")
def heads(files):
    names = ["timm_mean", "timm_first", "timm_patches", "hf_mean", "hf_first", "hf_joined", "siglip_first",
             "siglip_mean", "siglip_pooler"]
    code, doc, stderr = run_cli("check", *(f"{files / 'heads.py'}:{name}" for name in names), "--sizes", "28",
                                "--select", "SL24")
    return {item["source"].rpartition(":")[2]: item for item in doc["results"]}


@pytest.mark.parametrize("name, code, line", [
    ("timm_mean", "SL240", "return self.fc(tokens.mean(dim=1))"),
    ("hf_mean", "SL240", "return self.fc(tokens.mean(dim=1))"),
    ("siglip_first", "SL241", "return self.fc(tokens[:, 0])"),
    ("siglip_mean", "SL242", "return self.fc(tokens.mean(dim=1))"),
    ("timm_patches", "SL242", "return self.fc(tokens[:, 5:].mean(dim=1))"),
    ("hf_first", "SL242", "return self.fc(tokens[:, 0])"),
])
def test_token_pooling_bugs_are_found_at_their_line(heads, files, name, code, line):
    item = heads[name]
    assert item["error"] is None, item["error"]
    (finding,) = item["findings"]
    assert finding["code"] == code
    row = next(row for row in item["head"] if row["layer"] == finding["layer"])
    source = (files / "heads.py").read_text().splitlines()
    assert source[row["line"] - 1].strip() == line


@pytest.mark.parametrize("name", ["timm_first", "hf_joined", "siglip_pooler"])
def test_correct_heads_are_silent(heads, name):
    assert heads[name]["error"] is None, heads[name]["error"]
    assert heads[name]["findings"] == []
