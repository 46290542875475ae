"""Keras 3 and tf_keras models -> ModelRecord: every layer call with its shapes at two input sizes.

Shapes are propagated layer by layer from a concrete input (compute_output_spec in Keras 3,
compute_output_shape in tf_keras), so nothing runs on data and the model is not changed, except that
an unbuilt model is built the way Keras would build it on its first call. The backbone inside (a
nested Model or an opaque hub.KerasLayer) is probed with the engine's probe so the SL1xx rules apply
to it. Walking a graph needs Keras internals (`_nodes_by_depth`); they are confined to this module.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ...errors import one_line
from ...records.backbone import InputSpec
from ...records.layers import LayerRecord, ModelRecord
from ...sources import SourceError
from ..base import Backbone, dims
from . import classifier
from .origins import origin_of
from .runtime import import_tensorflow

ACTIVATION_LAYERS = ("Softmax", "ReLU", "LeakyReLU", "PReLU", "ELU")  # layers that are their activation
GLOBAL_POOL = re.compile(r"Global(Average|Avg|Max)Pool(?:ing)?([123])D")
# Keras class names -> LayerRecord.kind (records.layers.KINDS); the rest by pattern in _kind
KINDS = {
    "Dense": "dense", "EinsumDense": "dense", "Flatten": "flatten", "Reshape": "reshape", "Permute": "reshape",
    "Activation": "activation", "Softmax": "activation", "ReLU": "activation", "LeakyReLU": "activation",
    "PReLU": "activation", "ELU": "activation", "InputLayer": "input",
    "Dropout": "dropout", "SpatialDropout1D": "dropout", "SpatialDropout2D": "dropout", "SpatialDropout3D": "dropout",
    "GaussianNoise": "dropout", "GaussianDropout": "dropout", "AlphaDropout": "dropout", "Identity": "dropout",
    "ActivityRegularization": "dropout",
}
KIND_PATTERNS = ((re.compile(r"(Depthwise|Separable)?Conv(olution)?(\dD)?(Transpose)?"), "conv"),
                 (re.compile(r"(Average|Max)Pool(ing)?\dD"), "pool"),
                 (re.compile(r".*Normalization"), "norm"))
LOSS_NAMES = {"bce": "BinaryCrossentropy", "cce": "CategoricalCrossentropy", "mse": "MeanSquaredError",
              "mae": "MeanAbsoluteError", "mape": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError",
              "kld": "KLDivergence", "huber_loss": "Huber", "logcosh": "LogCosh", "log_cosh": "LogCosh"}


def model_record(backbone: Backbone, sizes, probe, whole_is_backbone: bool = False) -> ModelRecord:
    """The layer graph of backbone.model (see object_record), for sources the loader already shaped."""
    return object_record(backbone.model, backbone.name, sizes, probe, backbone, whole_is_backbone)


def object_record(model, name: str, sizes, probe, whole: Backbone | None = None,
                  whole_is_backbone: bool = False) -> ModelRecord:
    """The layer graph of any Keras 3 / tf_keras model: every input rank, several inputs and outputs.

    A model without a layer graph (SavedModel, hub.KerasLayer alone, subclassed Model) is recorded as an
    opaque backbone, with no layers for the head rules. The backbone is the heaviest nested Model or
    hub.KerasLayer with weights that takes images; other nested models (heads, augmentation) are opened.
    Without a backbone inside, the whole model is probed as the backbone when it takes one image and is
    a keras.applications model or has no Dense layer; a model with no image input has no backbone.
    probe(backbone, sizes) is the engine's probe, passed in so that this adapter does not call back up.
    """
    from .load import from_object

    framework = _framework(model)
    if framework is None or not _has_graph(model):  # nothing to walk: a subclassed Model's call() is code
        probed, notes = _probe(probe, whole or from_object(model, name), sizes)
        return ModelRecord(name, backbone=probed, notes=notes)
    words = "keras" if framework == "keras3" else framework
    if whole is not None and whole.classifier is not None and whole.framework == "keras_hub":
        probed, notes = _probe(probe, whole, sizes)  # a classifier preset: its head is not in the backbone's graph
        return ModelRecord(name, backbone=probed, notes=notes, framework=whole.framework)
    error = _ensure_built(model, framework, name)
    if error:
        return ModelRecord(name, build_error=error, framework=words)
    graph = _graph(model)
    declared = tuple(_declared(t) for t in graph.inputs)
    size, alt = _two_sizes(declared, sizes)
    inner, inner_layer, probes, notes = None, None, {}, ()
    for layer in _backbone_candidates(_nodes(graph, framework), framework):
        inner, notes = _probe_layer(probe, layer, (*sizes, size, alt))
        if inner is not None:
            inner_layer, probes = layer, {r.size: r for r in inner.records if r.ok}
            break
    main = [_fill(shape, size, override=False) for shape in declared]
    layers = tuple(_walk(graph, framework, main, [_fill(shape, alt, override=True) for shape in declared],
                         probes, inner_layer))
    inner_name = inner_layer.name if inner_layer is not None else None
    one_image = len(declared) == 1 and len(declared[0]) == 4
    outputs = tuple(dict.fromkeys(_producer(graph, t, framework) for t in graph.outputs))
    if inner is None and one_image:  # the backbone's layers inlined in the model: probe them as one sub-model
        layers, inner, inner_name, notes = _inlined(model, graph, framework, list(layers), outputs, name, whole,
                                                     probe, (*sizes, size, alt))
    if inner is None and one_image and (whole_is_backbone or not any(layer.kind == "dense" for layer in layers)):
        inner, notes = _probe(probe, whole or from_object(model, name), sizes)  # no classifier on top: a backbone
    loss, from_logits = _loss(model)
    return ModelRecord(name, layers, outputs, size, alt, loss, from_logits, inner, inner_name, notes=notes,
                       framework=words, inputs=declared,
                       batch_changes=_batch_changes(_nodes(graph, framework), graph, framework, main))


def _inlined(model, graph, framework: str, layers: list, outputs: tuple, name: str, whole, probe, sizes) -> tuple:
    """(layers, BackboneRecord, backbone layer, notes) with the inlined backbone as one probed layer; the layers
    unchanged and no backbone when the head reduces no map of a convolutional part, or the part cannot be cut."""
    import keras
    import tf_keras

    from .load import from_object

    free = any(None in shape[1:-1] for shape in (_declared(t) for t in graph.inputs))
    found = classifier.inlined(layers, outputs, free)
    node = next((n for n in _nodes(graph, framework) if found and n.layer.name == found.last), None)
    if node is None or len(node.outputs) != 1:
        return layers, None, None, ()
    try:
        part = (keras.Model if framework == "keras3" else tf_keras.Model)(graph.inputs, node.outputs[0])
        backbone = from_object(part, f"{name} [{found.name}]")
    except Exception:  # a graph Keras cannot cut there (shared layers, several inputs): left whole
        return layers, None, None, ()
    backbone.classifier = whole.classifier if whole is not None and whole.classifier else classifier.application(model)
    inner, notes = _probe(probe, backbone, tuple(dict.fromkeys(sizes)))
    return found.record(layers, type(model).__name__), inner, found.name, notes


def _declared(tensor) -> tuple:
    """An input's declared shape with the batch axis unknown."""
    return (None, *dims(tensor.shape)[1:])


