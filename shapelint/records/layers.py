"""Plain records of a model's layer graph, for the head rules. No framework imports.

Shapes are taken at two input sizes: `size` (the model's declared input size, else the first
probed size) and `alt_size`, so a rule can tell whether a shape depends on the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backbone import BackboneRecord, Shape

# What a layer does, in words every framework shares; the adapter sets LayerRecord.kind, rules read only it.
KINDS = (
    "dense",  # a classifier/projection on the last axis: Keras Dense, torch nn.Linear
    "flatten",
    "global_pool",  # pools every spatial or token axis away: GlobalAveragePooling*, AdaptiveAvgPool to 1
    "pool",  # local pooling: the spatial axes stay
    "reshape",
    "activation",  # an activation as a layer of its own: Activation, Softmax, ReLU, nn.Sigmoid
    "dropout",  # passes its input through at inference: dropout, noise, identity
    "conv",
    "norm",
    "model",  # a nested model, or an opaque backbone (hub.KerasLayer)
    "input",
    "select",  # indexing or slicing: x[:, 0], x[:, 1:], last_hidden_state[:, 0]
    "concat",  # torch.cat, Concatenate: several inputs joined on `axes`
    "reduce",  # a reduction that is not a global pool: over channels, over the batch, a sum
    "math",  # element-wise arithmetic and the like: the shape follows its inputs
    "other",
)

# what a call folds away or pools, in LayerRecord.reduces: facts a rule reads instead of the call's name
SPATIAL, TOKENS, CHANNELS, BATCH = "spatial", "tokens", "channels", "batch"


@dataclass(frozen=True)
class LayerRecord:
    """One call of a layer in the graph: what went in and came out, and what the layer does."""

    name: str
    class_name: str  # the framework's own class name, for messages
    input_shapes: tuple[Shape, ...] = ()
    output_shapes: tuple[Shape, ...] | None = ()  # None: the shape could not be computed
    alt_output_shapes: tuple[Shape, ...] | None = None  # at ModelRecord.alt_size, where computable
    activation: str | None = None  # "linear", "softmax", ... for Dense/Conv/Activation layers
    units: int | None = None  # Dense units
    features: int | None = None  # the input features a dense layer was built for (nn.Linear's in_features)
    pooling: str | None = None  # "average" or "max" for global pooling layers
    pool_dims: int | None = None  # 1, 2 or 3: the spatial axes a global pooling layer expects
    inbound: tuple[str, ...] = ()
    is_model: bool = False  # a nested Model used as a layer
    expanded: bool = False  # a nested model whose layers are recorded before it; inbound are its inner outputs
    opaque: bool = False  # a layer shapelint cannot look into (hub.KerasLayer)
    error: str | None = None  # why the output shape could not be computed
    kind: str = "other"  # one of KINDS
    call: str = ""  # how the user wrote the call (Dense(5), nn.Linear(1280, 5)), spelled by the adapter
    origin: tuple[str, int] | None = None  # (file, line) in the user's code that created the layer
    # A call forward made that is not a layer (torch.flatten, x.mean, F.softmax, x[:, 0], keras.ops.mean): origin
    # is then the line that made the call, and call how it was written.
    function: bool = False
    axes: tuple[int, ...] | None = None  # the input axes the call acts on, counted from 0: mean/softmax dim, cat dim
    reduces: str | None = None  # SPATIAL, TOKENS, CHANNELS or BATCH: what the call pools, folds or selects away
    tokens: tuple[int, int | None] | None = None  # the token positions it reads: x[:, 0] (0, 1), x[:, 5:] (5, None)

    @property
    def input_shape(self) -> Shape | None:
        return self.input_shapes[0] if len(self.input_shapes) == 1 else None

    @property
    def output_shape(self) -> Shape | None:
        return self.output_shapes[0] if self.output_shapes and len(self.output_shapes) == 1 else None

    @property
    def alt_output_shape(self) -> Shape | None:
        alt = self.alt_output_shapes
        return alt[0] if alt and len(alt) == 1 else None

    @property
    def call_text(self) -> str:
        """Dense(5), Dense(1, activation='softmax'), nn.Linear(1280, 5): as the adapter spelled it."""
        return self.call or f"{self.class_name}()"

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "class_name": self.class_name,
            "input_shapes": [list(s) for s in self.input_shapes],
            "output_shapes": _shapes_json(self.output_shapes),
            "alt_output_shapes": _shapes_json(self.alt_output_shapes),
            "activation": self.activation,
            "units": self.units,
            "features": self.features,
            "pooling": self.pooling,
            "pool_dims": self.pool_dims,
            "inbound": list(self.inbound),
            "is_model": self.is_model,
            "expanded": self.expanded,
            "opaque": self.opaque,
            "error": self.error,
            "kind": self.kind,
            "call": self.call,
            "origin": list(self.origin) if self.origin else None,
            "function": self.function,
            "axes": list(self.axes) if self.axes is not None else None,
            "reduces": self.reduces,
            "tokens": list(self.tokens) if self.tokens is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> LayerRecord:
        return cls(
            name=data["name"],
            class_name=data["class_name"],
            input_shapes=tuple(tuple(s) for s in data["input_shapes"]),
            output_shapes=_shapes_from_json(data["output_shapes"]),
            alt_output_shapes=_shapes_from_json(data["alt_output_shapes"]),
            activation=data["activation"],
            units=data["units"],
            features=data.get("features"),
            pooling=data["pooling"],
            pool_dims=data["pool_dims"],
            inbound=tuple(data["inbound"]),
            is_model=data["is_model"],
            expanded=data.get("expanded", False),
            opaque=data["opaque"],
            error=data["error"],
            kind=data.get("kind", "other"),
            call=data.get("call", ""),
            origin=tuple(data["origin"]) if data.get("origin") else None,
            function=data.get("function", False),
            axes=tuple(data["axes"]) if data.get("axes") is not None else None,
            reduces=data.get("reduces"),
            tokens=tuple(data["tokens"]) if data.get("tokens") is not None else None,
        )


@dataclass(frozen=True)
class ModelRecord:
    """A whole model: its layers in topological order, its outputs, its compiled loss and its backbone."""

    source: str
    layers: tuple[LayerRecord, ...] = ()
    outputs: tuple[str, ...] = ()  # names of the layers whose outputs are the model's outputs
    size: tuple[int, int] | None = None
    alt_size: tuple[int, int] | None = None
    loss: str | None = None  # loss class name, e.g. "SparseCategoricalCrossentropy"
    from_logits: bool | None = None
    backbone: BackboneRecord | None = None  # the probe of the backbone inside, when one was found
    backbone_layer: str | None = None
    build_error: str | None = None  # the framework's one-line error when the model could not be built
    notes: tuple[str, ...] = ()  # what loading and probing the backbone noted (its Backbone.notes), as probe reports
    framework: str = "keras"  # whose words the advice is spelled in (records.words)
    inputs: tuple[Shape, ...] = ()  # each input's declared shape, None where the model leaves it free
    # (layer, output at input batch 1, output at input batch 2) where the output batch stops following the input's
    batch_changes: tuple[tuple[str, Shape, Shape], ...] = ()
    input_note: str = ""  # what input the model was run on and why, where it had to be assumed ("(N, 784) from nn.Linear")
    batch_sizes: tuple[int, int] = (1, 2)  # the input batches batch_changes compares

    def layer(self, name: str) -> LayerRecord | None:
        """The first call of the layer named `name`; None for names outside the record (input layers)."""
        return next((layer for layer in self.layers if layer.name == name), None)

    def consumers(self, name: str) -> list[LayerRecord]:
        return [layer for layer in self.layers if name in layer.inbound]

    def output_layers(self) -> list[LayerRecord]:
        return [layer for layer in map(self.layer, self.outputs) if layer is not None]

    def reachable_outputs(self, name: str) -> list[LayerRecord]:
        """The model outputs that depend on layer `name` (itself included)."""
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += [layer.name for layer in self.consumers(current)]
        return [layer for layer in self.output_layers() if layer.name in seen]

    def head_layers(self, limit: int = 12) -> list[LayerRecord]:
        """The backbone's layer (first) to the first output, following first inputs back; an opened nested
        model is represented by its own layers. Without a backbone, the last `limit` layers."""
        by_name = {layer.name: layer for layer in self.layers}
        current = self.layer(self.outputs[0]) if self.outputs else None
        path, seen = [], set()
        while current is not None and current.name not in seen and len(path) < limit:
            seen.add(current.name)
            if not current.expanded:
                path.append(current)
            if current.name == self.backbone_layer:
                break
            current = by_name.get(current.inbound[0]) if current.inbound else None
        return path[::-1]

    def head_pools(self) -> bool:
        """A global pooling or Flatten layer follows the backbone on the way to the output."""
        return any(layer.kind in ("global_pool", "flatten") for layer in self.head_layers()
                   if layer.name != self.backbone_layer)

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "layers": [layer.to_json() for layer in self.layers],
            "outputs": list(self.outputs),
            "size": list(self.size) if self.size else None,
            "alt_size": list(self.alt_size) if self.alt_size else None,
            "loss": self.loss,
            "from_logits": self.from_logits,
            "backbone": self.backbone.to_json() if self.backbone else None,
            "backbone_layer": self.backbone_layer,
            "build_error": self.build_error,
            "notes": list(self.notes),
            "framework": self.framework,
            "inputs": _shapes_json(self.inputs),
            "batch_changes": [[name, list(a), list(b)] for name, a, b in self.batch_changes],
            "input_note": self.input_note,
            "batch_sizes": list(self.batch_sizes),
        }

    @classmethod
    def from_json(cls, data: dict) -> ModelRecord:
        return cls(
            source=data["source"],
            layers=tuple(LayerRecord.from_json(item) for item in data["layers"]),
            outputs=tuple(data["outputs"]),
            size=tuple(data["size"]) if data["size"] else None,
            alt_size=tuple(data["alt_size"]) if data["alt_size"] else None,
            loss=data["loss"],
            from_logits=data["from_logits"],
            backbone=BackboneRecord.from_json(data["backbone"]) if data["backbone"] else None,
            backbone_layer=data["backbone_layer"],
            build_error=data["build_error"],
            notes=tuple(data.get("notes", ())),
            framework=data.get("framework", "keras"),
            inputs=_shapes_from_json(data.get("inputs", [])),
            batch_changes=tuple((name, tuple(a), tuple(b)) for name, a, b in data.get("batch_changes", ())),
            input_note=data.get("input_note", ""),
            batch_sizes=tuple(data.get("batch_sizes", (1, 2))),
        )


def _shapes_json(shapes):
    return None if shapes is None else [list(s) for s in shapes]


def _shapes_from_json(data):
    return None if data is None else tuple(tuple(s) for s in data)
