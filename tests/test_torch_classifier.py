"""Whole classifiers and maps pooled to 1×1 in PyTorch, built the way each library's own tutorial builds them:
torchvision's fine-tuning tutorial (`model.fc = nn.Linear(model.fc.in_features, 3)`), timm's
`create_model(num_classes=5)`, Hugging Face `*ForImageClassification` from a tiny config, and
`nn.Sequential(*list(resnet.children())[:-1])`. Through the CLI, so torchvision, timm and transformers run in
the CLI's worker processes, never beside TensorFlow in this one.
"""

from __future__ import annotations

import pytest
from torch_helpers import by_source, run_cli

pytest.importorskip("torch")
pytest.importorskip("torchvision")

MODELS = """
import torch
import torchvision
from torch import nn


def tutorial():
    # https://pytorch.org/tutorials/beginner/finetuning_torchvision_models_tutorial.html
    model = torchvision.models.resnet18(weights=None)
    model.fc = nn.Linear(model.fc.in_features, 3)
    return model, nn.CrossEntropyLoss()


def children():
    return nn.Sequential(*list(torchvision.models.resnet18(weights=None).children())[:-1])


class PooledHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = children()
        self.fc = nn.Linear(512, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def pooled_head():
    return PooledHead()


def vgg():
    model = torchvision.models.vgg11(weights=None)
    model.classifier[6] = nn.Linear(4096, 3)
    return model


def after_logits():
    return nn.Sequential(torchvision.models.resnet18(weights=None), nn.Linear(1000, 3))


def vit():
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                       image_size=64, patch_size=16, num_labels=3)
    return ViTForImageClassification(config)


def hf_resnet():
    from transformers import ResNetConfig, ResNetForImageClassification

    return ResNetForImageClassification(ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1],
                                                     num_labels=3))


class PoolerHead(nn.Module):
    # a head on a Hugging Face ResNet's pooler_output: (N, 16, 1, 1), pooled but still 4-D

    def __init__(self):
        super().__init__()
        from transformers import ResNetConfig, ResNetModel

        self.resnet = ResNetModel(ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1]))
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(torch.flatten(self.resnet(x).pooler_output, 1))


def pooler_head():
    return PoolerHead()
"""
TIMM = "timm:resnet18?num_classes=5"


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict:
    """One CLI run over every model: check --num-classes 3 at 64 and 96."""
    path = tmp_path_factory.mktemp("classifiers") / "classifiers.py"
    path.write_text(MODELS)
    names = ["tutorial", "children", "pooled_head", "vgg", "after_logits", "vit", "hf_resnet", "pooler_head"]
    pytest.importorskip("transformers")
    _, doc, _ = run_cli("check", *(f"{path}:{n}" for n in names), "--sizes", "64,96", "--num-classes", "3")
    results = by_source(doc)
    return {name: results[f"{path}:{name}"] for name in names}


def codes(result) -> list[str]:
    assert result["error"] is None, result["error"]
    return [f["code"] for f in result["findings"]]


def rows(result) -> list[tuple]:
    return [(row["layer"], row["call"], row["backbone"]) for row in result["head"]]


def test_torchvision_tutorial_is_its_backbone_and_its_own_head(checked):
    result = checked["tutorial"]
    assert codes(result) == []  # --num-classes 3 matches fc: nothing to say
    assert rows(result) == [("conv1…layer4", "ResNet 'conv1…layer4'", True),
                            ("avgpool", "nn.AdaptiveAvgPool2d((1, 1))", False),
                            ("flatten", "torch.flatten(x, 1)", False), ("fc", "nn.Linear(512, 3)", False)]
    backbone = result["head"][0]
    assert (backbone["output_shape"], backbone["alt_output_shape"]) == ([None, 512, 2, 2], [None, 512, 3, 3])
    verdict = result["verdict"]
    assert verdict["classifier"] == {"width": 3, "features": 512, "attribute": "fc", "library": "torchvision",
                                     "pools": True}
    assert verdict["suggested_head"] == "model.fc = nn.Linear(512, num_classes)"
    assert verdict["text"].startswith("A classifier with 3 outputs")


