"""A hostile corpus for the PyTorch, Hugging Face, KerasHub and ONNX paths, built at test time.

Each Case is a SOURCE string given to shapelint and the load an unsuspecting user would make, `fire`,
run with `path` (the source's file or folder, or None) bound in a fresh interpreter with the case's `env`.
Evidence as in hostile.py: a file the payload writes, or a host file it reads (its access time moves).
Used by tests/test_load_safety.py and benchmarks/scan_compare.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hostile import Case as _Evidence


@dataclass(frozen=True)
class Case(_Evidence):
    source: str = ""  # what shapelint is given (path when empty)
    env: dict = field(default_factory=dict, hash=False)  # what the direct load sees (a poisoned cache)
    prelude: str = ""  # imports the direct load needs

    @property
    def text(self) -> str:
        return self.source or str(self.path)


def fired(cases: list[Case]) -> dict[str, bool]:
    """Load every case directly, without shapelint, one fresh interpreter per distinct env; which went off."""
    for case in cases:
        case.arm()
    driver = (
        "import json, os, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "for name, path, prelude, code in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        exec(prelude + '\\n' + code, {'path': path})\n"
        "    except BaseException as exc:\n"
        "        print(name, type(exc).__name__, str(exc)[:200], file=sys.stderr)\n"
    )
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(json.dumps(case.env, sort_keys=True), []).append(case)
    for env, group in groups.items():
        payload = json.dumps([(c.name, str(c.path) if c.path else None, c.prelude, c.fire) for c in group])
        subprocess.run([sys.executable, "-c", driver, payload], capture_output=True, text=True, timeout=600,
                       env={**os.environ, "KERAS_BACKEND": "tensorflow", **json.loads(env)})
    result = {case.name: case.went_off() for case in cases}
    for case in cases:
        case.arm()
    return result


def _run(script: str, out: Path, *args) -> None:
    """Build in a fresh interpreter (torch after TensorFlow, another test's, crashes the process), from a file:
    torch.jit.script reads the source of what it compiles."""
    builder = out.parent / f"{out.name}-build.py"
    builder.write_text(script)
    run = subprocess.run([sys.executable, str(builder), str(out), *map(str, args)], capture_output=True, text=True,
                         timeout=600)
    if run.returncode:
        raise RuntimeError(run.stderr[-2000:])


# --- PyTorch files -------------------------------------------------------------------------------------

TORCH_BUILD = r'''
import io, sys, warnings, zipfile
from pathlib import Path
import torch
warnings.simplefilter("ignore")
out, fired, secret = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

class FromFile(torch.nn.Module):
    """forward maps a file shared and writes into it: aten::from_file(shared=True) creates it."""
    def __init__(self, target: str):
        super().__init__()
        self.target = target
    def forward(self, x):
        t = torch.from_file(self.target, shared=True, size=4, dtype=torch.uint8)
        t.fill_(65)
        return x.mean((2, 3)) + t.float().sum() * 0

class SetState(torch.nn.Module):
    """__setstate__ runs during torch.jit.load, before any call: it reads a host file."""
    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret
        self.n = 0
    def forward(self, x):
        return x.mean((2, 3)) + self.n
    @torch.jit.export
    def __getstate__(self):
        return (self.secret, self.training)
    @torch.jit.export
    def __setstate__(self, state: tuple[str, bool]):
        self.secret = state[0]
        self.training = state[1]
        self.n = int(torch.from_file(self.secret, shared=False, size=1, dtype=torch.uint8)[0])

torch.jit.script(FromFile(str(fired / "torchscript_from_file"))).save(out / "from_file.pt")
torch.jit.script(FromFile(str(fired / "torchscript_weights_name"))).save(out / "weights.pth")
torch.jit.script(SetState(secret)).save(out / "setstate.pt")

class Payload:
    def __init__(self, marker):
        self.marker = marker
    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))

def pickled(marker):
    buffer = io.BytesIO()
    torch.save(Payload(str(marker)), buffer)
    return buffer.getvalue()

net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()).eval()
torch.export.save(torch.export.export(net, (torch.zeros(1, 3, 8, 8),)), out / "clean.pt2")

def rewrite(name, replace):
    """A copy of clean.pt2 with some entries replaced (and added)."""
    with zipfile.ZipFile(out / "clean.pt2") as source, zipfile.ZipFile(out / name, "w") as target:
        entries = {n: source.read(n) for n in source.namelist()}
        entries.update(replace(entries))
        for entry, data in entries.items():
            target.writestr(entry, data)

top = zipfile.ZipFile(out / "clean.pt2").namelist()[0].split("/")[0]
rewrite("sample_inputs.pt2", lambda e: {f"{top}/data/sample_inputs/model.pt": pickled(fired / "pt2_sample_inputs")})

def weights(e):
    key = f"{top}/data/weights/model_weights_config.json"
    config = __import__("json").loads(e[key])
    first = next(iter(config["config"].values()))
    first["use_pickle"] = True
    return {key: __import__("json").dumps(config), f"{top}/data/weights/{first['path_name']}": pickled(fired / "pt2_weights")}
rewrite("use_pickle.pt2", weights)

import pickle
def opaque(e):
    config = {"config": {"evil": {"path_name": "opaque_obj_0", "is_param": False, "use_pickle": True, "tensor_meta": None}}}
    return {f"{top}/data/constants/model_constants_config.json": __import__("json").dumps(config),
            f"{top}/data/constants/opaque_obj_0": pickle.dumps(Payload(str(fired / "pt2_opaque")))}
rewrite("opaque.pt2", opaque)

def guards(e):
    """A guard expression is exec'd into the module's forward by ExportedProgram.module()."""
    key = f"{top}/models/model.json"
    program = __import__("json").loads(e[key])
    program["guards_code"] = [f"(open({str(fired / 'pt2_guard')!r}, 'w').close() or True)"]
    return {key: __import__("json").dumps(program)}
rewrite("guards.pt2", guards)

# a torch hub cache with a poisoned copy of the ImageNet ResNet-50 that the detection builders download
# for their backbone when weights_backbone is left at its default
from torchvision.models import ResNet50_Weights
hub = out / "torch_home" / "hub" / "checkpoints"
hub.mkdir(parents=True)
(hub / Path(ResNet50_Weights.IMAGENET1K_V1.url).name).write_bytes(pickled(fired / "torch_hub_cache"))
'''

JIT = "import torch"


def torch_cases(out: Path, host: Path, fired: Path) -> list[Case]:
    out.mkdir(parents=True, exist_ok=True)
    secret = host / "torch_secret.txt"
    secret.write_text("host-secret\n")
    _run(TORCH_BUILD, out, fired, secret)
    call = "torch.jit.load(path)(torch.zeros(1, 3, 8, 8))"
    export = "torch.export.load(path)"
    home = {"TORCH_HOME": str(out / "torch_home")}
    config = out / "timm_wrapper"
    config.mkdir(exist_ok=True)
    (config / "config.json").write_text(json.dumps({
        "model_type": "timm_wrapper", "architecture": "resnet18", "num_classes": 0,
        "model_args": {"checkpoint_path": str(secret)}}))
    linked_secret = host / "hf_config.json"
    linked_secret.write_text(json.dumps({"model_type": "vit", "hidden_size": 32, "num_hidden_layers": 1,
                                         "num_attention_heads": 2, "intermediate_size": 37, "image_size": 32,
                                         "patch_size": 8}))
    linked = out / "hf_symlinked"
    linked.mkdir(exist_ok=True)
    (linked / "config.json").symlink_to(linked_secret)
    return [
        Case("torchscript-from-file-in-forward", "torchscript", out / "from_file.pt", call, prelude=JIT,
             writes=fired / "torchscript_from_file", refusal="TorchScript is code"),
        Case("torchscript-setstate-reads-host-file", "torchscript", out / "setstate.pt", "torch.jit.load(path)",
             prelude=JIT, reads=secret, refusal="TorchScript is code"),
        Case("torchscript-named-weights.pth", "torchscript", out / "weights.pth", call, prelude=JIT,
             writes=fired / "torchscript_weights_name", refusal="TorchScript is code"),
        Case("pt2-sample-inputs-pickle", "pt2 archive", out / "sample_inputs.pt2", export, prelude=JIT,
             writes=fired / "pt2_sample_inputs", refusal="exec)"),
        Case("pt2-use-pickle-weight", "pt2 archive", out / "use_pickle.pt2", export, prelude=JIT,
             writes=fired / "pt2_weights", refusal="exec)"),
        Case("pt2-opaque-constant", "pt2 archive", out / "opaque.pt2", export, prelude=JIT,
             writes=fired / "pt2_opaque", refusal="pickled Python object"),
        Case("pt2-guard-code", "pt2 archive", out / "guards.pt2", "torch.export.load(path).module()(torch.zeros(1, 3, 8, 8))",
             prelude=JIT, writes=fired / "pt2_guard", refusal="is code, not a size check"),
        Case("timm-checkpoint-path-option", "named source", None, "timm.create_model('resnet18', "
             f"checkpoint_path={str(secret)!r})", prelude="import timm", reads=secret,
             source=f"timm:resnet18?checkpoint_path={secret}", refusal="checkpoint_path"),
        Case("torchvision-backbone-from-poisoned-hub-cache", "named source", None,
             "torchvision.models.get_model('fasterrcnn_resnet50_fpn', weights=None)", prelude="import torchvision",
             env=home, writes=fired / "torch_hub_cache", source="torchvision:fasterrcnn_resnet50_fpn", refusal=""),
        Case("hf-timm-wrapper-checkpoint-path", "named source", config,
             "transformers.AutoModel.from_config(transformers.AutoConfig.from_pretrained(path))",
             prelude="import transformers", reads=secret, source=f"hf:{config}", refusal="checkpoint_path"),
        Case("hf-config-symlink-to-host-file", "named source", linked, "transformers.AutoConfig.from_pretrained(path)",
             prelude="import transformers", reads=linked_secret, source=f"hf:{linked}", refusal="symlink"),
    ]


# --- KerasHub presets -----------------------------------------------------------------------------------

KERASHUB_BUILD = r'''
import sys, warnings
warnings.simplefilter("ignore")
import keras_hub
keras_hub.models.ResNetBackbone(input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64],
                                stackwise_num_blocks=[1], stackwise_num_strides=[1], block_type="basic_block",
                                image_shape=(None, None, 3)).save_to_preset(sys.argv[1] + "/clean")
'''
PRESET = "import keras_hub"
FROM_PRESET = "keras_hub.models.Backbone.from_preset(path, load_weights=False)"


def kerashub_cases(out: Path, host: Path) -> list[Case]:
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    builder = out.parent / f"{out.name}-build.py"
    builder.write_text(KERASHUB_BUILD)
    subprocess.run([sys.executable, str(builder), str(out)], check=True, capture_output=True, env=env, timeout=600)
    clean = out / "clean"
    config = json.loads((clean / "config.json").read_text())
    # compile_config: keras_hub deserialises the whole file, and compiling builds a tokenizer that reads its
    # special tokens from a host file
    secret = host / "special_tokens.json"
    secret.write_text('{"<|endoftext|>": 0}')
    tokenizer = {"module": "keras_hub.src.models.whisper.whisper_tokenizer", "class_name": "WhisperTokenizer",
                 "registered_name": "keras_hub>WhisperTokenizer",
                 "config": {"vocabulary": {"a": 0, "b": 1}, "merges": ["a b"], "special_tokens": str(secret)}}
    compiled = shutil.copytree(clean, out / "compile_config")
    (compiled / "config.json").write_text(json.dumps({**config, "compile_config": {"optimizer": "adam",
                                                                                   "loss": tokenizer}}))
    # config.json a symlink to a host file (a valid config, so the direct load reads it whole)
    linked_secret = host / "linked_config.json"
    linked_secret.write_text(json.dumps(config))
    linked = shutil.copytree(clean, out / "symlinked_config")
    (linked / "config.json").unlink()
    (linked / "config.json").symlink_to(linked_secret)
    return [
        Case("kerashub-compile-config-tokenizer-reads-host-file", "kerashub", compiled, FROM_PRESET, prelude=PRESET,
             reads=secret, refusal="host path"),
        Case("kerashub-config-symlink-to-host-file", "kerashub", linked, FROM_PRESET, prelude=PRESET,
             reads=linked_secret, refusal="symlink"),
    ]
