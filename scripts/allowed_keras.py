"""Write shapelint/adapters/tensorflow/allowed_keras.json: what a Keras model config may name by default.

    python scripts/allowed_keras.py            rewrite the list from the installed Keras 3 and tf_keras
    python scripts/allowed_keras.py --check    exit 1 if the list in the package differs (review the diff)
    python scripts/allowed_keras.py --sweep    also check the config of every keras.applications model
                                               (Keras 3 and tf_keras) against the new list, and report

Classes come from Keras's own modelling modules only: layers, models, optimizers (and schedules),
losses, metrics, initializers (and TensorFlow's own, which tf_keras applications name), regularizers,
constraints, dtype policies; the layers the application
modules define for themselves (LayerScale, ...); the keras.ops operations a functional model records
(`x + y` is keras.src.ops.numpy.Add); Functional. Each class is listed with every module string a
config may give for it (the public module Keras 3 writes, its defining module, and the keras.* name
tf_keras writes for its own classes). Functions: the module-level functions of activations, losses
and metrics. tf_symbols: what a tf_keras TFOpLambda may call (tf.math, tf.nn, ... and the top-level
array and math ops). Anything whose constructor or call takes a file, path, URL, directory or a
Python callable is dropped, and so is whatever REVIEWED_OUT names.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "shapelint" / "adapters" / "tensorflow" / "allowed_keras.json"
MODULES = ("layers", "models", "optimizers", "optimizers.schedules", "losses", "metrics", "initializers",
           "regularizers", "constraints", "dtype_policies", "mixed_precision", "quantizers")
TOP_LEVEL = ("Sequential", "Model", "DTypePolicy", "Functional")
FUNCTION_MODULES = ("activations", "losses", "metrics")
OPS_MODULES = ("numpy", "nn", "math", "image", "linalg", "core")
REVIEWED_OUT = {
    "Lambda": "runs a Python function",
    "TFSMLayer": "loads a SavedModel from a path",
    "JaxLayer": "runs a Python function", "FlaxLayer": "runs a Python module",
    "TorchModuleWrapper": "unpickles a torch module",
    "MeanMetricWrapper": "added by hand below: its fn is checked",
    "InstanceMethod": "calls any method by name", "InstanceProperty": "reads any attribute by name",
    "ClassMethod": "calls any class method by name",
}
NOT_FUNCTIONS = {"get", "serialize", "deserialize"}
# Markers Keras writes in configs for values that are not objects (tensors, numpy arrays, slices).
MARKERS = ["__bytes__", "__ellipsis__", "__keras_tensor__", "__numpy__", "__slice__", "__tensor__", "__typespec__"]
TF_NAMESPACES = ("math", "nn", "image", "linalg", "signal", "bitwise")
TF_PURE_MODULES = re.compile(r"tensorflow\.python\.ops\.(array_ops|array_ops_stack|math_ops|nn_ops|nn_impl|clip_ops|"
                             r"special_math_ops|linalg_ops|sort_ops|manip_ops|gen_array_ops|gen_math_ops|gen_nn_ops|"
                             r"image_ops_impl|bitwise_ops|sparse_ops|check_ops|numpy_ops\.np_math_ops)$")
REVIEWED_IN = {"drop_path_rate"}  # a probability, not a path
HOST = re.compile(r"(file|path|url|uri|dir|pattern|logdir|origin|^f$|^fn$|_fn$|^function$|^body$|^cond$|callback)", re.I)


def takes_host_or_code(obj) -> list[str]:
    """Parameter names of a class's constructor and call, or of a function, that suggest a path or code."""
    targets = [obj.__init__, getattr(obj, "call", None)] if isinstance(obj, type) else [obj]
    names = []
    for target in targets:
        try:
            names += [p for p in inspect.signature(target).parameters if HOST.search(p) and p not in REVIEWED_IN]
        except (TypeError, ValueError):
            pass
    return names


def _classes(module):
    return [(n, c) for n, c in vars(module).items() if isinstance(c, type) and not n.startswith("_")]


def _defined_in(package: str, base: type):
    """Classes subclassing `base` that modules under `package` define themselves."""
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # an optional dependency of one module
            continue
        for name, cls in _classes(module):
            if cls.__module__ == module.__name__ and issubclass(cls, base):
                yield name, cls


