"""ONNX sources: real onnx files (onnx.helper graphs and a small torch export) through onnx.shape_inference
and onnxruntime, the verdict on them, and the refusals (external data outside the folder, custom domains)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shapelint.engine.run import Options, probe_object, probe_source

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SHAPELINT = [sys.executable, "-m", "shapelint"]
OPTIONS = Options(sizes=((64, 64), (32, 32), (48, 64)))


def conv_net(input_dims, output_dims, pool=False, name="features", extra_nodes=(), extra_outputs=(), domain="", pad=1):
    """x (N, 3, H, W) -> Conv 3x3 stride 2 (8 channels) -> Relu -> [GlobalAveragePool -> Flatten] -> name."""
    weights = numpy_helper.from_array(np.full((8, 3, 3, 3), 0.01, np.float32), "W")
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], strides=[2, 2], kernel_shape=[3, 3], pads=[pad] * 4),
             helper.make_node("Relu", ["c"], ["r"])]
    if pool:
        nodes += [helper.make_node("GlobalAveragePool", ["r"], ["p"]), helper.make_node("Flatten", ["p"], [name])]
    else:
        nodes.append(helper.make_node("Identity", ["r"], [name]))
    nodes += list(extra_nodes)
    outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, output_dims), *extra_outputs]
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_dims)],
                              outputs, [weights])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    model = helper.make_model(graph, opset_imports=opsets, producer_name="shapelint-tests")
    model.ir_version = 8
    return model


TORCH_EXPORT = textwrap.dedent("""
    import sys, warnings
    import torch

    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.ReLU()).eval()
    x = torch.zeros(1, 3, 64, 64)
    axes = {"pixels": {0: "n", 2: "h", 3: "w"}, "features": {0: "n", 2: "oh", 3: "ow"}}
    for path, dynamic in ((sys.argv[1], axes), (sys.argv[2], None)):
        torch.onnx.export(net, (x,), path, input_names=["pixels"], output_names=["features"],
                          dynamic_axes=dynamic, dynamo=False)
