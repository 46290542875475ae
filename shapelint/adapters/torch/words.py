"""How PyTorch advice is spelled (torch.nn, and the switches timm, torchvision and Hugging Face offer).
Framework-free: records.words imports it by name."""

from ...records.words import Words

WORDS = Words(
    framework="torch",
    name="PyTorch",
    # channels-last maps (timm's Swin) and (N, L, C) tokens alike: average every axis between batch and channels
    pool="x.flatten(1, -2).mean(dim=1)",
    pool_first="nn.AdaptiveAvgPool{dims}d(1) → nn.Flatten()",
    pool_name="nn.AdaptiveAvgPool2d",
    double_pool_error="PyTorch raises 'Expected 3D or 4D tensor' or pools a (C, 1) slice",
    dense="nn.Linear({features}, {units})",
    dense_activation="nn.Linear({features}, {units}) followed by {activation}",
    flatten="nn.Flatten()",
    backbone_pool="let the backbone pool: timm global_pool='avg', torchvision's own avgpool",
    pooled_backbone="timm num_classes=0, torchvision with its classifier replaced by nn.Identity(), "
                    "Hugging Face pooler_output",
    binary_fix="Drop the softmax after '{layer}' and train its one logit with nn.BCEWithLogitsLoss(), "
               "or give it 2 outputs for nn.CrossEntropyLoss()",
    loss_call="nn.{loss}()",
    use_loss="Use {loss}",
    remove_activation="remove the {activation} after '{layer}' (the loss applies it)",
    activation_fix="Apply {activation} to the output of '{layer}'",
    flatten_pooled="torch.flatten(x, 1)",
    class_token="x[:, 0]",
    patch_mean="x[:, {start}:].mean(dim=1)",
    reexport_dynamic="Export again from a model that takes other sizes (timm: dynamic_img_size=True) with "
                     "torch.export.export(..., dynamic_shapes=...) for the height and width, or resize inputs to {size}",
    class_and_mean="torch.cat([x[:, 0], x[:, {start}:].mean(dim=1)], dim=1)",
    fine_tune=(("timm", "timm.create_model(..., num_classes={num_classes}) or model.reset_classifier({num_classes})"),
               ("torchvision", "model.{attribute} = nn.Linear({features}, {num_classes})"),
               ("hf", "from_pretrained(..., num_labels={num_classes}, ignore_mismatched_sizes=True)"),
               ("", "replace model.{attribute} with nn.Linear({features}, {num_classes})")),
    losses=(("categorical", "nn.NLLLoss() on nn.LogSoftmax(dim=1) outputs", "nn.CrossEntropyLoss()"),
            ("binary", "nn.BCELoss()", "nn.BCEWithLogitsLoss()")),
)
