"""Two PyTorch heads on a timm backbone, each with a bug shapelint finds (random weights, nothing downloaded).

    shapelint check examples/torch_head.py:flatten_head examples/torch_head.py:softmax_head --sizes 224,160
"""

import timm
from torch import nn


def features():
    """ResNet-18 without its pooling and classifier: (N, 512, H/32, W/32)."""
    return timm.create_model("resnet18", pretrained=False, num_classes=0, global_pool="")


def flatten_head():
    """Flatten fixes the input size: the nn.Linear is built for 7x7 maps, that is 224x224 images only."""
    return nn.Sequential(features(), nn.Flatten(), nn.Linear(512 * 7 * 7, 5)), nn.CrossEntropyLoss()


def softmax_head():
    """nn.CrossEntropyLoss applies log-softmax itself: a Softmax before it squashes the gradients."""
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 5), nn.Softmax(dim=1))
    return nn.Sequential(features(), head), nn.CrossEntropyLoss()


def good_head():
    return nn.Sequential(features(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 5)), nn.CrossEntropyLoss()
