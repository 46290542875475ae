"""Source -> Inspection. SavedModels and Hub modules are read as data (savedmodel_proto): nothing is
restored or run. Other sources are loaded by their adapter and described by what it can say."""

from __future__ import annotations

import math
from dataclasses import replace

from ...errors import one_line
from ...records.backbone import InputSpec
from ...records.inner_pooling import TAIL_LENGTH, analyse_output, unpooled
from ...records.inspection import Inspection, LayerGroup, OutputAnalysis, Variables, probe_endpoint, usage_note
from ...sources import Source, SourceError, parse_source
from . import opscan
from . import savedmodel_proto as sp
from .traced_functions import plain_functions

KERAS_POOLING = {"GlobalAveragePooling2D": "mean", "GlobalMaxPooling2D": "max"}
STRIDED_OPS = ("Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool", "FusedPadConv2D", "FusedResizeAndPadConv2D")


def inspect_source(text: str, unsafe: bool = False) -> Inspection:
    """Inspect one SOURCE; a source that cannot be read comes back as an Inspection with a one-line error."""
    try:
        source = parse_source(text)
        if source.kind in ("savedmodel", "hub"):
            return inspect_savedmodel(source.location, text, source.kind)
        return inspect_loaded(source, unsafe)
    except SourceError as exc:
        return Inspection(text, error=str(exc))
    except Exception as exc:  # an adapter bug or a model we cannot read: reported, not raised
        return Inspection(text, error=f"{text}: {one_line(exc)}")


def inspect_savedmodel(path: str, name: str, kind: str) -> Inspection:
    proto = sp.read(path)
    found = sp.endpoints(proto)
    chosen = probe_endpoint(found)
    spec, outputs = None, ()
    if chosen is not None:
        image = chosen.image_input
        spec = InputSpec.from_shape(image.shape, image.dtype)
        functions = plain_functions(proto, [chosen.function])
        outputs = tuple(analyse_output(functions, chosen.function, i, t.name, t.dtype, t.shape)
                        for i, t in enumerate(chosen.outputs))
    saved = sp.variables(proto)
    counts = _count([v.shape for v in saved.variables], [v.shape for v in saved.variables if v.trainable])
    fine_tunable, reason = _fine_tuning(found, saved)
    notes = ["read from saved_model.pb: nothing was loaded or executed"]
    if chosen is None:
        notes.append("no endpoint takes one image tensor (N, H, W, C); the probe cannot use this module")
    layers = layer_groups(saved.variables, _halvings(proto, chosen.function) if chosen else [])
    inspection = Inspection(name, kind, tuple(found), chosen.name if chosen else None,
                            chosen.function if chosen else None, spec, sp.declared_range(proto, path), outputs,
                            counts, fine_tunable, reason, notes=tuple(notes), suspicious=opscan.scan(proto, path),
                            layers=layers)
    return replace(inspection, usage=usage_note(inspection, name))


def layer_groups(variables, halvings: list[tuple[str, int]]) -> tuple[LayerGroup, ...]:
    """Variables grouped by their name up to the last '/', in the module's order; each halving op (its node
    name, its stride) is given to the group whose name is a part of the op's name path, the longest first."""
    groups: dict[str, list] = {}
    for v in variables:
        prefix, _, leaf = v.name.rpartition("/")
        groups.setdefault(prefix or leaf, []).append((leaf if prefix else v.name, tuple(v.shape), v.trainable))
    by_length = sorted(groups, key=len, reverse=True)
    strides, total = {}, 1
    for op_name, factor in halvings:
        owner = next((g for g in by_length if f"/{g}/" in f"/{op_name}/"), None)
        total *= factor
        if owner is not None:
            strides[owner] = total
    return tuple(LayerGroup(name, tuple(items), sum(_params(shape) for _, shape, _ in items), strides.get(name))
                 for name, items in groups.items())