def build() -> dict:
    from shapelint.adapters.tensorflow.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras
    import tf_keras

    classes: dict[str, set[str]] = {}
    dropped: dict[str, str] = {}

    def add(name, cls, *modules):
        reason = REVIEWED_OUT.get(name) or (f"takes {', '.join(takes_host_or_code(cls))}" if takes_host_or_code(cls) else None)
        if reason:
            dropped[name] = reason
            return
        classes.setdefault(name, set()).update({*modules, cls.__module__})
        for registered in (keras.saving.get_registered_name(cls), tf_keras.saving.get_registered_name(cls)):
            if registered != name:
                classes.setdefault(registered, set()).update({*modules, cls.__module__})

    for package, public in ((keras, "keras"), (tf_keras, "tf_keras")):
        for sub in MODULES:
            try:
                module = importlib.import_module(f"{package.__name__}.{sub}")
            except ImportError:
                continue
            for name, cls in _classes(module):
                add(name, cls, f"keras.{sub}", f"{public}.{sub}")
        for name in TOP_LEVEL:
            cls = getattr(package, name, None) or getattr(getattr(package, "models", None), name, None)
            if isinstance(cls, type):
                add(name, cls, "keras", public)
    add("Functional", keras.src.models.functional.Functional)
    add("Functional", tf_keras.src.engine.functional.Functional)
    for name, cls in _defined_in("keras.src.applications", keras.layers.Layer):
        add(name, cls)
    for name, cls in _defined_in("tf_keras.src.applications", tf_keras.layers.Layer):
        add(name, cls)
    from keras.src.ops.operation import Operation

    for sub in OPS_MODULES:
        module = importlib.import_module(f"keras.src.ops.{sub}")
        for name, cls in _classes(module):
            if cls.__module__ == module.__name__ and issubclass(cls, Operation):
                add(name, cls)
    from tensorflow.python.ops import init_ops_v2  # tf.constant_initializer & co., which tf_keras configs name

    for name, cls in _classes(init_ops_v2):
        if issubclass(cls, init_ops_v2.Initializer) and cls.__module__ == init_ops_v2.__name__:
            add(name, cls)
    from tf_keras.src.layers.core import tf_op_layer

    for name in ("TFOpLambda", "SlicingOpLambda"):  # their `function` is checked against tf_symbols
        classes.setdefault(name, set()).add(tf_op_layer.__name__)
    for package in (keras, tf_keras):  # compiled metrics: its `fn` is checked against the functions
        cls = package.metrics.MeanMetricWrapper
        classes.setdefault("MeanMetricWrapper", set()).update({"keras.metrics", f"{package.__name__}.metrics", cls.__module__})
    dropped.pop("MeanMetricWrapper", None)

    functions: dict[str, set[str]] = {}
    for package in ("keras", "tf_keras"):
        for sub in FUNCTION_MODULES:
            module = importlib.import_module(f"{package}.{sub}")
            for name, fn in vars(module).items():
                if inspect.isfunction(fn) and not name.startswith("_") and name not in NOT_FUNCTIONS:
                    if takes_host_or_code(fn):
                        dropped[f"{sub}.{name}"] = f"takes {', '.join(takes_host_or_code(fn))}"
                        continue
                    functions.setdefault(name, set()).update({f"keras.{sub}", f"{package}.{sub}", fn.__module__, "builtins"})

    tf_symbols = set()
    for namespace in TF_NAMESPACES:
        for name, fn in vars(getattr(tf, namespace)).items():
            if callable(fn) and not name.startswith("_") and not isinstance(fn, type):
                tf_symbols.add(f"{namespace}.{name}")
    for name, fn in vars(tf).items():
        if callable(fn) and not name.startswith("_") and TF_PURE_MODULES.match(getattr(fn, "__module__", "") or ""):
            tf_symbols.add(name)
    tf_symbols = {s for s in tf_symbols if not any(HOST.search(p) for p in _parameters(tf, s))}
    return {
        "about": "Generated by scripts/allowed_keras.py from Keras 3 and tf_keras; review the diff when regenerating.",
        "keras": keras.__version__, "tf_keras": tf_keras.__version__,
        "classes": {name: sorted(modules) for name, modules in sorted(classes.items())},
        "functions": {name: sorted(modules) for name, modules in sorted(functions.items())},
        "markers": MARKERS,
        "tf_symbols": sorted(tf_symbols),
        "tf_operators": "__operators__.*: Python operators on tensors (add, getitem, ...), pure",
        "dropped": dict(sorted(dropped.items())),
    }


def _parameters(tf, symbol: str) -> list[str]:
    obj = tf
    for part in symbol.split("."):
        obj = getattr(obj, part)
    try:
        return list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return []


def sweep(data: dict) -> int:
    """Check every keras.applications config (Keras 3 and tf_keras, no weights) against the new list."""
    from _applications import sweep_applications

    from shapelint.adapters.tensorflow import kerasscan

    kerasscan.allowed.cache_clear()
    return sweep_applications(lambda model: kerasscan.unsafe_objects(json.loads(model.to_json())),
                              "configs checked", "refused")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    data = build()
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if args.check:
        current = json.loads(OUT.read_text()) if OUT.exists() else {}
        if {k: current.get(k) for k in ("classes", "functions", "tf_symbols")} != \
                {k: data[k] for k in ("classes", "functions", "tf_symbols")}:
            print(f"{OUT} is stale: run python scripts/allowed_keras.py and review the diff", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"{len(data['classes'])} classes, {len(data['functions'])} functions, {len(data['tf_symbols'])} tf symbols; "
          f"{len(data['dropped'])} dropped on review; written to {OUT}")
    return sweep(data) if args.sweep else 0


if __name__ == "__main__":
    sys.exit(main())
