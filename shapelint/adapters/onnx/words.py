"""How advice on an ONNX graph is spelled: in ONNX operators. Framework-free: records.words imports it by name."""

from ...records.words import Words

WORDS = Words(
    framework="onnx",
    name="ONNX",
    pool="ReduceMean(axes={axes}, keepdims=0)",
    pool_first="GlobalAveragePool + Flatten",
    pool_name="GlobalAveragePool",
    double_pool_error="GlobalAveragePool needs at least 3 dimensions",
    dense="a Gemm with {units} outputs",
    dense_activation="a Gemm with {units} outputs and {activation}",
    flatten="Flatten(axis=1)",
    backbone_pool="export the backbone with its global pooling included",
    pooled_backbone="a graph that already ends in GlobalAveragePool or ReduceMean",
    binary_fix="End '{layer}' in Sigmoid for a binary head, or give it 2 outputs with Softmax",
    loss_call="{loss} (from_logits={from_logits})",
    use_loss="Train with {loss}",
    remove_activation="remove the {activation} after '{layer}'",
    activation_fix="End '{layer}' in {activation}",
    flatten_pooled="Flatten(axis=1)",
    reexport_dynamic="Re-export from a source model that takes other sizes (timm: dynamic_img_size=True; Hugging Face: "
                     "interpolate_pos_encoding=True) with dynamic axes that hold (torch.onnx.export(..., dynamo=True, "
                     "dynamic_shapes=...)), or resize inputs to {size}",
    fine_tune=(("", "re-export the source model with its classifier replaced by one with {num_classes} outputs"),),
)
