"""An nn.Module as a Backbone: shapes on the meta device (no arithmetic, no memory), truth from real zeros.

Nothing the caller gave is changed: the meta pass swaps parameters and buffers only for the length of
one call (torch.func.functional_call), and eval() / the grad mode are restored in `finally`.
"""

from __future__ import annotations

import contextlib
import warnings

from ...records.backbone import InputSpec, Layout, Shape
from ..base import Backbone, dims, flatten_outputs
from .runtime import import_torch
from .tokens import size_rule, token_record

# timm's Format names (timm/layers/format.py) -> our layouts
TIMM_FORMATS = {"NCHW": Layout.NCHW, "NHWC": Layout.NHWC, "NCL": Layout.UNKNOWN, "NLC": Layout.NLC}


def backbone(model, name: str, kind: str, spec: InputSpec | None = None, keyword: str | None = None,
             loss=None) -> Backbone:
    """keyword: the name the model takes its image by (Hugging Face's main_input_name); else positional."""
    spec = spec or input_spec(model)
    found = Backbone(name, kind, spec, lambda shape: symbolic(model, shape, keyword),
                     lambda shape: execute(model, shape, keyword), model=model, loss=loss, framework="torch")
    found.notes.extend(size_notes(model))
    found.tokens, found.size_rule = token_record(model), size_rule(model)
    return found


def arguments(x, keyword: str | None) -> tuple[tuple, dict]:
    return ((), {keyword: x}) if keyword else ((x,), {})


def is_tensor(value) -> bool:
    torch = import_torch()
    return isinstance(value, torch.Tensor)


def output_shapes(outputs) -> dict[str, Shape]:
    """Every named tensor of a (nested) output: dicts (Hugging Face's ModelOutput), tuples and lists."""
    if hasattr(outputs, "to_tuple") and not isinstance(outputs, dict):  # a ModelOutput that is not a dict
        outputs = dict(outputs.items())
    return {key: dims(t.shape) for key, t in flatten_outputs(outputs, is_tensor).items()}


@contextlib.contextmanager
def inference(model):
    """eval() and no_grad for one call; the module's training flags are put back afterwards. The user's forward
    runs inside: the framework's warnings about it (an implicit softmax dim) are not shapelint's output."""
    torch = import_torch()
    modes = [(m, m.training) for m in model.modules()] if isinstance(model, torch.nn.Module) else []
    try:
        if isinstance(model, torch.nn.Module):
            try:
                model.eval()
            except NotImplementedError:  # a torch.export graph module: exported in the mode it runs in
                modes = []
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for module, training in modes:
            module.training = training


def symbolic(model, shape: Shape, keyword: str | None = None) -> dict[str, Shape]:
    """Shapes on the meta device: parameters and buffers swapped for meta tensors for this call only.

    Modules the meta device cannot run (TorchScript, or a forward that makes CPU tensors of its own)
    go through FakeTensorMode instead, which is slower but follows any tensor created inside.
    """
    torch = import_torch()
    with inference(model):
        if not isinstance(model, torch.jit.ScriptModule):
            try:
                state = {k: v.to("meta") for k, v in [*model.named_parameters(), *model.named_buffers()]}
                args, kwargs = arguments(torch.zeros(shape, device="meta"), keyword)
                return output_shapes(torch.func.functional_call(model, state, args, kwargs, strict=False))
            except Exception as exc:
                if not _device_trouble(exc):
                    raise
        from torch._subclasses.fake_tensor import FakeTensorMode

        with FakeTensorMode(allow_non_fake_inputs=True):
            args, kwargs = arguments(torch.empty(shape), keyword)
            return output_shapes(model(*args, **kwargs))


def _device_trouble(exc: Exception) -> bool:
    """The meta device, not the model, refused: a CPU tensor made inside forward, or an op with no meta kernel."""
    text = str(exc)
    return "meta" in text or "device" in text or isinstance(exc, NotImplementedError)


def execute(model, shape: Shape, keyword: str | None = None) -> dict[str, Shape]:
    torch = import_torch()
    with inference(model):
        args, kwargs = arguments(torch.zeros(shape), keyword)
        return output_shapes(model(*args, **kwargs))


def input_spec(model) -> InputSpec:
    """NCHW with the channels of the first convolution; a fixed size where the model enforces one (timm's
    strict PatchEmbed, torchvision's ViT)."""
    torch = import_torch()
    channels, fixed = 3, None
    for module in model.modules() if isinstance(model, torch.nn.Module) else ():
        if isinstance(module, torch.nn.Conv2d):
            channels = module.in_channels
            break
    fixed = fixed_size(model)
    return InputSpec(layout=Layout.NCHW, channels=channels, height=fixed[0] if fixed else None,
                     width=fixed[1] if fixed else None)


def fixed_size(model) -> tuple[int, int] | None:
    """The one input size a model accepts, where it says so itself; None when it takes any (or does not say)."""
    torch = import_torch()
    if not isinstance(model, torch.nn.Module):
        return None
    for module in model.modules():
        size = getattr(module, "img_size", None)
        if getattr(module, "strict_img_size", False) and not getattr(module, "dynamic_img_size", False) and size:
            return pair(size)
    size = getattr(model, "image_size", None)  # torchvision's VisionTransformer asserts it in _process_input
    if type(model).__name__ == "VisionTransformer" and type(model).__module__.startswith("torchvision") and size:
        return pair(size)
    return None


def pair(size) -> tuple[int, int]:
    return (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))


def declared_layout(model) -> Layout | None:
    """What the model says its output is laid out as (timm's output_fmt), or None: shapes decide then."""
    fmt = getattr(model, "output_fmt", None)
    fmt = getattr(fmt, "value", fmt)
    return TIMM_FORMATS.get(str(fmt)) if fmt else None


def size_notes(model) -> list[str]:
    """How to make a fixed-size model take other sizes, in its library's words."""
    if fixed_size(model) is not None and type(model).__module__.startswith("timm"):
        return ["timm: create the model with dynamic_img_size=True to accept other input sizes "
                "(position embeddings are interpolated)"]
    return []
