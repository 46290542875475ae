"""Heads on pretrained ViTs that run and train but pool the wrong tokens (the README's token example):

    shapelint check examples/vit_heads.py:register_mean examples/vit_heads.py:siglip_first_patch \
        examples/vit_heads.py:siglip_mean examples/vit_heads.py:class_token
"""

import timm
import transformers
from torch import nn


class TokenHead(nn.Module):
    def __init__(self, backbone, width: int, num_classes: int = 5):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(width, num_classes)


class MeanHead(TokenHead):
    def forward(self, x):
        tokens = self.backbone(x)
        return self.fc(tokens.mean(dim=1))  # averages 1 class and 4 register tokens with the patches


class ClassTokenHead(TokenHead):
    def forward(self, x):
        tokens = self.backbone(x)
        return self.fc(tokens[:, 0])  # the class token, as timm's global_pool="token"


class FirstTokenHead(TokenHead):
    def forward(self, x):
        hidden = self.backbone(x).last_hidden_state
        return self.fc(hidden[:, 0])  # SigLIP has no class token: this is the top-left patch


class HiddenMeanHead(TokenHead):
    def forward(self, x):
        hidden = self.backbone(x).last_hidden_state
        return self.fc(hidden.mean(dim=1))  # SigLIP's checkpoint pools with its attention head


def dinov2_registers():
    return timm.create_model("vit_small_patch14_reg4_dinov2", pretrained=False, num_classes=0, global_pool="",
                             img_size=224)


def siglip():
    config = transformers.SiglipVisionConfig(image_size=224, patch_size=16, num_hidden_layers=2)
    return transformers.SiglipVisionModel(config)


def register_mean():
    return MeanHead(dinov2_registers(), 384)


def class_token():
    return ClassTokenHead(dinov2_registers(), 384)


def siglip_first_patch():
    return FirstTokenHead(siglip(), 768)


def siglip_mean():
    return HiddenMeanHead(siglip(), 768)