""")


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("onnx")
    onnx.save(conv_net(["n", 3, "h", "w"], ["n", 8, "oh", "ow"]), d / "dynamic.onnx")
    onnx.save(conv_net([1, 3, 64, 64], [1, 8], pool=True), d / "fixed.onnx")
    pooled = helper.make_node("GlobalAveragePool", ["r"], ["p"])
    flat = helper.make_node("Flatten", ["p"], ["vector"])
    vector = helper.make_tensor_value_info("vector", TensorProto.FLOAT, ["n", 8])
    onnx.save(conv_net(["n", 3, "h", "w"], None, extra_nodes=[pooled, flat], extra_outputs=[vector]), d / "two.onnx")
    return d


@pytest.fixture(scope="session")
def torch_exports(tmp_path_factory) -> tuple[Path, Path]:
    """A small torch model exported with dynamic axes and without; torch runs in its own process."""
    pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("torch-onnx")
    dynamic, fixed = d / "dynamic.onnx", d / "fixed.onnx"
    run = subprocess.run([sys.executable, "-c", TORCH_EXPORT, str(dynamic), str(fixed)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    return dynamic, fixed


def probe(path, options=OPTIONS) -> dict:
    return probe_source(str(path), options).to_json()


def test_dynamic_axes_give_a_feature_map_at_every_size(models):
    result = probe(models / "dynamic.onnx")
    assert result["error"] is None
    shapes = {tuple(r["size"]): r["outputs"]["features"] for r in result["records"]}
    assert shapes == {(64, 64): [1, 8, 32, 32], (32, 32): [1, 8, 16, 16], (48, 64): [1, 8, 24, 32]}
    assert all(r["executed"] for r in result["records"])  # onnxruntime ran each size for real
    verdict = result["verdict"]
    assert (verdict["pooling"], verdict["layout"], verdict["channels"], verdict["output_stride"]) == \
        ("required", "channels_first", 8, 2)
    assert (verdict["input_sizes"], result["framework"]) == ("variable", "onnx")
    notes = " ".join(verdict["notes"])
    assert "x (n, 3, h, w) -> features (n, 8, oh, ow)" in notes  # the graph's own dimension names, as evidence
    assert verdict["suggested_head"] == "GlobalAveragePool + Flatten → a Gemm with num_classes outputs"


def test_a_size_too_small_is_found_by_execution(tmp_path):
    """onnx.shape_inference gives a 3x3 unpadded Conv on a 2x2 input a 1x1 output; onnxruntime refuses it."""
    onnx.save(conv_net(["n", 3, "h", "w"], None, pad=0), tmp_path / "valid.onnx")
    result = probe(tmp_path / "valid.onnx", Options(sizes=((2, 2), (16, 16))))
    rows = {tuple(r["size"]): (r["outputs"], r["error"], r["executed"]) for r in result["records"]}
    outputs, error, executed = rows[(2, 2)]
    assert (outputs, executed) == ({}, True)
    assert error.startswith("OnnxRuntimeError: Conv '") and error.endswith("': Invalid input shape: {2,2}")
    assert rows[(3, 3)] == ({"features": [1, 8, 1, 1]}, None, True)
    assert result["verdict"]["min_size"] == [3, 3]


def test_fixed_input_is_probed_at_its_size_only(models):
    result = probe(models / "fixed.onnx")
    records = {tuple(r["size"]): r for r in result["records"]}
    assert records[(64, 64)]["outputs"] == {"features": [1, 8]} and records[(64, 64)]["executed"]
    assert records[(32, 32)]["error"] == "FixedInputSize: the graph declares x (1, 3, 64, 64)"
    assert (result["verdict"]["pooling"], result["verdict"]["input_sizes"]) == ("applied", "fixed")
    assert [f["code"] for f in result["findings"]] == ["SL102", "SL103"]


def test_every_output_is_named(models):
    result = probe(models / "two.onnx")
    first = result["records"][0]["outputs"]
    assert first == {"features": [1, 8, 32, 32], "vector": [1, 8]}
    outputs = result["verdict"]["outputs"]
    assert {name: o["pooling"] for name, o in outputs.items()} == {"features": "required", "vector": "applied"}


def test_other_fixed_inputs_are_fed_zeros_and_two_images_are_refused(tmp_path):
    scale = helper.make_tensor_value_info("scale", TensorProto.FLOAT, [1])
    model = conv_net(["n", 3, "h", "w"], None)
    model.graph.node[-1].CopyFrom(helper.make_node("Mul", ["r", "scale"], ["features"]))
    model.graph.input.append(scale)
    onnx.save(model, tmp_path / "scaled.onnx")
    result = probe(tmp_path / "scaled.onnx")
    assert result["error"] is None and result["verdict"]["pooling"] == "required"
    assert "other inputs fed zeros: scale" in result["verdict"]["notes"]

    model.graph.input[-1].CopyFrom(helper.make_tensor_value_info("scale", TensorProto.FLOAT, ["n", 3, "h", "w"]))
    onnx.save(model, tmp_path / "two_images.onnx")
    error = probe(tmp_path / "two_images.onnx")["error"]
    assert error.endswith("expected one float image input of rank 4, found x (n, 3, h, w), scale (n, 3, h, w)")


def test_torch_export_with_and_without_dynamic_axes(torch_exports):
    dynamic, fixed = (probe(path, Options(sizes=((64, 64), (32, 32)))) for path in torch_exports)
    assert [r["outputs"]["features"] for r in dynamic["records"]] == [[1, 16, 16, 16], [1, 16, 8, 8]]
    assert (dynamic["verdict"]["input_sizes"], dynamic["verdict"]["output_stride"]) == ("variable", 4)
    notes = " ".join(dynamic["verdict"]["notes"])
    assert "pixels (n, 3, h, w) -> features (n, 16, oh, ow) (exported by pytorch" in notes
    assert "in pytorch, pooling this output is nn.AdaptiveAvgPool2d(1)" in notes  # the exporting framework's words
    assert (fixed["verdict"]["input_sizes"], fixed["verdict"]["pooling"]) == ("fixed", "required")


def external(location: str):
    """A model whose bias B (4 floats) lives in external data at `location`."""
    bias = TensorProto(name="B", data_type=TensorProto.FLOAT, dims=[4], data_location=TensorProto.EXTERNAL)
    bias.external_data.add(key="location", value=location)
    weights = numpy_helper.from_array(np.zeros((4, 3, 1, 1), np.float32), "W")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "W", "B"], ["features"])], "ext",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("features", TensorProto.FLOAT, None)], [weights, bias])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


@pytest.fixture
def folder(tmp_path) -> Path:
    """tmp/secret.bin (outside) and tmp/model/ (the model's folder), with inside.bin and a symlink to the secret."""
    np.arange(4, dtype=np.float32).tofile(tmp_path / "secret.bin")
    (tmp_path / "model").mkdir()
    np.full(4, 7, np.float32).tofile(tmp_path / "model" / "inside.bin")
    os.symlink(tmp_path / "secret.bin", tmp_path / "model" / "link.bin")
    return tmp_path / "model"


def test_external_data_inside_the_folder_is_loaded_from_a_private_copy(folder):
    onnx.save(external("inside.bin"), folder / "ok.onnx")
    result = probe(folder / "ok.onnx", Options(sizes=((8, 8),)))
    assert result["error"] is None
    assert result["records"][0] == {"size": [8, 8], "input_shape": [1, 3, 8, 8], "outputs": {"features": [1, 4, 8, 8]},
                                    "error": None, "executed": True, "why": None}


def test_external_data_leaving_the_folder_is_refused(folder):
    """Each payload points the bias at a file outside the model's folder. onnx 1.23 and onnxruntime 1.32 also
    refuse these when loading, but older onnxruntime releases within the extra's range read them: shapelint's own
    check refuses first, before onnxruntime sees the file, in one line naming the tensor and the location."""
    payloads = {"up.onnx": ("../secret.bin", "outside the model's folder"),
                "absolute.onnx": (str(folder.parent / "secret.bin"), "outside the model's folder"),
                "symlink.onnx": ("link.bin", "through a symlink")}
    for name, (location, _) in payloads.items():
        onnx.save(external(location), folder / name)
    paths = [str(folder / name) for name in payloads]
    run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--no-cache", "--sizes", "8", *paths],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"shapelint: {folder / name}: refused to load: tensor 'B' keeps its data at {location!r}, {why}"
        for name, (location, why) in payloads.items()]


