"""Hostile PyTorch, Hugging Face, KerasHub and ONNX sources (tests/hostile_loads.py): every payload fires when
loaded the ordinary way, and none fires through `shapelint probe` with default flags, which refuses it in one
line (exit 2) or, where the source is an architecture that needs nothing from the host, builds it untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_loads  # noqa: E402

pytest.importorskip("torch")
SHAPELINT = [sys.executable, "-m", "shapelint"]


@pytest.fixture(scope="session")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("loads")
    host, fired = root / "host", root / "fired"
    host.mkdir()
    fired.mkdir()
    return root, host, fired


@pytest.fixture(scope="session")
def kerashub_corpus(places):
    pytest.importorskip("keras_hub")
    root, host, _ = places
    return hostile_loads.kerashub_cases(root / "kerashub", host)


@pytest.fixture(scope="session")
def torch_corpus(places):
    root, host, fired = places
    return hostile_loads.torch_cases(root / "torch", host, fired)


def probe(cases, *flags, env=None):
    """One `shapelint probe` run over the cases' sources (a worker, and an empty result cache, so the parent
    hashes each source as it would): exit code and results by source."""
    import tempfile

    for case in cases:
        case.arm()
    with tempfile.TemporaryDirectory() as cache:
        run = subprocess.run(SHAPELINT + ["probe", "--format", "json", "--jobs", "1", "--sizes", "32",
                                          *flags, *(case.text for case in cases)], capture_output=True, text=True,
                             env={**os.environ, "SHAPELINT_CACHE_DIR": cache, **(env or {})}, timeout=900)
    results = {item["source"]: item for item in json.loads(run.stdout)["results"]} if run.stdout else {}
    return run, results


def assert_contained(cases):
    """Fired without shapelint; through it, nothing fired and each hostile source is refused in one line."""
    assert hostile_loads.fired(cases) == {case.name: True for case in cases}
    env = {}
    for case in cases:
        env.update(case.env)
    run, results = probe(cases, env=env)
    assert run.returncode == 2, run.stderr
    problems = {}
    for case in cases:
        error = results[case.text]["error"] or ""
        if case.went_off():
            problems[case.name] = "fired"
        elif case.refusal and (case.refusal not in error or "refused to load" not in error or "\n" in error):
            problems[case.name] = error or "loaded"
        elif not case.refusal and error:
            problems[case.name] = error
    assert problems == {}


def test_torch_files(torch_corpus):
    """TorchScript is code (its calls checked from the archive's bytes, routed by its bytes whatever its name);
    a .pt2 archive whose pickles torch.export.load would unpickle without weights_only, or whose guards are code,
    is refused before torch opens it."""
    assert_contained([case for case in torch_corpus if case.family in ("torchscript", "pt2 archive")])


def test_trust_loads_torchscript(torch_corpus):
    """The payload is real: with --trust (and no sandbox, which would contain it) the scripted forward writes."""
    case = next(case for case in torch_corpus if case.name == "torchscript-from-file-in-forward")
    run, results = probe([case], "--trust", "--no-sandbox")
    try:
        assert results[case.text]["error"] is None and case.went_off()
    finally:
        case.arm()


def test_a_clean_pt2_still_loads(torch_corpus):
    clean = torch_corpus[0].path.parent / "clean.pt2"
    run, results = probe([hostile_loads.Case("clean", "pt2", clean, "")])
    assert run.returncode in (0, 1) and results[str(clean)]["error"] is None, run.stderr


def test_named_sources(torch_corpus):
    """A query option or a config setting that names a file is refused; a detection builder's ImageNet backbone
    is never fetched, so a poisoned torch hub cache (TORCH_HOME) is never read: the builder is built untouched."""
    assert_contained([case for case in torch_corpus if case.family == "named source"])


@pytest.mark.parametrize("options, refused", [
    ({"checkpoint_path": "/etc/passwd"}, ["checkpoint_path"]),
    ({"pretrained_cfg_overlay": "x", "weights_backbone": "DEFAULT"}, ["pretrained_cfg_overlay", "weights_backbone"]),
    ({"in_chans": "../x"}, ["in_chans"]),
    ({"num_classes": 0, "global_pool": "", "drop_path_rate": 0.1, "img_size": [224, 224], "weights_backbone": None}, []),
])
def test_option_allowlist(options, refused):
    from shapelint.adapters.private import option_refusals

    assert [why.split("=")[0] for why in option_refusals(options)] == refused


def test_config_allowlist():
    from shapelint.adapters.private import config_refusals

    assert config_refusals({"model_type": "vit", "use_cache": True, "pad_token_id": 1, "_name_or_path": "google/vit",
                            "id2label": {"0": "cat"}, "use_pretrained_backbone": True}) == []
    assert config_refusals({"model_args": {"checkpoint_path": "/x"}, "backbone_config": {"x": "https://e.com/w"},
                            "pretrained_cfg": {"file": "/etc/passwd"}}) == [
        "model_args.checkpoint_path='/x' is not an architecture setting",
        "backbone_config.x='https://e.com/w' names a host path or URL",
        "pretrained_cfg.file='/etc/passwd' names a host path or URL"]


def test_private_homes_are_empty_and_restored(monkeypatch, tmp_path):
    from shapelint.adapters.private import private_homes

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    with private_homes() as home:
        assert os.environ["TORCH_HOME"].startswith(home) and os.environ["HF_HUB_OFFLINE"] == "1"
        assert "KAGGLE_KEY" not in os.environ
    assert os.environ["TORCH_HOME"] == str(tmp_path) and os.environ["KAGGLE_KEY"] == "secret"


def test_kerashub_presets(kerashub_corpus):
    """The whole config.json keras_hub deserialises is checked (compile_config too), read inside the folder:
    a config.json that is a symlink out is refused, by the worker and by the parent hashing it for the cache."""
    assert_contained(kerashub_corpus)


def test_kerashub_preset_without_registered_name_is_refused(kerashub_corpus, tmp_path):
    """Without registered_name keras_hub picks its Transformers or timm converter instead of the Keras loader
    whose config was checked: refused."""
    import shutil

    folder = shutil.copytree(kerashub_corpus[0].path.parent / "clean", tmp_path / "unregistered")
    config = json.loads((folder / "config.json").read_text())
    del config["registered_name"]
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "bert"}))
    run, results = probe([hostile_loads.Case("unregistered", "kerashub", folder, "")])
    assert "not a keras_hub.models Backbone" in results[str(folder)]["error"]
    clean = kerashub_corpus[0].path.parent / "clean"
    run, results = probe([hostile_loads.Case("clean", "kerashub", clean, "")])
    assert results[str(clean)]["error"] is None, run.stderr


# --- ONNX: what an external-data location may name ------------------------------------------------------

def _onnx_with_external(folder: Path, name: str, location: str, where: str = "initializer") -> Path:
    """A one-Add model whose weight keeps its data at `location`: as an initializer, a sparse Constant
    attribute, or a training_info initializer."""
    import onnx
    from onnx import TensorProto, helper

    def external(tensor):
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", "0"), ("length", str(1 << 34))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        tensor.ClearField("raw_data")
        return tensor

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    weight = external(helper.make_tensor("w", TensorProto.FLOAT, [4], [1, 2, 3, 4]))
    nodes, initializers, training = [helper.make_node("Add", ["x", "w"], ["y"])], [], []
    if where == "initializer":
        initializers.append(weight)
    elif where == "sparse attribute":
        sparse = helper.make_sparse_tensor(weight, helper.make_tensor("i", TensorProto.INT64, [4], [0, 1, 2, 3]), [4])
        nodes.insert(0, helper.make_node("Constant", [], ["w"], sparse_value=sparse))
    else:
        initializers.append(helper.make_tensor("w", TensorProto.FLOAT, [4], [1, 2, 3, 4]))
        training.append(onnx.TrainingInfoProto(initialization=helper.make_graph([], "init", [], [], [weight])))
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], initializers),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    model.training_info.extend(training)
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, folder / name)
    return folder / name


@pytest.fixture(scope="session")
def onnx_hangs(tmp_path_factory):
    """Locations that never end when opened: ../ to /dev/zero, a symlinked folder into /dev, a FIFO."""
    pytest.importorskip("onnx")
    folder = tmp_path_factory.mktemp("onnx-hangs")
    (folder / "dev").symlink_to("/dev")
    os.mkfifo(folder / "fifo.bin")
    return [_onnx_with_external(folder, "dotdot.onnx", "../../../../../../../../dev/zero"),
            _onnx_with_external(folder, "symlink.onnx", "dev/zero"),
            _onnx_with_external(folder, "fifo.onnx", "fifo.bin")]


def test_onnx_external_data_that_never_ends_is_real(onnx_hangs):
    """What a plain reader of these locations gets: more bytes than the whole folder holds (it would read
    /dev/zero to the end of time), or a FIFO, on which a plain open() blocks."""
    folder = onnx_hangs[0].parent
    held = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    for location in ("../../../../../../../../dev/zero", "dev/zero"):
        with open(folder / location, "rb") as handle:
            assert len(handle.read(held + 1)) == held + 1
    assert (folder / "fifo.bin").is_fifo()


def test_onnx_external_data_that_never_ends_is_refused_by_both_processes(onnx_hangs):
    """The parent hashes each file for the cache key through the contained reader (regular files inside the
    folder only) and the worker refuses the location: one line each, exit 2, no hang."""
    run, results = probe([hostile_loads.Case(p.name, "onnx", p, "") for p in onnx_hangs])
    assert run.returncode == 2
    assert {Path(source).name: item["error"].split(": refused to load: ")[1] for source, item in results.items()} == {
        "dotdot.onnx": "tensor 'w' keeps its data at '../../../../../../../../dev/zero', outside the model's folder",
        "symlink.onnx": "tensor 'w' keeps its data at 'dev/zero', through a symlink",
        "fifo.onnx": "tensor 'w' keeps its data at 'fifo.bin', which is not a file beside the model"}


@pytest.mark.parametrize("where", ["sparse attribute", "training_info"])
def test_onnx_external_data_is_checked_everywhere_a_tensor_can_be(tmp_path, where):
    import onnx

    from shapelint.adapters.onnx import safety

    path = _onnx_with_external(tmp_path, "m.onnx", "../secret.bin", where)
    assert safety.refusals(onnx.load(path, load_external_data=False), tmp_path) == [
        "tensor 'w' keeps its data at '../secret.bin', outside the model's folder"]


# --- resource bombs --------------------------------------------------------------------------------------

BOMBS = r'''
import sys
import tensorflow as tf
import onnx
from onnx import TensorProto, helper

class Fill(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec((None, None, None, 3))])
    def __call__(self, x):
        return tf.reduce_mean(x, [1, 2]) + tf.reduce_sum(tf.fill([1 << 32], 1.0)) * 0  # 16 GiB of float32

tf.saved_model.save(Fill(), sys.argv[1] + "/fill")
nodes = [helper.make_node("ConstantOfShape", ["shape"], ["big"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
         helper.make_node("ReduceSum", ["big"], ["s"], keepdims=0),
         helper.make_node("ReduceMean", ["x"], ["m"], axes=[2, 3], keepdims=0),
         helper.make_node("Mul", ["s", "zero"], ["z"]), helper.make_node("Add", ["m", "z"], ["y"])]
graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
                          [helper.make_tensor("shape", TensorProto.INT64, [1], [1 << 32]),
                           helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, sys.argv[1] + "/constant_of_shape.onnx")
'''


def test_a_resource_bomb_is_an_error_that_says_so(tmp_path):
    """A 16 GiB tf.fill and a 16 GiB ConstantOfShape: exit 2, one line naming the resource limit, not a
    too-small input size (SL104) or a clean exit with no size that worked."""
    pytest.importorskip("onnx")
    subprocess.run([sys.executable, "-c", BOMBS, str(tmp_path)], check=True, capture_output=True, timeout=600,
                   env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    bombs = [tmp_path / "fill", tmp_path / "constant_of_shape.onnx"]
    run, results = probe([hostile_loads.Case(p.name, "bomb", p, "") for p in bombs])
    assert run.returncode == 2
    for path in bombs:
        error = results[str(path)]["error"]
        assert "hit a resource limit at 32x32" in error and "\n" not in error, error
        assert not results[str(path)]["findings"]


def test_pickles_are_streamed_with_a_cap(tmp_path, monkeypatch):
    """A torch.save zip whose data.pkl is larger than the cap is refused without reading it into memory."""
    import pickle
    import zipfile

    from shapelint.adapters.torch import pickles
    from shapelint.sources import SourceError

    with zipfile.ZipFile(tmp_path / "big.pt", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big/data.pkl", pickle.dumps(b"\0" * (2 << 20), protocol=4))
    pickles.refuse_unsafe_pickle(tmp_path / "big.pt", "big.pt")  # bytes only: nothing to refuse
    monkeypatch.setattr(pickles, "MAX_PICKLE_BYTES", 1 << 20)
    with pytest.raises(SourceError, match=r"refused to load: .*\(a pickle over 1 MiB\)"):
        pickles.refuse_unsafe_pickle(tmp_path / "big.pt", "big.pt")


# --- the sandbox: with an allowlist turned off, the kernel still holds the payload -----------------------

NETWORK_PAYLOAD = r'''
import sys
import torch

class Payload:
    def __reduce__(self):
        return (exec, (f"import socket; socket.create_connection(('127.0.0.1', {sys.argv[2]}), timeout=5)",))

torch.save(Payload(), sys.argv[1])
'''


def test_the_sandbox_contains_what_the_allowlists_let_through(torch_corpus, tmp_path):
    """--trust turns the TorchScript refusal off and --unsafe-load the pickle allowlist: in a confined worker the
    scripted forward still cannot write its file, __setstate__ cannot read the host file, and the pickle cannot
    connect to a listening TCP port; with --no-sandbox as well, each of them does."""
    import socket

    from shapelint.engine import sandbox

    if sandbox.abi() < 4:
        pytest.skip("this kernel has no Landlock network rules (ABI 4)")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    subprocess.run([sys.executable, "-c", NETWORK_PAYLOAD, str(tmp_path / "connect.pt"), str(port)], check=True,
                   capture_output=True, timeout=300)
    network = hostile_loads.Case("pickle-connects", "network", tmp_path / "connect.pt", "")
    cases = [c for c in torch_corpus if c.family == "torchscript"] + [network]

    def connected() -> bool:
        try:
            listener.accept()[0].close()
            return True
        except BlockingIOError:
            return False

    try:
        run, results = probe(cases, "--trust", "--unsafe-load")
        assert [case.name for case in cases if case.went_off()] == [] and not connected(), run.stderr
        assert "could not be confined" not in run.stderr
        run, results = probe(cases, "--trust", "--unsafe-load", "--no-sandbox")
        assert [case.name for case in cases if case.went_off()] == [c.name for c in cases[:-1]], run.stderr
        assert connected()
    finally:
        listener.close()
        for case in cases:
            case.arm()


def test_symlinks_out_of_cache_folders_are_not_followed(tmp_path, monkeypatch):
    """A Hugging Face cache whose refs/main links to a host file: the source does not resolve through it (the
    host file is not read). A result-cache entry that links to a host file is a miss, not a read."""
    from shapelint.engine.cache import Cache
    from shapelint.sources import SourceError, parse_source

    secret = tmp_path / "secret.txt"
    secret.write_text("abc123\n")
    repo = tmp_path / "hub" / "models--org--tiny"
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").symlink_to(secret)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    case = hostile_loads.Case("refs", "hf", None, "", reads=secret)
    case.arm()
    with pytest.raises(SourceError, match="not in the Hugging Face cache"):
        parse_source("hf:org/tiny")
    assert not case.went_off()

    cache = Cache(tmp_path / "cache")
    cache.put("ab" * 32, {"source": "x"})
    assert cache.get("ab" * 32) == {"source": "x"}
    entry = cache._path("ab" * 32)
    entry.unlink()
    entry.symlink_to(secret)
    case.arm()
    assert cache.get("ab" * 32) is None and not case.went_off()


def test_a_kernel_without_landlock_is_said_in_one_line(monkeypatch):
    from shapelint.engine import sandbox

    monkeypatch.setattr(sandbox, "abi", lambda: 0)
    line = sandbox.confine([], [])
    assert "cannot confine" in line and "allowlists alone" in line and "\n" not in line


@pytest.mark.parametrize("target, allowed", [
    ("torch.ops.aten.conv2d.default", True), ("_operator.getitem", True), ("math.floor", True),
    ("torch.ops.higher_order.cond", True), ("torch.ops.aten.from_file.default", False),
    ("torch.ops.aten.save.default", False), ("torch.save", False), ("torch.hub.load", False),
    ("torch.ops.higher_order.run_anything", False), ("torch.ops.mylib.custom.default", False),
    ("builtins.exec", False), ("torch.ops.aten.__class__", False),
])
def test_pt2_node_targets(target, allowed):
    from shapelint.adapters.torch import programs

    assert programs._allowed(target) is allowed


@pytest.mark.parametrize("guard, plain", [
    ("L['x'].size()[3] == L['x'].size()[2]", True), ("Eq(Mod(L['x'].size()[2], 2), 0)", True),
    ("2 <= L['x'].size()[2] <= 512", True), ("__import__('os').system('id')", False),
    ("(open('/tmp/x', 'w').close() or True)", False), ("L['x'].__class__.__bases__", False),
    ("[c for c in ()]", False), ("lambda: 0", False),
    ("torch.sym_max(1, L['x'].size()[3] // 8) > 1", True), ("torch.load('/etc/passwd')", False),
    ("torch.sym_max.__globals__", False),
])
def test_pt2_guards(guard, plain):
    from shapelint.adapters.torch import programs

    assert programs._plain_guard(guard) is plain


SCRIPTED = r'''
import sys, warnings
import timm, torch, torchvision
warnings.simplefilter("ignore")
for name, model in [("resnet18", timm.create_model("resnet18")), ("vit", timm.create_model("vit_tiny_patch16_224")),
                    ("mobilenet", torchvision.models.mobilenet_v3_small())]:
    torch.jit.script(model.eval()).save(f"{sys.argv[1]}/{name}.pt")
'''


def test_scripted_models_pass_the_torchscript_check(tmp_path, torch_corpus):
    """The false-refusal side: timm and torchvision models scripted whole call only allowed operators."""
    from shapelint.adapters.torch import torchscript

    subprocess.run([sys.executable, "-c", SCRIPTED, str(tmp_path)], check=True, capture_output=True, timeout=600)
    assert {p.name: torchscript.refusals(p) for p in sorted(tmp_path.glob("*.pt"))} == {
        "mobilenet.pt": [], "resnet18.pt": [], "vit.pt": []}
    hostile = next(c for c in torch_corpus if c.name == "torchscript-setstate-reads-host-file")
    assert torchscript.refusals(hostile.path) == ["calls torch.from_file (aten::from_file reads or writes a file)"]