def _spatial_axes(shape) -> tuple[int, ...]:
    """The axes an input size applies to: H, W of an image (either layout), L of a sequence, D, H, W of a
    volume; a free length of a rank-2 input (token ids). Channels and declared features are left alone."""
    rank = len(shape)
    if rank == 4:
        return InputSpec.from_shape(shape, "float32").layout.spatial_axes
    if rank in (3, 5):
        return tuple(range(1, rank - 1))
    return (1,) if rank == 2 and shape[1] is None else ()


def _fill(shape, size, override: bool) -> tuple:
    """The shape at one input size: unknown spatial dimensions take it; override: declared ones too."""
    axes = _spatial_axes(shape)
    values = dict(zip(axes, (size[0], size[1], size[1]) if len(axes) == 3 else size if len(axes) == 2 else size[:1]))
    filled = [values[a] if a in values and (override or shape[a] is None) else d for a, d in enumerate(shape)]
    return tuple(d if d is not None or a == 0 else 1 for a, d in enumerate(filled))


def _two_sizes(declared, sizes) -> tuple:
    """The declared size of the first input with spatial axes (else the first probed size), and another."""
    size = None
    for shape in declared:
        axes = _spatial_axes(shape)
        if axes and all(shape[a] for a in axes):
            dims_ = [shape[a] for a in axes]
            size = (dims_[-2], dims_[-1]) if len(dims_) > 1 else (dims_[0], dims_[0])
            break
    size = size or tuple(sizes[0])
    alt = next((s for s in sizes if tuple(s) != size), (size[0] // 2 + 32, size[1] // 2 + 32))
    return tuple(size), tuple(alt)


def _batch_changes(nodes, graph, framework: str, main) -> tuple:
    """(layer, output at batch 1, output at batch 2) for each layer whose output batch stops following the
    input batch: symbolic shapes at two concrete batch sizes."""
    one = _propagate(nodes, graph, framework, [(1, *s[1:]) for s in main])
    two = _propagate(nodes, graph, framework, [(2, *s[1:]) for s in main])
    changed = []
    for node in nodes:
        name = node.layer.name
        a, b = one[name][1], two[name][1]
        if a and b and a[0] and b[0] and len(a[0]) and len(b[0]) and (a[0][0], b[0][0]) != (1, 2):
            changed.append((name, a[0], b[0]))
    return tuple(changed)


def _probe(probe, backbone: Backbone, sizes) -> tuple:
    """(BackboneRecord, notes): the notes are read after probing, which adds its own."""
    record = probe(backbone, sizes)
    return record, tuple(backbone.notes)


def _graph(model):
    return getattr(model, "_functional", None) or model  # a built Keras 3 Sequential keeps its graph there


def _walk(graph, framework: str, shapes, alt_shapes, probes: dict, backbone_layer) -> list[LayerRecord]:
    """Layer records in topological order. A nested model other than the backbone (a head or an
    augmentation Sequential) is opened: its layers come first, then a record of the model itself whose
    inbound are its inner outputs, so rules follow the graph through it."""
    nodes = _nodes(graph, framework)
    main = _propagate(nodes, graph, framework, shapes)
    other = _propagate(nodes, graph, framework, alt_shapes)
    records = []
    for node in nodes:
        record = _record(node, framework, main, other, probes)
        layer = node.layer
        if record.is_model and layer is not backbone_layer and _has_graph(layer) and record.input_shape:
            alt_in = other[layer.name][0]
            alt_in = alt_in[0] if len(alt_in) == 1 else None
            inside = _walk(_graph(layer), framework, [record.input_shape], [alt_in], probes, backbone_layer)
            inside, record = _wire(_graph(layer), framework, inside, record)
            records += inside
        records.append(record)
    return records


def _wire(graph, framework: str, inside: list[LayerRecord], record: LayerRecord):
    """Connect an opened model's layers to the outer graph: its first layers take the model's inbound,
    and the model's own record takes its last layers as inbound."""
    entry = {_producer(graph, t, framework) for t in graph.inputs}
    exits = tuple(dict.fromkeys(_producer(graph, t, framework) for t in graph.outputs))

    def rewire(names):
        return tuple(n for name in names for n in (record.inbound if name in entry else (name,)))

    return [replace(r, inbound=rewire(r.inbound)) for r in inside], replace(record, expanded=True, inbound=exits)


def _backbone_candidates(nodes: list[_Node], framework: str) -> list:
    """Nested Models with weights and hub layers, the heaviest first: a data-augmentation Sequential has no
    weights and is no backbone."""
    found = [n.layer for n in nodes if _is_model(n.layer, framework) or _is_opaque(n.layer)]
    found = [layer for layer in dict.fromkeys(found) if _weight_count(layer) or _is_opaque(layer)]
    return sorted(found, key=_weight_count, reverse=True)  # stable: ties keep graph order


def _weight_count(layer) -> int:
    try:
        return int(layer.count_params())
    except Exception:  # an unbuilt layer: not the backbone of a built model
        return 0


def _framework(obj) -> str | None:
    import keras
    import tf_keras

    if isinstance(obj, keras.Model):
        return "keras3"
    if isinstance(obj, tf_keras.Model):
        return "tf_keras"
    return None


def _has_graph(model) -> bool:
    import keras
    import tf_keras

    return isinstance(model, (keras.Sequential, tf_keras.Sequential)) or hasattr(model, "_nodes_by_depth")


def _ensure_built(model, framework: str, name: str) -> str | None:
    """Build an unbuilt Sequential from its first layer's input, as Keras does on the first call.

    Returns the framework's one-line error when building fails (e.g. 'expected ndim=4, found ndim=2').
    """
    if getattr(model, "inputs", None):
        return None
    first = model.layers[0] if model.layers else None
    spec = _layer_input(first, name)
    try:
        model.build(spec.shape(spec.fixed_size or (None, None), batch=None))
    except Exception as exc:
        return one_line(exc)
    if not getattr(model, "inputs", None):
        raise SourceError(f"{name}: the model has no symbolic inputs; build it with an Input layer")
    return None


def _layer_input(layer, name: str) -> InputSpec:
    from .load import from_object

    if layer is not None and (getattr(layer, "inputs", None) or _is_opaque(layer)):
        return from_object(layer, name).input
    raise SourceError(f"{name}: the model is not built and its input shape is unknown; start it with an Input layer")


class _Node:
    def __init__(self, node, framework: str):
        self.node = node
        self.layer = _layer_of(node, framework)
        self.parents = tuple(dict.fromkeys(_layer_of(p, framework).name for p in node.parent_nodes))
        self.inputs = list(node.input_tensors if framework == "keras3" else node.keras_inputs)
        self.outputs = _flat(node.outputs)


def _layer_of(node, framework: str):
    return node.operation if framework == "keras3" else node.layer


def _nodes(graph, framework: str) -> list[_Node]:
    by_depth = graph._nodes_by_depth
    found = []
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            if not node.is_input:
                found.append(_Node(node, framework))
    return found


def _flat(value) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    return [value]


def _propagate(nodes: list[_Node], graph, framework: str, shapes) -> dict:
    """Layer name -> (input shapes, output shapes or None, error) at one shape per model input."""
    tf = import_tensorflow()
    import keras

    if any(shape is None for shape in shapes):
        return {node.layer.name: ((), None, "the input shape is unknown") for node in nodes}
    specs = {id(t): keras.KerasTensor(shape, dtype=t.dtype) if framework == "keras3" else tf.TensorShape(shape)
             for t, shape in zip(graph.inputs, shapes)}
    seen = {}
    for node in nodes:
        if any(id(t) not in specs for t in node.inputs):
            seen[node.layer.name] = ((), None, "an input shape is unknown")
            continue
        ins = tuple(_dims(specs[id(t)]) for t in node.inputs)
        try:
            if framework == "keras3":
                args, kwargs = node.node.arguments.fill_in(specs)
                out = _flat(_output_spec(node.layer, args, kwargs))
            else:
                arg = tf.nest.map_structure(lambda t: specs[id(t)], node.node.call_args[0])
                out = _flat_shapes(node.layer.compute_output_shape(arg))
        except Exception as exc:  # one layer that cannot say its shape leaves its consumers unknown
            seen[node.layer.name] = (ins, None, one_line(exc))
            continue
        specs.update(zip((id(t) for t in node.outputs), out))
        seen[node.layer.name] = (ins, tuple(_dims(o) for o in out), None)
    return seen


def _output_spec(layer, args, kwargs):
    try:
        return layer.compute_output_spec(*args, **kwargs)
    except Exception:
        # A nested Keras 3 model refuses any size but its declared Input's, though its layers may not care:
        # walk its graph without that check, so Flatten after it still shows what another size would give.
        walk = getattr(layer, "_run_through_graph", None)
        if walk is None or len(args) != 1:
            raise
        return walk(args[0], operation_fn=lambda op: op.compute_output_spec)


def _flat_shapes(value) -> list:
    tf = import_tensorflow()
    if isinstance(value, tf.TensorShape):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(d, (int, type(None))) for d in value):
        return [tf.TensorShape(value)]
    return [s for v in (value.values() if isinstance(value, dict) else value) for s in _flat_shapes(v)]


def _dims(value):
    return dims(getattr(value, "shape", value))


def _record(node: _Node, framework: str, main: dict, other: dict, probes: dict) -> LayerRecord:
    layer = node.layer
    opaque, units = _is_opaque(layer), getattr(layer, "units", None)
    ins, outs, error = main[layer.name]
    alt_ins, alt_outs, _ = other[layer.name]
    if opaque:  # what the probe saw beats what the layer claims about itself
        outs, alt_outs = _probed(ins, probes, outs), _probed(alt_ins, probes, alt_outs)
    class_name = type(layer).__name__
    pool, is_model = GLOBAL_POOL.fullmatch(class_name), _is_model(layer, framework)
    activation, units = _activation(layer), units if isinstance(units, int) else None
    reduced = _reduced_axes(layer, ins)
    if reduced:  # keras.ops.mean(x, axis=(1, 2)) in a functional model pools as GlobalAveragePooling2D does
        return LayerRecord(
            name=layer.name, class_name=class_name, input_shapes=ins, output_shapes=outs, alt_output_shapes=alt_outs,
            pooling="max" if class_name == "Max" else "average", pool_dims=len(reduced), inbound=node.parents,
            error=error, kind="global_pool", call=f"keras.ops.{class_name.lower()}(axis={reduced})",
            origin=origin_of(layer),
        )
    return LayerRecord(
        name=layer.name,
        class_name=class_name,
        input_shapes=ins,
        output_shapes=outs,
        alt_output_shapes=alt_outs,
        activation=activation,
        units=units,
        pooling=("max" if pool.group(1) == "Max" else "average") if pool else None,
        pool_dims=int(pool.group(2)) if pool else None,
        inbound=node.parents,
        is_model=is_model,
        opaque=opaque,
        error=error,
        kind="model" if is_model or opaque else "global_pool" if pool else _kind(class_name),
        call=_call_text(class_name, units, activation),
        origin=origin_of(layer),
    )


def _reduced_axes(layer, ins) -> tuple[int, ...] | None:
    """The spatial or token axes a keras.ops.mean / keras.ops.max operation reduces away; None for any other."""
    if type(layer).__name__ not in ("Mean", "Max") or getattr(layer, "keepdims", True) or len(ins) != 1:
        return None
    rank, axis = len(ins[0]), getattr(layer, "axis", None)
    axes = tuple(sorted(a % rank for a in ((axis,) if isinstance(axis, int) else axis or ())))
    return axes if rank in (3, 4, 5) and axes == tuple(range(1, rank - 1)) else None


def _kind(class_name: str) -> str:
    if class_name in KINDS:
        return KINDS[class_name]
    return next((kind for pattern, kind in KIND_PATTERNS if pattern.fullmatch(class_name)), "other")


def _call_text(class_name: str, units: int | None, activation: str | None) -> str:
    """Dense(5), Dense(1, activation='softmax'), Activation('softmax'), GlobalAveragePooling2D()."""
    args = [] if units is None else [str(units)]
    if class_name == "Activation":
        args.append(repr(activation))
    elif activation not in (None, "linear") and class_name not in ACTIVATION_LAYERS:  # Softmax() is softmax already
        args.append(f"activation={activation!r}")
    return f"{class_name}({', '.join(args)})"


def _probed(ins, probes: dict, fallback):
    if len(ins) == 1 and len(ins[0]) == 4:
        record = probes.get(tuple(ins[0][1:3]))
        if record is not None and len(record.outputs) == 1:
            return tuple((None, *shape[1:]) for shape in record.outputs.values())
    return fallback


def _activation(layer) -> str | None:
    name = type(layer).__name__
    if name == "Softmax":
        return "softmax"
    if name in ("ReLU", "LeakyReLU", "PReLU", "ELU"):
        return name.lower()
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    return getattr(fn, "__name__", None) or getattr(type(fn), "__name__", None)


def _is_model(layer, framework: str) -> bool:
    import keras
    import tf_keras

    return isinstance(layer, keras.Model if framework == "keras3" else tf_keras.Model)


def _is_opaque(layer) -> bool:
    return type(layer).__module__.startswith("tensorflow_hub") or type(layer).__name__ == "TFSMLayer"


def _probe_layer(probe, layer, sizes) -> tuple:
    """(BackboneRecord, notes) of a nested model or hub layer; (None, ()) when it is not an image backbone."""
    from .load import from_object

    try:
        return _probe(probe, from_object(layer, layer.name), tuple(dict.fromkeys(sizes)))
    except SourceError:  # a nested model that is not an image backbone (e.g. a sub-head)
        return None, ()


def _producer(graph, tensor, framework: str) -> str:
    history = tensor._keras_history
    return history[0].name if framework == "keras3" else history.layer.name


def _loss(model) -> tuple[str | None, bool | None]:
    """(loss class name, from_logits) of a single compiled loss, given as a string, a function, a class or an
    instance; (None, None) when there is none or one per output."""
    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (dict, list, tuple)):
        return None, None
    if isinstance(loss, str):
        return _class_name(loss), False
    if isinstance(loss, type):  # the class itself, compiled with its defaults
        return loss.__name__, False
    if callable(loss) and not hasattr(loss, "get_config"):
        return _class_name(getattr(loss, "__name__", type(loss).__name__)), False
    config = loss.get_config()
    name = type(loss).__name__
    if name == "LossFunctionWrapper":
        name = _class_name(config.get("fn") or config.get("name") or name)
    return name, bool(config.get("from_logits", False))


def _class_name(snake: str) -> str:
    return LOSS_NAMES.get(snake) or "".join(part.capitalize() for part in snake.split("_"))