def test_a_map_pooled_to_one_by_one_is_flattened_not_pooled(checked):
    probed = checked["children"]["verdict"]
    assert (probed["pooling"], probed["output_stride"], probed["pooling_makes_sizes_safe"]) == ("pooled", None, True)
    assert probed["suggested_head"] == "torch.flatten(x, 1) → nn.Linear(512, num_classes)"
    assert "Already pooled to 1×1" in probed["text"] and "output stride" not in probed["text"]
    (finding,) = [f for f in checked["children"]["findings"] if f["code"].startswith("SL1")]
    assert (finding["code"], finding["fix"]) == (
        "SL102", "Flatten it (torch.flatten(x, 1)) and put nn.Linear(512, num_classes) after it; "
                 "do not add nn.AdaptiveAvgPool2d")
    assert codes(checked["pooled_head"]) == []  # flattening it is the advice: answered
    assert checked["pooled_head"]["head"][0]["does"] == "backbone (probed): already pooled to 1×1, 512 channels"


def test_a_hugging_face_pooler_output_is_already_pooled(checked):
    result = checked["pooler_head"]
    assert codes(result) == []
    pooler = result["verdict"]["outputs"]["pooler_output"]
    assert (pooler["pooling"], pooler["output_stride"]) == ("pooled", None)
    assert "'pooler_output' (N, 16, 1, 1) is already pooled to 1×1: flatten only" in result["verdict"]["text"]


def test_vgg_fixed_grid_makes_flatten_size_safe(checked):
    result = checked["vgg"]
    assert codes(result) == []  # no SL101 "the head must pool it", no SL202
    does = {row["layer"]: row["does"] for row in result["head"]}
    assert does["avgpool"] == "pools to a fixed 7×7 grid at every input size"
    assert result["head"][0]["layer"] == "features"


def test_a_layer_after_the_logits_is_reported_with_the_re_heading(checked):
    (finding,) = checked["after_logits"]["findings"]
    assert (finding["code"], finding["fix"]) == ("SL230", "Re-head the classifier instead: model.fc = nn.Linear(512, 3)")


def test_hugging_face_classifiers_are_classifiers(checked):
    vit = checked["vit"]
    assert codes(vit) == []  # no SL101 (it takes the class token inside), no SL104 about a size nobody asked for
    assert [row["call"] for row in vit["head"]][1:] == ["x[:, 0, :]", "nn.Linear(32, 3)"]
    assert vit["verdict"]["classifier"]["library"] == "hf"
    assert vit["verdict"]["suggested_head"] == "from_pretrained(..., num_labels=num_classes, ignore_mismatched_sizes=True)"
    resnet = checked["hf_resnet"]
    assert codes(resnet) == [] and resnet["head"][0]["layer"] == "resnet"
    assert [row["call"] for row in resnet["head"]][1:] == ["nn.Flatten()", "nn.Linear(16, 3)"]


def test_timm_and_torchvision_names_are_classifiers():
    code, doc, _ = run_cli("check", TIMM, "--sizes", "64,96", "--num-classes", "5")
    result = by_source(doc)[TIMM]
    assert (code, codes(result)) == (0, [])  # clean: no "the whole model is a backbone", no "add nn.Linear"
    assert [row["layer"] for row in result["head"]] == ["conv1…layer4", "global_pool.pool", "global_pool.flatten", "fc"]
    assert all(row["alt_output_shape"] is not None for row in result["head"])  # both sizes
    _, doc, _ = run_cli("probe", "torchvision:resnet18", "--sizes", "64")
    verdict = by_source(doc)["torchvision:resnet18"]["verdict"]
    assert verdict["text"].startswith("A classifier with 1000 outputs: the output (N, 1000) at 64 is class scores")
    assert "model.fc = nn.Linear(512, num_classes)" in verdict["text"] and "nn.Linear(1000" not in verdict["text"]
    (finding,) = by_source(doc)["torchvision:resnet18"]["findings"]
    assert finding["code"] == "SL106"


SAVE_VIT = """
import sys
from transformers import ViTConfig, ViTForImageClassification

config = ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, image_size=64,
                   patch_size=16, num_labels=3)
ViTForImageClassification(config).save_pretrained(sys.argv[1])
"""


def test_a_hugging_face_folder_saved_from_a_classifier_is_that_classifier(tmp_path):
    import subprocess
    import sys

    pytest.importorskip("transformers")
    run = subprocess.run([sys.executable, "-c", SAVE_VIT, str(tmp_path / "vit")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    source = f"hf:{tmp_path / 'vit'}"
    _, doc, _ = run_cli("probe", source)
    result = by_source(doc)[source]
    assert result["records"][0]["outputs"] == {"logits": [1, 3]}
    assert result["verdict"]["text"].startswith("A classifier with 3 outputs")
    assert "SL101" not in [f["code"] for f in result["findings"]] and "SL104" not in [f["code"] for f in result["findings"]]