def test_custom_op_domain_is_refused(tmp_path):
    """A node in a custom domain would be resolved from a custom-op library: refused by the domain allowlist."""
    payload = helper.make_node("Exec", ["r"], ["features"], domain="com.evil")
    model = conv_net(["n", 3, "h", "w"], None, domain="com.evil")
    model.graph.node[-1].CopyFrom(payload)
    onnx.save(model, tmp_path / "custom.onnx")
    error = probe(tmp_path / "custom.onnx")["error"]
    assert error == (f"{tmp_path / 'custom.onnx'}: refused to load: opset import of custom domain 'com.evil'; "
                     "op 'Exec' from custom domain 'com.evil'")


def test_the_domain_allowlist_names_only_standard_onnx_domains():
    """Every op onnx defines in an allowed domain is a tensor function: none has an attribute that names a file."""
    from shapelint.adapters.onnx.safety import ALLOWED_DOMAINS

    schemas = [s for s in onnx.defs.get_all_schemas_with_history() if s.domain in ALLOWED_DOMAINS]
    assert {s.domain for s in schemas} <= ALLOWED_DOMAINS and len(schemas) > 100
    pathlike = [(s.name, a) for s in schemas for a in s.attributes if any(w in a.lower() for w in ("path", "file", "library"))]
    assert pathlike == []


def test_not_an_onnx_file_is_one_line(tmp_path):
    (tmp_path / "garbage.onnx").write_bytes(os.urandom(256))
    (tmp_path / "empty.onnx").write_bytes(b"")
    for name in ("garbage.onnx", "empty.onnx"):
        error = probe(tmp_path / name)["error"]
        assert error.startswith(f"{tmp_path / name}: not an ONNX model (") and "\n" not in error