def _halvings(proto, root: str) -> list[tuple[str, int]]:
    """(node name, stride) of every op that shrinks the spatial size (a convolution or pooling with a stride
    above 1), in the order the traced function runs them, calls followed where they happen."""
    library, found, seen = sp.function_library(proto), [], set()

    def walk(name: str) -> None:
        if name in seen or name not in library:
            return
        seen.add(name)
        for node in library[name].node_def:
            strides = list(node.attr["strides"].list.i) if "strides" in node.attr else []
            if len(strides) == 4 and node.op in STRIDED_OPS:
                channels_first = node.attr["data_format"].s == b"NCHW" if "data_format" in node.attr else False
                factor = max(strides[2:] if channels_first else strides[1:3])
                if factor > 1:
                    found.append((node.name, factor))
            for callee in sp.callees(node, library):
                walk(callee)

    walk(root)
    return found


def _params(shape) -> int:
    return math.prod(d for d in shape if d is not None) if shape else 1


def _count(shapes, trainable_shapes) -> Variables:
    """Variables and parameters from the shapes of all variables and of the trainable ones."""
    return Variables(len(shapes), len(trainable_shapes), sum(map(_params, shapes)), sum(map(_params, trainable_shapes)))


def _fine_tuning(found, saved: sp.SavedVariables) -> tuple[bool, str]:
    """Could hub.KerasLayer(trainable=True) train it? Only through `__call__`, and only the variables the
    root object lists as trainable_variables (tensorflow_hub keras_layer._setup_layer)."""
    if not any(e.name == "__call__" and e.kind == "function" for e in found):
        names = ", ".join(sorted({e.name for e in found})) or "none"
        return False, f"hub.KerasLayer trains only through a tf.function __call__, and this module has none (endpoints: {names})"
    count = len(saved.variables)
    if saved.root_trainable is None:
        held = "holds none of its" if saved.root_variables is None else "trains none of its"
        lists = "neither variables nor trainable_variables" if saved.root_variables is None else "no trainable_variables"
        return False, f"the root object lists {lists}, so hub.KerasLayer {held} {count} variables"
    by_id = dict(zip(saved.ids, saved.variables))
    listed = [by_id[i] for i in saved.root_trainable if i in by_id]
    if not listed:
        return False, "the root object's trainable_variables list is empty"
    parameters = sum(_params(v.shape) for v in listed)
    return True, f"hub.KerasLayer(trainable=True) would train {len(listed)} variables ({parameters:,} parameters)"


def inspect_loaded(source: Source, unsafe: bool) -> Inspection:
    """Keras names, .keras/.h5 files and factories: the adapter's input spec, output shapes and weights."""
    from .load import load

    backbone = load(source, unsafe=unsafe)
    spec = backbone.input
    size = spec.fixed_size or (224, 224)
    shapes = backbone.symbolic(spec.shape(size))
    model = backbone.model
    layers = list(getattr(model, "layers", []) or [])
    tail = tuple(type(layer).__name__ for layer in layers[-TAIL_LENGTH:])
    # the last global pooling in the tail, when only layers that keep a vector a vector follow it (Dense, ...)
    pooled = next((KERAS_POOLING[name] for name in reversed(tail) if name in KERAS_POOLING), None)
    outputs = []
    for key, shape in shapes.items():
        shape = (None, *shape[1:]) if shape else shape  # the batch is the probe's, not the model's
        pooling = pooled if len(shapes) == 1 and shape and len(shape) == 2 else None
        outputs.append(OutputAnalysis(key, spec.dtype, shape, pooling or unpooled(shape), tail))
    counts = _count([tuple(w.shape) for w in getattr(model, "weights", []) or []],
                    [tuple(w.shape) for w in getattr(model, "trainable_weights", []) or []])
    notes = (f"loaded by the {backbone.kind} adapter; output shapes inferred at {size[0]}x{size[1]}",
             "inner_pooling from the last global pooling layer in the tail (GlobalAveragePooling2D/GlobalMaxPooling2D) "
             "or the output rank")
    return Inspection(source.text, backbone.kind, input=spec, outputs=tuple(outputs), variables=counts, notes=notes)
