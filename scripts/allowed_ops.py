"""Write shapelint/adapters/tensorflow/allowed_ops.json: the TensorFlow ops a SavedModel may hold by default.

    python scripts/allowed_ops.py            rewrite the list from this TensorFlow's op registry
    python scripts/allowed_ops.py --check    exit 1 if the list in the package differs (review the diff)
    python scripts/allowed_ops.py --sweep    also trace every keras.applications model (Keras 3 and tf_keras)
                                             and report any op its graph holds that the list does not allow

The list is built by category: every op TensorFlow registers is attributed to the generated Python
module that wraps it (gen_math_ops, gen_nn_ops, ...). Whole categories of pure computation are taken
(math, nn, arrays, images, linear algebra, random numbers, strings, control flow, variables, tables);
the mixed ones contribute named ops only (TensorArrays from data_flow, Assert from logging). Then
anything with an attr or input named like a file, directory, path, URL, pattern or log dir is
dropped, and so are the few ops REVIEWED_OUT names. Checkpoint and text-file ops are not in
"anywhere": they are allowed only in the places opscan checks (the saver's save and restore paths,
a table initialiser reading a file of the SavedModel's own assets/).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "shapelint" / "adapters" / "tensorflow" / "allowed_ops.json"

# Generated op modules whose every op is pure computation on tensors in memory.
CATEGORIES = (
    "math", "nn", "array", "manip", "image", "linalg", "spectral", "special_math", "bitwise", "random",
    "stateless_random", "stateless_random_v2", "stateful_random", "random_index_shuffle", "control_flow",
    "functional", "resource_variable", "state", "string", "lookup", "list", "map", "sparse", "set",
    "ragged_array", "ragged_conversion", "ragged_math", "parsing", "count", "rnn", "cudnn_rnn", "ctc",
    "training", "uniform_quant", "composite_tensor", "optional", "audio",
)
# Mixed modules: only these ops (data_flow also holds queues, barriers, staging areas and RecordInput).
NAMED = {
    "data_flow": re.compile(r"^(TensorArray\w*|DynamicPartition|(Parallel)?DynamicStitch|Stack(V2|PushV2|PopV2|CloseV2))$"),
    "logging": re.compile(r"^Assert$"),
    # tf_keras saves a preprocessing layer's adapt step: it reads the next batch of an iterator it is handed
    # (making one from files takes dataset ops, which stay off the list)
    "dataset": re.compile(r"^IteratorGetNext(Sync)?$"),
}
# Ops of the taken categories that still leave the process or the tensor world.
REVIEWED_OUT = {
    "RemoteCall": "runs a function on another device or task",
    "ImmutableConst": "maps a file into memory (memory_region_name)",
    "Abort": "ends the process: one model would end the whole run",
    "InitializeTableFromDataset": "runs a tf.data pipeline",
    "SymbolicGradient": "differentiates a function by name at run time; no model needs it to load",
    "DecodeProtoV2": "descriptor_source may name a file",
    "EncodeProto": "descriptor_source may name a file",
}
# Ops whose host-like attr or input name was reviewed and names no host: a regular expression is not a path
# (TextVectorization's standardize and split use these).
REVIEWED_IN = {
    "RegexFullMatch": "pattern is a regular expression over the input strings",
    "RegexReplace": "pattern is a regular expression over the input strings",
    "StaticRegexReplace": "pattern is a regular expression over the input strings",
}
# StaticRegexFullMatch: TF2 save functions test the prefix for "^s3://.*" (its attr is named pattern).
SAVE_PATH = ["MergeV2Checkpoints", "Save", "SaveSlices", "SaveV2", "ShardedFilename", "ShardedFilespec", "StaticRegexFullMatch"]
RESTORE_PATH = ["Restore", "RestoreSlice", "RestoreV2"]
# Table initialisers that read a text file: allowed when their `filename` input (its index here; build()
# checks the name) is one of the SavedModel's assets.
ASSET_READERS = {"InitializeTableFromTextFile": 1, "InitializeTableFromTextFileV2": 1}
# A name suggesting the host: a whole word of the attr or input name (so "direction" is not "dir").
HOST_WORD = re.compile(r"(file|path|url|pattern|logdir|directory)", re.I)
HOST_TOKENS = {"dir", "dirs", "prefix", "stream", "db", "uri"}


def host_names(op_def) -> list[str]:
    """Attr and input names of an OpDef that suggest a file, directory, path, URL, pattern or log dir."""
    names = [a.name for a in op_def.attr] + [a.name for a in op_def.input_arg]
    return [n for n in names if HOST_WORD.search(n) or set(n.lower().split("_")) & HOST_TOKENS]


def registry():
    """Every OpDef this TensorFlow registers, by name."""
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session as c

    buffer = c.TF_GetAllOpList()
    try:
        ops = op_def_pb2.OpList.FromString(c.TF_GetBuffer(buffer))
    finally:
        c.TF_DeleteBuffer(buffer)
    return {op.name: op for op in ops.op}


def categories(names) -> dict[str, str]:
    """Op name -> category: the gen_<category>_ops module whose wrapper exposes it."""
    import tensorflow.python.ops as ops_package

    found = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(ops_package.__path__)):
        match = re.fullmatch(r"gen_(\w+?)_ops(_v\d+)?", module)  # gen_stateless_random_ops_v2: stateless_random_v2
        if not match:
            continue
        try:
            wrapper = importlib.import_module(f"tensorflow.python.ops.{module}")
        except Exception:  # a wrapper for a kernel this build lacks
            continue
        for name in names:
            if hasattr(wrapper, name):
                found.setdefault(name, match.group(1) + (match.group(2) or ""))
    return found


def build() -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    ops = registry()
    for name, index in ASSET_READERS.items():
        assert ops[name].input_arg[index].name == "filename", name
    category = categories(ops)
    anywhere: dict[str, list[str]] = {}
    dropped = {}
    for name in sorted(ops):
        group = category.get(name)
        taken = group in CATEGORIES or (group in NAMED and NAMED[group].match(name))
        if not taken or name in SAVE_PATH + RESTORE_PATH or name in ASSET_READERS:
            continue
        host = host_names(ops[name]) if name not in REVIEWED_IN else []
        reason = REVIEWED_OUT.get(name) or (f"takes {', '.join(host)}" if host else None)
        if reason:
            dropped[name] = reason
            continue
        anywhere.setdefault(group, []).append(name)
    return {
        "about": "Generated by scripts/allowed_ops.py from the TensorFlow op registry; review the diff when regenerating.",
        "tensorflow": tf.__version__,
        "anywhere": anywhere,
        "save_path": SAVE_PATH,
        "restore_path": RESTORE_PATH,
        "asset_readers": ASSET_READERS,
        "dropped": dropped,
        "reviewed_in": REVIEWED_IN,
    }


def sweep(data: dict) -> int:
    """Trace every keras.applications model (no weights, one 224x224 batch) and check its graph's ops, nested
    functions included, against the ops allowed anywhere; what saving adds (save/restore) is checked by tests."""
    import tensorflow as tf
    from _applications import sweep_applications

    allowed = {op for ops in data["anywhere"].values() for op in ops}

    def off_the_list(model):
        size = model.input_shape[1] or 224
        graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(
            tf.TensorSpec((1, size, size, 3))).graph.as_graph_def()
        ops = {n.op for n in graph.node} | {n.op for f in graph.library.function for n in f.node_def}
        ops -= {f.signature.name for f in graph.library.function}
        return sorted(ops - allowed)

    return sweep_applications(off_the_list, "graphs traced", "hold ops off the list")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    text = json.dumps(build(), indent=1, sort_keys=True) + "\n"
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if json.loads(current or "{}").get("anywhere") != json.loads(text)["anywhere"]:
            print(f"{OUT} is stale: run python scripts/allowed_ops.py and review the diff", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    data = json.loads(text)
    print(f"{sum(map(len, data['anywhere'].values()))} ops allowed anywhere in {len(data['anywhere'])} categories; "
          f"{len(data['dropped'])} dropped on review; written to {OUT}")
    return sweep(data) if args.sweep else 0


if __name__ == "__main__":
    sys.exit(main())