def test_missing_extra_names_what_to_install(models, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    assert probe(models / "dynamic.onnx")["error"] == "onnxruntime not installed: pip install 'shapelint[onnx]'"


def test_check_probes_the_graph_whole_and_an_in_memory_model_works_too(models):
    from shapelint.adapters.onnx.load import from_object
    from shapelint.engine.check import check_source
    from shapelint.engine.probe import probe as run_probe

    checked = check_source(str(models / "dynamic.onnx"), OPTIONS).to_json()
    assert checked["error"] is None and [f["code"] for f in checked["findings"]] == ["SL101"]
    record = run_probe(from_object(onnx.load(models / "dynamic.onnx"), "in-memory"), [(64, 64)])
    assert record.records[0].outputs == {"features": (1, 8, 32, 32)} and record.framework == "onnx"
    report = probe_object(onnx.load(models / "dynamic.onnx"), "in-memory", OPTIONS)  # what the pytest plugin calls
    assert report.error is None and report.verdict["pooling"] == "required"


def test_cache_key_covers_the_external_data_the_model_names(folder):
    """The key is read from the file's bytes without importing onnx: a changed weight file is a new key."""
    from shapelint.engine.cache import cache_key
    from shapelint.sources import parse_source

    onnx.save(external("inside.bin"), folder / "ok.onnx")
    source = parse_source(str(folder / "ok.onnx"))
    before = cache_key("probe", source, OPTIONS)
    (folder / "unrelated.bin").write_bytes(b"x")
    assert cache_key("probe", source, OPTIONS) == before
    np.full(4, 8, np.float32).tofile(folder / "inside.bin")
    assert cache_key("probe", source, OPTIONS) not in (before, None)


def test_inspect_reads_the_graph_as_data(models, tmp_path):
    """inspect walks back from each output: past Flatten to GlobalAveragePool (mean), or to a Relu (none)."""
    pooled = helper.make_node("ReduceMean", ["r"], ["vector"], axes=[2, 3], keepdims=0)
    vector = helper.make_tensor_value_info("vector", TensorProto.FLOAT, ["n", 8])
    onnx.save(conv_net(["n", 3, "h", "w"], None, extra_nodes=[pooled], extra_outputs=[vector]), tmp_path / "mean.onnx")
    run = subprocess.run(SHAPELINT + ["inspect", "--format", "json", str(models / "fixed.onnx"), str(models / "two.onnx"),
                                      str(tmp_path / "mean.onnx")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    fixed, two, mean = json.loads(run.stdout)["results"]
    assert fixed["inner_pooling"] == {"features": "mean"}
    assert fixed["tail_ops"] == {"features": ["Conv", "Relu", "GlobalAveragePool", "Flatten"]}
    assert fixed["inputs"]["fixed_size"] and fixed["parameters"]["total"] == 8 * 3 * 3 * 3
    assert two["inner_pooling"] == {"features": "none", "vector": "mean"}
    assert two["outputs"][0] == {"name": "features", "dtype": "float32", "shape": [None, 8, None, None]}
    assert mean["tail_ops"]["vector"] == ["Conv", "Relu", "ReduceMean(axes=[2, 3])"]


def test_an_onnx_source_runs_in_a_worker_without_tensorflow(models, tmp_path):
    """A tensorflow package that refuses to import, first on the path: the ONNX worker never needs it."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text("raise ImportError('tensorflow was imported')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--no-cache", "--sizes", "32",
                                      str(models / "dynamic.onnx")], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)["results"]
    assert result["records"][0]["outputs"] == {"features": [1, 8, 16, 16]}


def test_an_export_ending_in_global_average_pool_is_already_pooled(tmp_path):
    """nn.Sequential(*list(resnet.children())[:-1]) exported: the map keeps its axes, 1×1 at every size."""
    weights = numpy_helper.from_array(np.full((8, 3, 3, 3), 0.01, np.float32), "W")
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], strides=[2, 2], kernel_shape=[3, 3], pads=[1] * 4),
             helper.make_node("Relu", ["c"], ["r"]), helper.make_node("GlobalAveragePool", ["r"], ["pooled"])]
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["n", 8, 1, 1])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pytorch")
    model.ir_version = 8
    onnx.save(model, tmp_path / "pooled.onnx")
    result = probe(tmp_path / "pooled.onnx", Options(sizes=((64, 64), (96, 96))))  # 96: no stride-64 map is 1×1 there
    verdict = result["verdict"]
    assert (verdict["pooling"], verdict["output_stride"], verdict["pooling_makes_sizes_safe"]) == ("pooled", None, True)
    assert verdict["text"].startswith("Already pooled to 1×1: the output (N, 8, 1, 1) at 64")
    assert verdict["suggested_head"] == "Flatten(axis=1) → a Gemm with num_classes outputs"
    assert not any("pooling this output is" in note for note in verdict["notes"])  # nothing left to pool
    assert [f["code"] for f in result["findings"]] == ["SL102"]


def test_an_export_whose_one_output_is_one_score_is_a_classifier(models, tmp_path):
    result = probe(models / "fixed.onnx")  # (1, 8) features: a vector, not scores
    assert result["verdict"]["classifier"] is None
    weights = numpy_helper.from_array(np.full((1, 3, 3, 3), 0.01, np.float32), "W")
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], strides=[2, 2], kernel_shape=[3, 3], pads=[1] * 4),
             helper.make_node("GlobalAveragePool", ["c"], ["p"]), helper.make_node("Flatten", ["p"], ["score"])]
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["n", 1])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="pytorch")
    model.ir_version = 8
    onnx.save(model, tmp_path / "binary.onnx")
    result = probe(tmp_path / "binary.onnx")
    assert result["verdict"]["text"].startswith("A classifier with 1 output:")
    assert [f["code"] for f in result["findings"]] == ["SL106"]  # not SL102 "put a Gemm after it"
