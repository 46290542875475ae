"""PyTorch SOURCE strings: parsed without importing a framework, saved files told apart by their bytes."""

from __future__ import annotations

import json
import pickle

import pytest
from torch_helpers import save_tiny_cnn

from shapelint.adapters import missing
from shapelint.sources import Source, SourceError, factory_framework, parse_source


@pytest.mark.parametrize("text, kind, location, options", [
    ("timm:resnet50?num_classes=0&global_pool=", "timm", "resnet50", {"num_classes": 0, "global_pool": ""}),
    ("timm:vit_tiny_patch16_224?dynamic_img_size=true", "timm", "vit_tiny_patch16_224", {"dynamic_img_size": True}),
    ("torchvision:resnet18?num_classes=5", "torchvision", "resnet18", {"num_classes": 5}),
])
def test_library_names(text, kind, location, options):
    source = parse_source(text)
    assert (source.kind, source.location, source.options, source.framework) == (kind, location, options, "torch")


def test_a_library_name_must_be_a_name():
    with pytest.raises(SourceError, match="expected a model name after 'timm:'"):
        parse_source("timm:?num_classes=0")


def test_hf_folder_and_offline_cache(tmp_path, monkeypatch):
    folder = tmp_path / "tiny-vit"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "vit"}))
    assert parse_source(f"hf:{folder}").location == str(folder)

    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    with pytest.raises(SourceError) as missing_one:
        parse_source("hf:google/vit-tiny")
    assert "never downloads" in str(missing_one.value) and str(cache / "models--google--vit-tiny") in str(missing_one.value)
    snapshot = cache / "models--google--vit-tiny" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (cache / "models--google--vit-tiny" / "refs").mkdir()
    (cache / "models--google--vit-tiny" / "refs" / "main").write_text("abc123\n")
    assert parse_source("hf:google/vit-tiny").location == str(snapshot)


def test_hf_folder_without_config(tmp_path):
    with pytest.raises(SourceError, match="no config.json"):
        parse_source(f"hf:{tmp_path}")


def test_saved_files_are_sniffed_from_their_bytes_not_their_suffix(tmp_path):
    pytest.importorskip("torch")
    save_tiny_cnn(tmp_path, 16, exported="exported.pt")  # an export archive with the wrong suffix
    kinds = {name: parse_source(str(tmp_path / name)).kind for name in ("scripted.pt", "weights.pth", "exported.pt")}
    assert kinds == {"scripted.pt": "torchscript", "weights.pth": "torch-pickle", "exported.pt": "torch-export"}
    (tmp_path / "text.pt").write_text("not a model")
    with pytest.raises(SourceError, match="not a PyTorch file"):
        parse_source(str(tmp_path / "text.pt"))
    (tmp_path / "empty.pt2").write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        parse_source(str(tmp_path / "empty.pt2"))
    (tmp_path / "legacy.pth").write_bytes(pickle.dumps({"a": 1}, protocol=2))
    assert parse_source(str(tmp_path / "legacy.pth")).kind == "torch-pickle"


@pytest.mark.parametrize("code, framework", [
    ("import torch\nfrom torch import nn\n", "torch"),
    ("import timm\n", "torch"),
    ("from transformers import ViTModel\n", "torch"),
    ("import keras\n", "tensorflow"),
    ("import tensorflow as tf\nimport torch\n", "tensorflow"),  # both: the TensorFlow path it always had
    ("x = 1\n", "tensorflow"),
    ("def f(:\n", "tensorflow"),  # unreadable: never guessed to be torch
])
def test_a_factory_framework_is_read_from_its_imports(tmp_path, code, framework):
    path = tmp_path / "factory.py"
    path.write_text(code)
    assert factory_framework(str(path)) == framework
    assert parse_source(f"{path}:build").framework == framework


def test_a_factory_that_imports_torch_inside_a_function_or_through_its_own_module_is_a_torch_factory(tmp_path):
    (tmp_path / "inside.py").write_text("def build():\n    import torch\n    return torch.nn.Linear(2, 2)\n")
    (tmp_path / "nets.py").write_text("from torch import nn\n\ndef net():\n    return nn.Linear(2, 2)\n")
    (tmp_path / "factory.py").write_text("from nets import net\n\ndef build():\n    return net()\n")
    package = tmp_path / "project"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "heads.py").write_text("import timm\n")
    (package / "train.py").write_text("from .heads import *\n")
    assert [factory_framework(str(tmp_path / name)) for name in ("inside.py", "factory.py")] == ["torch", "torch"]
    assert factory_framework(str(package / "train.py")) == "torch"
    (tmp_path / "keras_nets.py").write_text("import keras\n")
    (tmp_path / "both.py").write_text("import torch\nimport keras_nets\n")
    assert factory_framework(str(tmp_path / "both.py")) == "tensorflow"


def test_a_factory_that_builds_with_a_torch_library_is_a_torch_factory(tmp_path, monkeypatch):
    library = tmp_path / "site" / "fancy_segmentation"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("import torch\nfrom torch import nn\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "factory.py").write_text("import fancy_segmentation\n\ndef build():\n    return fancy_segmentation.Unet()\n")
    assert factory_framework(str(project / "factory.py")) == "torch"


def test_a_missing_library_is_named_with_the_extra_that_installs_it(monkeypatch):
    import shapelint.adapters as adapters

    assert missing(Source("timm:resnet18", "timm", "resnet18", framework="torch")) is None
    monkeypatch.setitem(adapters.NEEDS, "timm", ("torch", "shapelint_no_such"))
    monkeypatch.setitem(adapters.EXTRA, "shapelint_no_such", "torch")
    line = missing(Source("timm:resnet18", "timm", "resnet18", framework="torch"))
    assert line == "timm:resnet18: needs shapelint_no_such, which is not installed (pip install 'shapelint[torch]')"


def test_torch_modules_are_never_project_files(tmp_path, monkeypatch):
    """torch._classes and torch._ops name relative files; read as the project's, they kept results from the cache."""
    pytest.importorskip("torch")
    from shapelint.engine.cache import project_imports

    monkeypatch.chdir(tmp_path)
    assert project_imports() == []
