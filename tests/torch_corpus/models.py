"""A corpus of PyTorch classifiers written by other people, rebuilt as factories (random weights, no download).

Each factory names its origin (the program or thread it was rebuilt from) and returns (model, loss) where the
program states its loss, as shapelint's torch factories do. forward() is kept as the program wrote it (the same
torch.flatten / x.view / F.softmax / x[:, 0] calls); where a body is not the point, the comment says what was
made smaller. A buggy program's fixed version sits beside it as `<name>_fix`. tests/torch_corpus/cases.py says
which are correct and which rule each buggy one must earn.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# ================================================================ correct programs


def _pytorch_quickstart(final_relu: bool):
    # https://pytorch.org/tutorials/beginner/basics/quickstart_tutorial.html (NeuralNetwork, nn.CrossEntropyLoss)
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            layers = [nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)]
            self.linear_relu_stack = nn.Sequential(*layers, *([nn.ReLU()] if final_relu else []))

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    return NeuralNetwork(), nn.CrossEntropyLoss()


def pytorch_quickstart_final_relu():
    # https://github.com/pytorch/tutorials/issues/1526 ("There's ReLU activation after the logit"; the
    # buildmodel and optimization tutorials ended linear_relu_stack with nn.ReLU())
    return _pytorch_quickstart(final_relu=True)


def pytorch_quickstart_final_relu_fix():
    # https://github.com/pytorch/tutorials/pull/1654 (Remove final ReLU layer): the tutorial today
    return _pytorch_quickstart(final_relu=False)


def pytorch_examples_mnist():
    # https://github.com/pytorch/examples/blob/main/mnist/main.py (loss: F.nll_loss)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    return Net(), nn.NLLLoss()


def pytorch_cifar10_tutorial():
    # https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return Net(), nn.CrossEntropyLoss()


def vinhkhuc_convnet():
    # https://github.com/vinhkhuc/PyTorch-Mini-Tutorials/blob/master/5_convolutional_net.py
    class ConvNet(torch.nn.Module):
        def __init__(self, output_dim):
            super().__init__()
            self.conv = torch.nn.Sequential()
            self.conv.add_module("conv_1", torch.nn.Conv2d(1, 10, kernel_size=5))
            self.conv.add_module("maxpool_1", torch.nn.MaxPool2d(kernel_size=2))
            self.conv.add_module("relu_1", torch.nn.ReLU())
            self.conv.add_module("conv_2", torch.nn.Conv2d(10, 20, kernel_size=5))
            self.conv.add_module("dropout_2", torch.nn.Dropout())
            self.conv.add_module("maxpool_2", torch.nn.MaxPool2d(kernel_size=2))
            self.conv.add_module("relu_2", torch.nn.ReLU())
            self.fc = torch.nn.Sequential()
            self.fc.add_module("fc1", torch.nn.Linear(320, 50))
            self.fc.add_module("relu_3", torch.nn.ReLU())
            self.fc.add_module("dropout_3", torch.nn.Dropout())
            self.fc.add_module("fc2", torch.nn.Linear(50, output_dim))

        def forward(self, x):
            x = self.conv.forward(x)
            x = x.view(-1, 320)
            return self.fc.forward(x)

    return ConvNet(output_dim=10), torch.nn.CrossEntropyLoss()


def hunkim_softmax_mnist():
    # https://github.com/hunkim/PyTorchZeroToAll/blob/master/09_2_softmax_mnist.py (log_softmax without dim: 1 on 2D)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Linear(784, 520)
            self.l2 = nn.Linear(520, 320)
            self.l3 = nn.Linear(320, 240)
            self.l4 = nn.Linear(240, 120)
            self.l5 = nn.Linear(120, 10)

        def forward(self, x):
            x = x.view(-1, 784)  # Flatten the data (n, 1, 28, 28)-> (n, 784)
            x = F.relu(self.l1(x))
            x = F.relu(self.l2(x))
            x = F.relu(self.l3(x))
            x = F.relu(self.l4(x))
            x = self.l5(x)
            return F.log_softmax(x)

    return Net(), nn.NLLLoss()


# https://pytorch.org/tutorials/beginner/finetuning_torchvision_models_tutorial.html: initialize_model(), each branch

def torchvision_finetune_resnet18():
    model_ft = torchvision.models.resnet18(weights=None)
    num_ftrs = model_ft.fc.in_features
    model_ft.fc = nn.Linear(num_ftrs, 2)
    return model_ft, nn.CrossEntropyLoss()


def torchvision_finetune_alexnet():
    model_ft = torchvision.models.alexnet(weights=None)
    num_ftrs = model_ft.classifier[6].in_features
    model_ft.classifier[6] = nn.Linear(num_ftrs, 2)
    return model_ft, nn.CrossEntropyLoss()


def torchvision_finetune_vgg11_bn():
    model_ft = torchvision.models.vgg11_bn(weights=None)
    num_ftrs = model_ft.classifier[6].in_features
    model_ft.classifier[6] = nn.Linear(num_ftrs, 2)
    return model_ft, nn.CrossEntropyLoss()


def torchvision_finetune_squeezenet():
    model_ft = torchvision.models.squeezenet1_0(weights=None)
    model_ft.classifier[1] = nn.Conv2d(512, 2, kernel_size=(1, 1), stride=(1, 1))
    model_ft.num_classes = 2
    return model_ft, nn.CrossEntropyLoss()


def torchvision_finetune_densenet121():
    model_ft = torchvision.models.densenet121(weights=None)
    num_ftrs = model_ft.classifier.in_features
    model_ft.classifier = nn.Linear(num_ftrs, 2)
    return model_ft, nn.CrossEntropyLoss()


def torchvision_finetune_inception_v3():
    # "Be careful, expects (299,299) sized images and has auxiliary output"
    model_ft = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
    num_ftrs = model_ft.AuxLogits.fc.in_features
    model_ft.AuxLogits.fc = nn.Linear(num_ftrs, 2)
    num_ftrs = model_ft.fc.in_features
    model_ft.fc = nn.Linear(num_ftrs, 2)
    return model_ft.eval(), nn.CrossEntropyLoss()


def transfer_learning_tutorial_fixed_features():
    # https://pytorch.org/tutorials/beginner/transfer_learning_tutorial.html (ConvNet as fixed feature extractor)
    model_conv = torchvision.models.resnet18(weights=None)
    for param in model_conv.parameters():
        param.requires_grad = False
    num_ftrs = model_conv.fc.in_features
    model_conv.fc = nn.Linear(num_ftrs, 2)
    return model_conv, nn.CrossEntropyLoss()


def torchvision_mobilenet_v3_small_num_classes():
    # https://pytorch.org/vision/stable/models/generated/torchvision.models.mobilenet_v3_small.html (num_classes=)
    return torchvision.models.mobilenet_v3_small(weights=None, num_classes=10), nn.CrossEntropyLoss()


def torchvision_efficientnet_b0_classifier():
    # https://pytorch.org/vision/stable/models/efficientnet.html; classifier[1] replaced as fine-tuning guides do
    model = torchvision.models.efficientnet_b0(weights=None)
    model.classifier[1] = nn.Linear(model.classifier[1].in_features, 5)
    return model, nn.CrossEntropyLoss()


def timm_resnet18_num_classes():
    # https://huggingface.co/docs/timm/quickstart (create_model(..., num_classes=N) for fine-tuning)
    import timm

    return timm.create_model("resnet18", pretrained=False, num_classes=5), nn.CrossEntropyLoss()


def timm_reset_classifier():
    # https://huggingface.co/docs/timm/feature_extraction ("reset_classifier")
    import timm

    model = timm.create_model("resnet18", pretrained=False)
    model.reset_classifier(4)
    return model, nn.CrossEntropyLoss()


def timm_features_num_classes_zero_head():
    # https://huggingface.co/docs/timm/feature_extraction (num_classes=0: pooled features), own nn.Linear head
    import timm

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = timm.create_model("resnet18", pretrained=False, num_classes=0)
            self.head = nn.Linear(self.backbone.num_features, 3)

        def forward(self, x):
            return self.head(self.backbone(x))

    return Classifier(), nn.CrossEntropyLoss()


def timm_vit_tiny_num_classes():
    # https://huggingface.co/docs/timm/models/vision-transformer (fine-tuning with num_classes; img_size=64 chosen)
    import timm

    return timm.create_model("vit_tiny_patch16_224", pretrained=False, num_classes=5, img_size=64), nn.CrossEntropyLoss()


def hf_vit_for_image_classification():
    # https://huggingface.co/docs/transformers/tasks/image_classification (ViT fine-tuning, num_labels);
    # a tiny ViTConfig instead of google/vit-base-patch16-224-in21k's weights
    from transformers import ViTConfig, ViTForImageClassification

    config = ViTConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, num_labels=3)
    return ViTForImageClassification(config), nn.CrossEntropyLoss()


def hf_resnet_for_image_classification():
    # https://huggingface.co/docs/transformers/model_doc/resnet (ResNetForImageClassification; a small config)
    from transformers import ResNetConfig, ResNetForImageClassification

    config = ResNetConfig(embedding_size=16, hidden_sizes=[16, 32, 64, 128], depths=[1, 1, 1, 1],
                          layer_type="basic", num_labels=3)
    return ResNetForImageClassification(config), nn.CrossEntropyLoss()


def dcgan_discriminator():
    # https://github.com/pytorch/examples/blob/main/dcgan/main.py (Discriminator with nn.BCELoss(); ndf=64, nc=3)
    nc, ndf = 3, 64

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 4),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 8),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
                nn.Sigmoid(),
            )

        def forward(self, input):
            output = self.main(input)
            return output.view(-1, 1).squeeze(1)

    return Discriminator(), nn.BCELoss()


def torchaudio_m5():
    # https://pytorch.org/tutorials/intermediate/speech_command_classification_with_torchaudio_tutorial.html
    # (M5 on 8 kHz one-channel audio; loss F.nll_loss on output.squeeze())
    class M5(nn.Module):
        def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
            super().__init__()
            self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
            self.bn1 = nn.BatchNorm1d(n_channel)
            self.pool1 = nn.MaxPool1d(4)
            self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
            self.bn2 = nn.BatchNorm1d(n_channel)
            self.pool2 = nn.MaxPool1d(4)
            self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
            self.bn3 = nn.BatchNorm1d(2 * n_channel)
            self.pool3 = nn.MaxPool1d(4)
            self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
            self.bn4 = nn.BatchNorm1d(2 * n_channel)
            self.pool4 = nn.MaxPool1d(4)
            self.fc1 = nn.Linear(2 * n_channel, n_output)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(self.bn1(x))
            x = self.pool1(x)
            x = self.conv2(x)
            x = F.relu(self.bn2(x))
            x = self.pool2(x)
            x = self.conv3(x)
            x = F.relu(self.bn3(x))
            x = self.pool3(x)
            x = self.conv4(x)
            x = F.relu(self.bn4(x))
            x = self.pool4(x)
            x = F.avg_pool1d(x, x.shape[-1])
            x = x.permute(0, 2, 1)
            x = self.fc1(x)
            return F.log_softmax(x, dim=2)

    return M5(), nn.NLLLoss()


def bentrevett_cnn_sentiment():
    # https://github.com/bentrevett/pytorch-sentiment-analysis (4 - Convolutional Sentiment Analysis;
    # vocabulary and sizes chosen: 5000 words, 100-d embeddings, batch first)
    class CNN(nn.Module):
        def __init__(self, vocab_size, embedding_dim, n_filters, filter_sizes, output_dim, dropout, pad_idx):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
            self.convs = nn.ModuleList([
                nn.Conv2d(in_channels=1, out_channels=n_filters, kernel_size=(fs, embedding_dim))
                for fs in filter_sizes
            ])
            self.fc = nn.Linear(len(filter_sizes) * n_filters, output_dim)
            self.dropout = nn.Dropout(dropout)

        def forward(self, text):
            embedded = self.embedding(text)
            embedded = embedded.unsqueeze(1)
            conved = [F.relu(conv(embedded)).squeeze(3) for conv in self.convs]
            pooled = [F.max_pool1d(conv, conv.shape[2]).squeeze(2) for conv in conved]
            cat = self.dropout(torch.cat(pooled, dim=1))
            return self.fc(cat)

    return CNN(5000, 100, 100, [3, 4, 5], 1, 0.5, 1), nn.BCEWithLogitsLoss()


def bentrevett_fasttext():
    # https://github.com/bentrevett/pytorch-sentiment-analysis (3 - Faster Sentiment Analysis; batch first)
    class FastText(nn.Module):
        def __init__(self, vocab_size, embedding_dim, output_dim, pad_idx):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
            self.fc = nn.Linear(embedding_dim, output_dim)

        def forward(self, text):
            embedded = self.embedding(text)
            pooled = F.avg_pool2d(embedded, (embedded.shape[1], 1)).squeeze(1)
            return self.fc(pooled)

    return FastText(5000, 100, 1, 1), nn.BCEWithLogitsLoss()


def pytorch_text_classification_embeddingbag():
    # https://pytorch.org/tutorials/beginner/text_sentiment_ngrams_tutorial.html (AG_NEWS: 4 classes;
    # vocabulary chosen: 5000; called with 2D token ids, so EmbeddingBag needs no offsets)
    class TextClassificationModel(nn.Module):
        def __init__(self, vocab_size, embed_dim, num_class):
            super().__init__()
            self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
            self.fc = nn.Linear(embed_dim, num_class)

        def forward(self, text):
            embedded = self.embedding(text)
            return self.fc(embedded)

    return TextClassificationModel(5000, 64, 4), nn.CrossEntropyLoss()


# ================================================================ buggy programs, each with its fix

class _LinearBottleneck(nn.Module):
    # https://github.com/Randl/MobileNetV2-pytorch/blob/master/model.py (bn3 over outplanes and the residual
    # only where the shapes agree, as the repository's later version has it)
    def __init__(self, inplanes, outplanes, stride=1, t=6, activation=nn.ReLU6):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, inplanes * t, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(inplanes * t)
        self.conv2 = nn.Conv2d(inplanes * t, inplanes * t, kernel_size=3, stride=stride, padding=1, bias=False,
                               groups=inplanes * t)
        self.bn2 = nn.BatchNorm2d(inplanes * t)
        self.conv3 = nn.Conv2d(inplanes * t, outplanes, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(outplanes)
        self.activation = activation(inplace=True)
        self.stride = stride
        self.inplanes, self.outplanes = inplanes, outplanes

    def forward(self, x):
        residual = x
        out = self.activation(self.bn1(self.conv1(x)))
        out = self.activation(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 1 and self.inplanes == self.outplanes:
            out += residual
        return out


def _randl_mobilenet2(log_softmax: bool):
    class MobileNet2(nn.Module):
        def __init__(self, in_channels=3, num_classes=1000, scale=1.0, t=6, activation=nn.ReLU6):
            super().__init__()
            self.scale, self.t, self.activation_type = scale, t, activation
            self.activation = activation(inplace=True)
            self.num_classes = num_classes
            self.num_of_channels = [32, 16, 24, 32, 64, 96, 160, 320]
            self.c = [int(ch * self.scale) for ch in self.num_of_channels]
            self.n = [1, 1, 2, 3, 4, 3, 3, 1]
            self.s = [2, 1, 2, 2, 2, 1, 2, 1]
            self.conv1 = nn.Conv2d(in_channels, self.c[0], kernel_size=3, bias=False, stride=self.s[0], padding=1)
            self.bn1 = nn.BatchNorm2d(self.c[0])
            self.bottlenecks = self._make_bottlenecks()
            self.last_conv_out_ch = 1280 if self.scale <= 1 else 1280 * self.scale
            self.conv_last = nn.Conv2d(self.c[-1], self.last_conv_out_ch, kernel_size=1, bias=False)
            self.bn_last = nn.BatchNorm2d(self.last_conv_out_ch)
            self.avgpool = nn.AvgPool2d(7)
            self.dropout = nn.Dropout(p=0.2, inplace=True)
            self.fc = nn.Linear(self.last_conv_out_ch, self.num_classes)

        def _make_stage(self, inplanes, outplanes, n, stride, t, stage):
            modules = OrderedDict()
            stage_name = "LinearBottleneck{}".format(stage)
            modules[stage_name + "_0"] = _LinearBottleneck(inplanes, outplanes, stride=stride, t=t)
            for i in range(n - 1):
                modules[stage_name + "_{}".format(i + 1)] = _LinearBottleneck(outplanes, outplanes, stride=1, t=6)
            return nn.Sequential(modules)

        def _make_bottlenecks(self):
            modules = OrderedDict()
            modules["Bottlenecks_0"] = self._make_stage(self.c[0], self.c[1], self.n[1], self.s[1], t=1, stage=1)
            for i in range(1, len(self.c) - 1):
                modules["Bottlenecks_{}".format(i)] = self._make_stage(self.c[i], self.c[i + 1], self.n[i + 1],
                                                                       self.s[i + 1], t=self.t, stage=i + 1)
            return nn.Sequential(modules)

        def forward(self, x):
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.activation(x)
            x = self.bottlenecks(x)
            x = self.conv_last(x)
            x = self.bn_last(x)
            x = self.activation(x)
            # average pooling layer
            x = self.avgpool(x)
            x = self.dropout(x)
            # flatten for input to fully-connected layer
            x = x.view(x.size(0), -1)
            x = self.fc(x)
            if log_softmax:
                return F.log_softmax(x, dim=1)
            return x

    return MobileNet2(), nn.CrossEntropyLoss()  # the repository trains with nn.CrossEntropyLoss()


def randl_mobilenetv2_log_softmax():
    # https://github.com/Randl/MobileNetV2-pytorch/issues/5 (F.log_softmax before nn.CrossEntropyLoss)
    return _randl_mobilenet2(log_softmax=True)


def randl_mobilenetv2_log_softmax_fix():
    # the same program returning the fc logits, as the thread suggests
    return _randl_mobilenet2(log_softmax=False)


def _dsksd_cnn_classifier(log_softmax: bool):
    # https://github.com/DSKSD/DeepNLP-models-Pytorch (08.CNN-for-Text-Classification; vocabulary 5000, 300-d
    # embeddings, 2 classes chosen; trained with nn.CrossEntropyLoss())
    class CNNClassifier(nn.Module):
        def __init__(self, vocab_size, embedding_dim, output_size, kernel_dim=100, kernel_sizes=(3, 4, 5),
                     dropout=0.5):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embedding_dim)
            self.convs = nn.ModuleList([nn.Conv2d(1, kernel_dim, (K, embedding_dim)) for K in kernel_sizes])
            self.dropout = nn.Dropout(dropout)
            self.fc = nn.Linear(len(kernel_sizes) * kernel_dim, output_size)

        def forward(self, inputs, is_training=False):
            inputs = self.embedding(inputs).unsqueeze(1)  # (B,1,T,D)
            inputs = [F.relu(conv(inputs)).squeeze(3) for conv in self.convs]  # [(N,Co,W), ...]*len(Ks)
            inputs = [F.max_pool1d(i, i.size(2)).squeeze(2) for i in inputs]  # [(N,Co), ...]*len(Ks)
            concated = torch.cat(inputs, 1)
            if is_training:
                concated = self.dropout(concated)  # (N,len(Ks)*Co)
            out = self.fc(concated)
            if log_softmax:
                return F.log_softmax(out, 1)
            return out

    return CNNClassifier(5000, 300, 2), nn.CrossEntropyLoss()


def dsksd_cnn_classifier_log_softmax():
    # https://github.com/DSKSD/DeepNLP-models-Pytorch/issues/11 (log_softmax output into nn.CrossEntropyLoss)
    return _dsksd_cnn_classifier(log_softmax=True)


def dsksd_cnn_classifier_log_softmax_fix():
    return _dsksd_cnn_classifier(log_softmax=False)


def vinhkhuc_logistic_regression_softmax():
    # https://github.com/vinhkhuc/PyTorch-Mini-Tutorials/issues/1 (2_logistic_regression.py: nn.Softmax() as the
    # last module, trained with nn.CrossEntropyLoss; MNIST flattened to 784 features)
    model = torch.nn.Sequential()
    model.add_module("linear", torch.nn.Linear(784, 10, bias=False))
    model.add_module("softmax", torch.nn.Softmax())
    return model, torch.nn.CrossEntropyLoss()


def vinhkhuc_logistic_regression_softmax_fix():
    # the fix the maintainer made: no softmax module
    model = torch.nn.Sequential()
    model.add_module("linear", torch.nn.Linear(784, 10, bias=False))
    return model, torch.nn.CrossEntropyLoss()


def _chongwar_vgg16(softmax: bool):
    # https://github.com/chongwar/vgg16-pytorch/blob/master/vgg16.py (32x32 images, 4 classes, nn.CrossEntropyLoss)
    def block(cin, cout, convs):
        layers = []
        for i in range(convs):
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, kernel_size=(3, 3), stride=(1, 1), padding=1),
                       nn.BatchNorm2d(cout), nn.ReLU()]
        return nn.Sequential(*layers, nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2)))

    class VGG16(nn.Module):
        def __init__(self, num_classes):
            super().__init__()
            self.block_1 = block(3, 64, 2)
            self.block_2 = block(64, 128, 2)
            self.block_3 = block(128, 256, 3)
            self.block_4 = block(256, 512, 3)
            self.block_5 = block(512, 512, 3)
            self.classifier = nn.Sequential(
                nn.Linear(512, 4096),
                nn.ReLU(True),
                nn.Dropout(p=0.65),
                nn.Linear(4096, 4096),
                nn.ReLU(True),
                nn.Dropout(p=0.65),
                nn.Linear(4096, num_classes),
            )

        def forward(self, x):
            x = self.block_1(x)
            x = self.block_2(x)
            x = self.block_3(x)
            x = self.block_4(x)
            x = self.block_5(x)
            x = x.view(x.size(0), -1)
            logits = self.classifier(x)
            if softmax:
                probas = F.softmax(logits, dim=1)
                return probas
            return logits

    return VGG16(num_classes=4), nn.CrossEntropyLoss()


def chongwar_vgg16_softmax_cross_entropy():
    # F.softmax probabilities go to nn.CrossEntropyLoss (the program keeps "# return logits" commented out)
    return _chongwar_vgg16(softmax=True)


def chongwar_vgg16_softmax_cross_entropy_fix():
    return _chongwar_vgg16(softmax=False)


def _packt_multiclass(log_softmax: bool):
    # https://github.com/PacktPublishing/PyTorch-Ultimate-2023---From-Basics-to-Cutting-Edge/pull/3
    # (045_Classification/MultiClassClassification_end.py: iris, 4 features, 6 hidden, 3 classes;
    # nn.LogSoftmax(dim=1) output trained with nn.CrossEntropyLoss())
    class MultiClassNet(nn.Module):
        def __init__(self, NUM_FEATURES, NUM_CLASSES, HIDDEN_FEATURES):
            super().__init__()
            self.lin1 = nn.Linear(NUM_FEATURES, HIDDEN_FEATURES)
            self.lin2 = nn.Linear(HIDDEN_FEATURES, NUM_CLASSES)
            self.log_softmax = nn.LogSoftmax(dim=1)

        def forward(self, x):
            x = self.lin1(x)
            x = torch.sigmoid(x)
            x = self.lin2(x)
            if log_softmax:
                x = self.log_softmax(x)
            return x

    return MultiClassNet(4, 3, 6), nn.CrossEntropyLoss()


def packt_multiclass_log_softmax():
    return _packt_multiclass(log_softmax=True)


def packt_multiclass_log_softmax_fix():
    # the pull request: return the raw logits to nn.CrossEntropyLoss
    return _packt_multiclass(log_softmax=False)


def _pointnet_cls(dim: int):
    # https://github.com/fxia22/pointnet.pytorch/blob/master/pointnet/model.py (PointNetCls, k=2; loss F.nll_loss)
    class STN3d(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv1d(3, 64, 1)
            self.conv2 = torch.nn.Conv1d(64, 128, 1)
            self.conv3 = torch.nn.Conv1d(128, 1024, 1)
            self.fc1 = nn.Linear(1024, 512)
            self.fc2 = nn.Linear(512, 256)
            self.fc3 = nn.Linear(256, 9)
            self.relu = nn.ReLU()
            self.bn1 = nn.BatchNorm1d(64)
            self.bn2 = nn.BatchNorm1d(128)
            self.bn3 = nn.BatchNorm1d(1024)
            self.bn4 = nn.BatchNorm1d(512)
            self.bn5 = nn.BatchNorm1d(256)

        def forward(self, x):
            batchsize = x.size()[0]
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.relu(self.bn3(self.conv3(x)))
            x = torch.max(x, 2, keepdim=True)[0]
            x = x.view(-1, 1024)
            x = F.relu(self.bn4(self.fc1(x)))
            x = F.relu(self.bn5(self.fc2(x)))
            x = self.fc3(x)
            iden = torch.eye(3, device=x.device).flatten().view(1, 9).repeat(batchsize, 1)
            x = x + iden
            x = x.view(-1, 3, 3)
            return x

    class PointNetfeat(nn.Module):
        def __init__(self):
            super().__init__()
            self.stn = STN3d()
            self.conv1 = torch.nn.Conv1d(3, 64, 1)
            self.conv2 = torch.nn.Conv1d(64, 128, 1)
            self.conv3 = torch.nn.Conv1d(128, 1024, 1)
            self.bn1 = nn.BatchNorm1d(64)
            self.bn2 = nn.BatchNorm1d(128)
            self.bn3 = nn.BatchNorm1d(1024)

        def forward(self, x):
            trans = self.stn(x)
            x = x.transpose(2, 1)
            x = torch.bmm(x, trans)
            x = x.transpose(2, 1)
            x = F.relu(self.bn1(self.conv1(x)))
            trans_feat = None
            x = F.relu(self.bn2(self.conv2(x)))
            x = self.bn3(self.conv3(x))
            x = torch.max(x, 2, keepdim=True)[0]
            x = x.view(-1, 1024)
            return x, trans, trans_feat

    class PointNetCls(nn.Module):
        def __init__(self, k=2):
            super().__init__()
            self.feat = PointNetfeat()
            self.fc1 = nn.Linear(1024, 512)
            self.fc2 = nn.Linear(512, 256)
            self.fc3 = nn.Linear(256, k)
            self.dropout = nn.Dropout(p=0.3)
            self.bn1 = nn.BatchNorm1d(512)
            self.bn2 = nn.BatchNorm1d(256)
            self.relu = nn.ReLU()

        def forward(self, x):
            x, trans, trans_feat = self.feat(x)
            x = F.relu(self.bn1(self.fc1(x)))
            x = F.relu(self.bn2(self.dropout(self.fc2(x))))
            x = self.fc3(x)
            return F.log_softmax(x, dim=dim), trans, trans_feat

    return PointNetCls(k=2), nn.NLLLoss()


def pointnet_log_softmax_batch_axis():
    # https://github.com/fxia22/pointnet.pytorch/issues/27 (F.log_softmax(x, dim=0): over the batch)
    return _pointnet_cls(dim=0)


def pointnet_log_softmax_batch_axis_fix():
    # the fix in master: dim=1
    return _pointnet_cls(dim=1)


def _msdocs_dense(dim: int):
    # https://github.com/MicrosoftDocs/pytorchfundamentals/issues/4
    # (computer-vision-pytorch/4-multilayer-dense-neural-networks.ipynb; trained with nn.NLLLoss())
    net = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 100),  # 784 inputs, 100 outputs
        nn.ReLU(),  # Activation Function
        nn.Linear(100, 10),  # 100 inputs, 10 outputs
        nn.LogSoftmax(dim=dim))
    return net, nn.NLLLoss()


def msdocs_dense_log_softmax_dim0():
    return _msdocs_dense(dim=0)


def msdocs_dense_log_softmax_dim0_fix():
    # https://github.com/MicrosoftDocs/pytorchfundamentals/pull/21 (the class axis)
    return _msdocs_dense(dim=-1)


def _msdocs_mynet(dim: int):
    # https://github.com/MicrosoftDocs/pytorchfundamentals/issues/4 (the same notebook's class-based network)
    from torch.nn.functional import log_softmax, relu

    class MyNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.hidden = nn.Linear(784, 100)
            self.out = nn.Linear(100, 10)

        def forward(self, x):
            x = self.flatten(x)
            x = self.hidden(x)
            x = relu(x)
            x = self.out(x)
            x = log_softmax(x, dim=dim)
            return x

    return MyNet(), nn.NLLLoss()


def msdocs_mynet_log_softmax_dim0():
    return _msdocs_mynet(dim=0)


def msdocs_mynet_log_softmax_dim0_fix():
    return _msdocs_mynet(dim=-1)


def _drl_policy(dim: int):
    # https://github.com/DeepReinforcementLearning/DeepReinforcementLearningInAction/issues/32
    # (Chapter 4, CartPole policy network: 4 state values in, 2 action probabilities out)
    l1, l2, l3 = 4, 150, 2
    model = torch.nn.Sequential(
        torch.nn.Linear(l1, l2),
        torch.nn.LeakyReLU(),
        torch.nn.Linear(l2, l3),
        torch.nn.Softmax(dim=dim),
    )
    return model


def drl_in_action_policy_softmax_dim0():
    return _drl_policy(dim=0)


def drl_in_action_policy_softmax_dim0_fix():
    # the fix the thread gives: Softmax(dim=1), unsqueeze(0) for a single state
    return _drl_policy(dim=1)


class _Swish(nn.Module):
    def forward(self, x):
        return x.mul(x.sigmoid())  # the repository's non-JIT swish


def _rexnet(squeeze_all: bool):
    # https://github.com/clovaai/rexnet/blob/master/rexnetv1.py (ReXNetV1; width_mult=0.5 and depth_mult=0.5
    # chosen to keep it small; features end in nn.AdaptiveAvgPool2d(1), the output is a 1x1 convolution)
    from math import ceil

    def conv_bn_act(out, in_channels, channels, kernel=1, stride=1, pad=0, num_group=1, active=True, relu6=False):
        out.append(nn.Conv2d(in_channels, channels, kernel, stride, pad, groups=num_group, bias=False))
        out.append(nn.BatchNorm2d(channels))
        if active:
            out.append(nn.ReLU6(inplace=True) if relu6 else nn.ReLU(inplace=True))

    def conv_bn_swish(out, in_channels, channels, kernel=1, stride=1, pad=0, num_group=1):
        out.append(nn.Conv2d(in_channels, channels, kernel, stride, pad, groups=num_group, bias=False))
        out.append(nn.BatchNorm2d(channels))
        out.append(_Swish())

    class LinearBottleneck(nn.Module):
        def __init__(self, in_channels, channels, t, stride):
            super().__init__()
            self.use_shortcut = stride == 1 and in_channels <= channels
            self.in_channels = in_channels
            out = []
            if t != 1:
                dw_channels = in_channels * t
                conv_bn_swish(out, in_channels=in_channels, channels=dw_channels)
            else:
                dw_channels = in_channels
            conv_bn_act(out, in_channels=dw_channels, channels=dw_channels, kernel=3, stride=stride, pad=1,
                        num_group=dw_channels, active=False)
            out.append(nn.ReLU6())
            conv_bn_act(out, in_channels=dw_channels, channels=channels, active=False, relu6=True)
            self.out = nn.Sequential(*out)

        def forward(self, x):
            out = self.out(x)
            if self.use_shortcut:
                out[:, 0:self.in_channels] += x
            return out

    class ReXNetV1(nn.Module):
        def __init__(self, input_ch=16, final_ch=180, width_mult=0.5, depth_mult=0.5, classes=1000,
                     dropout_ratio=0.2):
            super().__init__()
            layers = [1, 2, 2, 3, 3, 5]
            strides = [1, 2, 2, 2, 1, 2]
            layers = [ceil(element * depth_mult) for element in layers]
            strides = sum([[element] + [1] * (layers[idx] - 1) for idx, element in enumerate(strides)], [])
            ts = [1] * layers[0] + [6] * sum(layers[1:])
            self.depth = sum(layers[:]) * 3
            stem_channel = 32 / width_mult if width_mult < 1.0 else 32
            inplanes = input_ch / width_mult if width_mult < 1.0 else input_ch
            features, in_channels_group, channels_group = [], [], []
            for i in range(self.depth // 3):
                if i == 0:
                    in_channels_group.append(int(round(stem_channel * width_mult)))
                    channels_group.append(int(round(inplanes * width_mult)))
                else:
                    in_channels_group.append(int(round(inplanes * width_mult)))
                    inplanes += final_ch / (self.depth // 3 * 1.0)
                    channels_group.append(int(round(inplanes * width_mult)))
            conv_bn_swish(features, 3, int(round(stem_channel * width_mult)), kernel=3, stride=2, pad=1)
            for in_c, c, t, s in zip(in_channels_group, channels_group, ts, strides):
                features.append(LinearBottleneck(in_channels=in_c, channels=c, t=t, stride=s))
            pen_channels = int(1280 * width_mult)
            conv_bn_swish(features, c, pen_channels)
            features.append(nn.AdaptiveAvgPool2d(1))
            self.features = nn.Sequential(*features)
            self.output = nn.Sequential(
                nn.Dropout(dropout_ratio),
                nn.Conv2d(pen_channels, classes, 1, bias=True))

        def forward(self, x):
            x = self.features(x)
            if squeeze_all:
                x = self.output(x).squeeze()
            else:
                x = self.output(x).flatten(1)
            return x

    return ReXNetV1(), nn.CrossEntropyLoss()


def rexnet_squeeze_drops_batch():
    # https://github.com/clovaai/rexnet/pull/20 (.squeeze() also removes the batch axis of a single image)
    return _rexnet(squeeze_all=True)


def rexnet_squeeze_drops_batch_fix():
    # the pull request: flatten instead of squeeze
    return _rexnet(squeeze_all=False)


def resnet_children_sequential_no_flatten():
    # https://github.com/pytorch/pytorch/issues/15129 (nn.Sequential(*list(resnet.children())): the flatten in
    # ResNet.forward is lost, so fc meets the (N, C, 1, 1) pooled map; resnet18 instead of resnet101)
    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.resnet = nn.Sequential(*list(torchvision.models.resnet18(weights=None).children()))

        def forward(self, x):
            x = self.resnet(x)
            return x

    return ResNet(), nn.CrossEntropyLoss()


def resnet_children_sequential_no_flatten_fix():
    # the answer: put nn.Flatten() back between the pool and fc
    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            children = list(torchvision.models.resnet18(weights=None).children())
            self.resnet = nn.Sequential(*children[:-1], nn.Flatten(), children[-1])

        def forward(self, x):
            x = self.resnet(x)
            return x

    return ResNet(), nn.CrossEntropyLoss()


def _resnet18_two_class():
    # https://github.com/pytorch/pytorch/issues/51320 (build_model: resnet18 with a 100-unit hidden fc, 2 classes)
    model = torchvision.models.resnet18(weights=None)
    n_features = model.fc.in_features
    n_hidden = 100
    model.fc = torch.nn.Sequential(
        torch.nn.Linear(n_features, n_hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(n_hidden, 2),
    )
    return model


def resnet18_children_encoder_custom_fc():
    # the same thread: encoder = nn.Sequential(*list(model.children())) fails where model(x) works
    modules = list(_resnet18_two_class().children())
    encoder = nn.Sequential(*modules)
    return encoder, nn.CrossEntropyLoss()


def resnet18_children_encoder_custom_fc_fix():
    # the model itself, whose forward flattens before fc
    return _resnet18_two_class(), nn.CrossEntropyLoss()


def _stackoverflow_lenet(in_features: int):
    # https://stackoverflow.com/questions/53784998 (the tutorial's network on 3x1200x800 images, 3 classes)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 5)
            self.conv2 = nn.Conv2d(8, 16, 5)
            self.fc1 = nn.Linear(in_features, 3)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, self.num_flat_features(x))
            x = self.fc1(x)
            return x

        def num_flat_features(self, x):
            size = x.size()[1:]  # all dimensions except the batch dimension
            num_features = 1
            for s in size:
                num_features *= s
            return num_features

    return Net(), nn.CrossEntropyLoss()


def stackoverflow_linear_400_large_image():
    # nn.Linear(400, 3) kept from the 32x32 tutorial: "size mismatch, m1: [1 x 936144], m2: [400 x 3]"
    return _stackoverflow_lenet(400)


def stackoverflow_linear_400_large_image_fix():
    # the answer: n_features_lin == n_features_conv * height * width (16 * 297 * 197)
    return _stackoverflow_lenet(16 * 297 * 197)


def _androidkt_cnn(in_features: int):
    # https://androidkt.com/fix-runtimeerror-mat1-and-mat2-shapes-cannot-be-multiplied/ (MNIST, 10 classes)
    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Sequential(
                nn.Conv2d(in_channels=1, out_channels=16, kernel_size=5, stride=1, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2))
            self.conv2 = nn.Sequential(
                nn.Conv2d(16, 32, 5, 1, 2),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            # fully connected layer, output 10 classes
            self.out = nn.Linear(in_features, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = self.conv2(x)
            # flatten the output of conv2 to (batch_size, 32 * 7 * 7)
            x = x.view(x.size(0), -1)
            output = self.out(x)
            return output, x  # return x for visualization

    return CNN(), nn.CrossEntropyLoss()


def androidkt_cnn_linear_1050():
    # "mat1 and mat2 shapes cannot be multiplied (2x1568 and 1050x10)"
    return _androidkt_cnn(1050)


def androidkt_cnn_linear_1050_fix():
    # the page's fix: nn.Linear(32 * 7 * 7, 10)
    return _androidkt_cnn(32 * 7 * 7)


def _avalanche_simple_cnn(squeeze: bool):
    # https://github.com/ContinualAI/avalanche/blob/master/avalanche/models/simple_cnn.py (SimpleCNN, 10 classes)
    class SimpleCNN(nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 32, kernel_size=3, stride=1, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(32, 32, kernel_size=3, padding=0),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.Dropout(p=0.25),
                nn.Conv2d(32, 64, kernel_size=3, padding=1),
                nn.ReLU(inplace=True),
                nn.Conv2d(64, 64, kernel_size=3, padding=0),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.Dropout(p=0.25),
                nn.Conv2d(64, 64, kernel_size=1, padding=0),
                nn.ReLU(inplace=True),
                nn.AdaptiveMaxPool2d(1),
                nn.Dropout(p=0.25),
            )
            self.classifier = nn.Sequential(nn.Linear(64, num_classes))

        def forward(self, x):
            x = self.features(x)
            if squeeze:
                x = x.squeeze()
            else:
                x = x.view(x.size(0), -1)
            x = self.classifier(x)
            return x

    return SimpleCNN(), nn.CrossEntropyLoss()


def avalanche_simplecnn_squeeze():
    # https://github.com/ContinualAI/avalanche/pull/526 ("removes all the dimensions with size 1. This removed
    # also batch size")
    return _avalanche_simple_cnn(squeeze=True)


def avalanche_simplecnn_squeeze_fix():
    # the pull request: x.view(x.size(0), -1)
    return _avalanche_simple_cnn(squeeze=False)


def _cutout_wide_resnet(adaptive: bool):
    # https://github.com/uoguelph-mlrg/Cutout/blob/master/model/wide_resnet.py (WideResNet for 32x32 CIFAR;
    # depth 16, widen_factor 2 chosen to keep it small)
    class BasicBlock(nn.Module):
        def __init__(self, in_planes, out_planes, stride, dropRate=0.0):
            super().__init__()
            self.bn1 = nn.BatchNorm2d(in_planes)
            self.relu1 = nn.ReLU(inplace=True)
            self.conv1 = nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(out_planes)
            self.relu2 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(out_planes, out_planes, kernel_size=3, stride=1, padding=1, bias=False)
            self.droprate = dropRate
            self.equalInOut = (in_planes == out_planes)
            self.convShortcut = (not self.equalInOut) and nn.Conv2d(in_planes, out_planes, kernel_size=1,
                                                                    stride=stride, padding=0, bias=False) or None

        def forward(self, x):
            if not self.equalInOut:
                x = self.relu1(self.bn1(x))
            else:
                out = self.relu1(self.bn1(x))
            out = self.relu2(self.bn2(self.conv1(out if self.equalInOut else x)))
            if self.droprate > 0:
                out = F.dropout(out, p=self.droprate, training=self.training)
            out = self.conv2(out)
            return torch.add(x if self.equalInOut else self.convShortcut(x), out)

    class NetworkBlock(nn.Module):
        def __init__(self, nb_layers, in_planes, out_planes, block, stride, dropRate=0.0):
            super().__init__()
            self.layer = nn.Sequential(*[block(i == 0 and in_planes or out_planes, out_planes,
                                               i == 0 and stride or 1, dropRate) for i in range(nb_layers)])

        def forward(self, x):
            return self.layer(x)

    class WideResNet(nn.Module):
        def __init__(self, depth, num_classes, widen_factor=1, dropRate=0.0):
            super().__init__()
            nChannels = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
            n = (depth - 4) // 6
            self.conv1 = nn.Conv2d(3, nChannels[0], kernel_size=3, stride=1, padding=1, bias=False)
            self.block1 = NetworkBlock(n, nChannels[0], nChannels[1], BasicBlock, 1, dropRate)
            self.block2 = NetworkBlock(n, nChannels[1], nChannels[2], BasicBlock, 2, dropRate)
            self.block3 = NetworkBlock(n, nChannels[2], nChannels[3], BasicBlock, 2, dropRate)
            self.bn1 = nn.BatchNorm2d(nChannels[3])
            self.relu = nn.ReLU(inplace=True)
            self.fc = nn.Linear(nChannels[3], num_classes)
            self.nChannels = nChannels[3]

        def forward(self, x):
            out = self.conv1(x)
            out = self.block1(out)
            out = self.block2(out)
            out = self.block3(out)
            out = self.relu(self.bn1(out))
            if adaptive:
                out = F.adaptive_avg_pool2d(out, 1)
            else:
                out = F.avg_pool2d(out, 8)
            out = out.view(-1, self.nChannels)
            return self.fc(out)

    return WideResNet(depth=16, num_classes=10, widen_factor=2, dropRate=0.3), nn.CrossEntropyLoss()


def cutout_wideresnet_avgpool8_view():
    # https://github.com/uoguelph-mlrg/Cutout/issues/16 ("Expected input batch_size (128) to match target
    # batch_size (32)": on images larger than 32, F.avg_pool2d(out, 8) leaves a 2x2 map and
    # out.view(-1, self.nChannels) folds it into the batch)
    return _cutout_wide_resnet(adaptive=False)


def cutout_wideresnet_avgpool8_view_fix():
    # pool the whole map, as avg_pool2d(out, 8) does at 32x32
    return _cutout_wide_resnet(adaptive=True)


def _lanedet_exist_head(sigmoid: bool):
    # https://github.com/Turoad/lanedet/blob/main/lanedet/models/heads/exist_head.py (ExistHead; cfg of the
    # CULane configs: 800x288 images, stride-8 feature map of 128 channels, 5 classes; the backbone reduced to a
    # stride-8 stem; trained with nn.BCEWithLogitsLoss())
    class Cfg:
        featuremap_out_channel, featuremap_out_stride = 128, 8
        num_classes, img_width, img_height = 5, 800, 288

    class ExistHead(nn.Module):
        def __init__(self, cfg=None):
            super().__init__()
            self.cfg = cfg
            self.dropout = nn.Dropout2d(0.1)
            self.conv8 = nn.Conv2d(cfg.featuremap_out_channel, cfg.num_classes, 1)
            stride = cfg.featuremap_out_stride * 2
            self.fc9 = nn.Linear(int(cfg.num_classes * cfg.img_width / stride * cfg.img_height / stride), 128)
            self.fc10 = nn.Linear(128, cfg.num_classes - 1)

        def forward(self, x):
            x = self.dropout(x)
            x = self.conv8(x)
            x = F.softmax(x, dim=1)
            x = F.avg_pool2d(x, 2, stride=2, padding=0)
            x = x.view(-1, x.numel() // x.shape[0])
            x = self.fc9(x)
            x = F.relu(x)
            x = self.fc10(x)
            if sigmoid:
                x = torch.sigmoid(x)
            output = {'exist': x}
            return output

    class Detector(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = nn.Sequential(nn.Conv2d(3, 64, 3, 2, 1), nn.ReLU(), nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(),
                                          nn.Conv2d(128, 128, 3, 2, 1), nn.ReLU())
            self.heads = ExistHead(Cfg())

        def forward(self, x):
            return self.heads(self.backbone(x))

    return Detector(), nn.BCEWithLogitsLoss()


def lanedet_exist_head_sigmoid_bce_with_logits():
    # https://github.com/Turoad/lanedet/issues/32 ("the sigmoid function was used twice": torch.sigmoid in the
    # head, nn.BCEWithLogitsLoss in the loss)
    return _lanedet_exist_head(sigmoid=True)


def lanedet_exist_head_sigmoid_bce_with_logits_fix():
    return _lanedet_exist_head(sigmoid=False)


def _fashion_mnist_classifier(relu_after_linear: bool):
    # https://stackoverflow.com/questions/58050105 (FashionMnistClassifier(1, 10) with nn.CrossEntropyLoss();
    # .cuda(device) calls left out)
    class FashionMnistClassifier(nn.Module):
        def __init__(self, n_inputs, n_out):
            super().__init__()
            self.cnn1 = nn.Conv2d(n_inputs, out_channels=32, kernel_size=5)
            self.cnn2 = nn.Conv2d(32, out_channels=64, kernel_size=5)
            self.fc1 = nn.Linear(64 * 4 * 4, out_features=100)
            self.fc2 = nn.Linear(100, out_features=n_out)
            self.relu = nn.ReLU()
            self.pool = nn.MaxPool2d(kernel_size=2)
            self.soft_max = nn.Softmax()

        def forward(self, x):
            out = self.relu(self.cnn1(x))
            out = self.pool(out)
            out = self.relu(self.cnn2(out))
            out = self.pool(out)
            out = self.fc1(out.view(out.size(0), -1))
            if relu_after_linear:
                out = self.relu(out)
            out = self.fc2(out)
            if relu_after_linear:
                out = self.relu(out)  # the accuracy drops from 90% to 50% with these lines
            return out

    return FashionMnistClassifier(1, 10), nn.CrossEntropyLoss()


def stackoverflow_fashion_relu_on_logits():
    return _fashion_mnist_classifier(relu_after_linear=True)


def stackoverflow_fashion_relu_on_logits_fix():
    # the answer: no ReLU on the last layer's outputs
    return _fashion_mnist_classifier(relu_after_linear=False)


def convnext_out_features_assignment():
    # https://github.com/facebookresearch/ConvNeXt/issues/110 (model_ft.classifier[2].out_features = num_classes
    # changes an attribute, not the weights: "the output has dimensions of batch_size x 1,000"; 2 classes)
    model_ft = torchvision.models.convnext_tiny(weights=None)
    model_ft.classifier[2].out_features = 2
    return model_ft, nn.CrossEntropyLoss()


def convnext_out_features_assignment_fix():
    # replace the layer instead
    model_ft = torchvision.models.convnext_tiny(weights=None)
    model_ft.classifier[2] = nn.Linear(model_ft.classifier[2].in_features, 2)
    return model_ft, nn.CrossEntropyLoss()


def _lucidrains_vit(pool: str, skip_cls: bool = False):
    # https://github.com/lucidrains/vit-pytorch/blob/main/vit_pytorch/vit.py (ViT; image 64, patch 16, dim 64,
    # depth 2, heads 4, 5 classes chosen small; einops' rearrange/repeat written with view/permute/expand)
    class FeedForward(nn.Module):
        def __init__(self, dim, hidden_dim, dropout=0.):
            super().__init__()
            self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden_dim), nn.GELU(), nn.Dropout(dropout),
                                     nn.Linear(hidden_dim, dim), nn.Dropout(dropout))

        def forward(self, x):
            return self.net(x)

    class Attention(nn.Module):
        def __init__(self, dim, heads=8, dim_head=64, dropout=0.):
            super().__init__()
            inner_dim = dim_head * heads
            self.heads = heads
            self.scale = dim_head ** -0.5
            self.norm = nn.LayerNorm(dim)
            self.attend = nn.Softmax(dim=-1)
            self.dropout = nn.Dropout(dropout)
            self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
            self.to_out = nn.Sequential(nn.Linear(inner_dim, dim), nn.Dropout(dropout))

        def forward(self, x):
            x = self.norm(x)
            b, n, _ = x.shape
            qkv = self.to_qkv(x).chunk(3, dim=-1)
            q, k, v = (t.view(b, n, self.heads, -1).permute(0, 2, 1, 3) for t in qkv)  # b n (h d) -> b h n d
            dots = torch.matmul(q, k.transpose(-1, -2)) * self.scale
            attn = self.attend(dots)
            attn = self.dropout(attn)
            out = torch.matmul(attn, v)
            out = out.permute(0, 2, 1, 3).reshape(b, n, -1)  # b h n d -> b n (h d)
            return self.to_out(out)

    class Transformer(nn.Module):
        def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.):
            super().__init__()
            self.norm = nn.LayerNorm(dim)
            self.layers = nn.ModuleList([nn.ModuleList([Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout),
                                                        FeedForward(dim, mlp_dim, dropout=dropout)])
                                         for _ in range(depth)])

        def forward(self, x):
            for attn, ff in self.layers:
                x = attn(x) + x
                x = ff(x) + x
            return self.norm(x)

    class Patches(nn.Module):
        """Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)')"""

        def __init__(self, p):
            super().__init__()
            self.p = p

        def forward(self, x):
            b, c, h, w = x.shape
            p = self.p
            x = x.view(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
            return x.reshape(b, (h // p) * (w // p), p * p * c)

    class ViT(nn.Module):
        def __init__(self, *, image_size, patch_size, num_classes, dim, depth, heads, mlp_dim, pool='cls',
                     channels=3, dim_head=64, dropout=0., emb_dropout=0.):
            super().__init__()
            num_patches = (image_size // patch_size) ** 2
            patch_dim = channels * patch_size * patch_size
            self.to_patch_embedding = nn.Sequential(Patches(patch_size), nn.LayerNorm(patch_dim),
                                                    nn.Linear(patch_dim, dim), nn.LayerNorm(dim))
            self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, dim))
            self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
            self.dropout = nn.Dropout(emb_dropout)
            self.transformer = Transformer(dim, depth, heads, dim_head, mlp_dim, dropout)
            self.pool = pool
            self.to_latent = nn.Identity()
            self.mlp_head = nn.Linear(dim, num_classes)

        def forward(self, img):
            x = self.to_patch_embedding(img)
            b, n, _ = x.shape
            cls_tokens = self.cls_token.expand(b, -1, -1)  # repeat(self.cls_token, '1 1 d -> b 1 d', b = b)
            x = torch.cat((cls_tokens, x), dim=1)
            x += self.pos_embedding[:, :(n + 1)]
            x = self.dropout(x)
            x = self.transformer(x)
            if skip_cls:
                x = x[:, 1:].mean(dim=1)
            else:
                x = x.mean(dim=1) if self.pool == 'mean' else x[:, 0]
            x = self.to_latent(x)
            return self.mlp_head(x)

    return (ViT(image_size=64, patch_size=16, num_classes=5, dim=64, depth=2, heads=4, mlp_dim=128, pool=pool,
                dim_head=16), nn.CrossEntropyLoss())


def lucidrains_vit_mean_pool_includes_cls():
    # https://github.com/lucidrains/vit-pytorch/issues/226 ("if the global pooling is mean, the cls token
    # contributes to the mean as well")
    return _lucidrains_vit(pool="mean")


def lucidrains_vit_mean_pool_includes_cls_fix():
    # the mean over the patch tokens only
    return _lucidrains_vit(pool="mean", skip_cls=True)


def lucidrains_vit_cls_pool():
    # the same program with its default pool='cls': x[:, 0] is the class token
    return _lucidrains_vit(pool="cls")


def _xunfei_resnext(in_features: int):
    # https://e-com-net.com/article/1689075049153245184.htm ("mat1 and mat2 shapes cannot be multiplied
    # (30x2048 and 512x2)": a resnet18 head size on resnext50_32x4d)
    class XunFeiNet(nn.Module):
        def __init__(self):
            super().__init__()
            model = torchvision.models.resnext50_32x4d(weights=None)
            model.avgpool = nn.AdaptiveAvgPool2d(1)
            model.fc = nn.Linear(in_features, 2)
            self.Resnext = model

        def forward(self, img):
            out = self.Resnext(img)
            return out

    return XunFeiNet(), nn.CrossEntropyLoss()


def xunfei_resnext50_fc_512():
    return _xunfei_resnext(512)


def xunfei_resnext50_fc_512_fix():
    # the article's fix: the fc takes the 2048 features resnext50 gives
    return _xunfei_resnext(2048)


def _opendataval_logistic_regression(sigmoid: bool):
    # https://github.com/opendataval/opendataval/blob/main/opendataval/model/logistic_regression.py
    # (criterion F.cross_entropy when num_classes > 2; 10 features and 3 classes chosen)
    class LogisticRegression(nn.Module):
        def __init__(self, input_dim: int, num_classes: int):
            super().__init__()
            self.input_dim = input_dim
            self.num_of_classes = num_classes
            self.linear = nn.Linear(self.input_dim, self.num_of_classes)

        def forward(self, x):
            x = self.linear(x)
            if sigmoid:
                x = F.sigmoid(x)
            return x

    return LogisticRegression(10, 3), nn.CrossEntropyLoss()


def opendataval_logistic_sigmoid_cross_entropy():
    # https://github.com/opendataval/opendataval/issues/25 (F.sigmoid outputs trained with F.cross_entropy)
    return _opendataval_logistic_regression(sigmoid=True)


def opendataval_logistic_sigmoid_cross_entropy_fix():
    # the report: no activation before the cross-entropy
    return _opendataval_logistic_regression(sigmoid=False)


def _acgan_discriminator(log_softmax: bool):
    # https://github.com/clvrai/ACGAN-PyTorch/blob/master/network.py (_netD_CIFAR10, ngpu=1, 10 classes;
    # aux_criterion = nn.NLLLoss() on the classes output)
    def block(cin, cout, stride, padding, bn=True):
        layers = [nn.Conv2d(cin, cout, 3, stride, padding, bias=False)]
        if bn:
            layers.append(nn.BatchNorm2d(cout))
        return nn.Sequential(*layers, nn.LeakyReLU(0.2, inplace=True), nn.Dropout(0.5, inplace=False))

    class _netD_CIFAR10(nn.Module):
        def __init__(self, ngpu, num_classes=10):
            super().__init__()
            self.ngpu = ngpu
            self.conv1 = block(3, 16, 2, 1, bn=False)
            self.conv2 = block(16, 32, 1, 1)
            self.conv3 = block(32, 64, 2, 1)
            self.conv4 = block(64, 128, 1, 1)
            self.conv5 = block(128, 256, 2, 1)
            self.conv6 = block(256, 512, 1, 1)
            self.fc_dis = nn.Linear(4 * 4 * 512, 1)
            self.fc_aux = nn.Linear(4 * 4 * 512, num_classes)
            self.softmax = nn.LogSoftmax(dim=1) if log_softmax else nn.Softmax()
            self.sigmoid = nn.Sigmoid()

        def forward(self, input):
            conv1 = self.conv1(input)
            conv2 = self.conv2(conv1)
            conv3 = self.conv3(conv2)
            conv4 = self.conv4(conv3)
            conv5 = self.conv5(conv4)
            conv6 = self.conv6(conv5)
            flat6 = conv6.view(-1, 4 * 4 * 512)
            fc_dis = self.fc_dis(flat6)
            fc_aux = self.fc_aux(flat6)
            classes = self.softmax(fc_aux)
            realfake = self.sigmoid(fc_dis).view(-1, 1).squeeze(1)
            return realfake, classes

    return _netD_CIFAR10(ngpu=1), nn.NLLLoss()


def acgan_softmax_nll_loss():
    # https://github.com/clvrai/ACGAN-PyTorch/issues/3 (nn.Softmax() outputs trained with nn.NLLLoss())
    return _acgan_discriminator(log_softmax=False)


def acgan_softmax_nll_loss_fix():
    # https://github.com/clvrai/ACGAN-PyTorch/pull/4 (LogSoftmax for NLLLoss)
    return _acgan_discriminator(log_softmax=True)


def _yongjincho_text_cnn(return_logits: bool):
    # https://github.com/yongjincho/cnn-text-classification-pytorch/blob/master/model.py (CnnTextClassifier;
    # config: vocabulary 5000, 128-d embeddings, 100 filters, 2 classes chosen; text_classifier.py trains
    # nn.CrossEntropyLoss() on the first output)
    emb_size, num_filters, num_classes = 128, 100, 2

    class CnnTextClassifier(nn.Module):
        def __init__(self, vocab_size, window_sizes=(3, 4, 5)):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.convs = nn.ModuleList([
                nn.Conv2d(1, num_filters, [window_size, emb_size], padding=(window_size - 1, 0))
                for window_size in window_sizes
            ])
            self.fc = nn.Linear(num_filters * len(window_sizes), num_classes)

        def forward(self, x):
            x = self.embedding(x)  # [B, T, E]
            x = torch.unsqueeze(x, 1)  # [B, C, T, E] Add a channel dim.
            xs = []
            for conv in self.convs:
                x2 = F.relu(conv(x))  # [B, F, T, 1]
                x2 = torch.squeeze(x2, -1)  # [B, F, T]
                x2 = F.max_pool1d(x2, x2.size(2))  # [B, F, 1]
                xs.append(x2)
            x = torch.cat(xs, 2)  # [B, F, window]
            x = x.view(x.size(0), -1)  # [B, F * window]
            logits = self.fc(x)  # [B, class]
            probs = F.softmax(logits)  # [B, class]
            classes = torch.max(probs, 1)  # [B]
            if return_logits:
                return logits, classes
            return probs, classes

    return CnnTextClassifier(5000), nn.CrossEntropyLoss()


def yongjincho_text_cnn_softmax_cross_entropy():
    # https://github.com/yongjincho/cnn-text-classification-pytorch/issues/1 ("F.softmax(logits) and
    # CrossEntropyLoss() used together is wrong?")
    return _yongjincho_text_cnn(return_logits=False)


def yongjincho_text_cnn_softmax_cross_entropy_fix():
    # the logits go to the loss; the probabilities stay for prediction
    return _yongjincho_text_cnn(return_logits=True)


def _euclidesdb_resnet18(dim: int):
    # https://github.com/perone/euclidesdb/blob/master/models/resnet18/resnet_trace.py (ResnetFeature: class
    # probabilities and the pooled features, for similarity search; no training loss)
    from torchvision.models import resnet

    class ResnetFeature(resnet.ResNet):
        def forward(self, x):
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.maxpool(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x = self.avgpool(x)
            x_feat = x.view(x.size(0), -1)
            x = self.fc(x_feat)
            x = F.softmax(x, dim=dim)
            return x, x_feat

    return ResnetFeature(resnet.BasicBlock, [2, 2, 2, 2])


def euclidesdb_resnet18_softmax_dim0():
    # https://github.com/perone/euclidesdb/issues/2 ("The models are softmax'ing using dim=0, however, the
    # correct one is dim=1")
    return _euclidesdb_resnet18(dim=0)


def euclidesdb_resnet18_softmax_dim0_fix():
    # the fix (commit 321e93e): dim=1
    return _euclidesdb_resnet18(dim=1)


def _dinov2_registers_classifier(skip_registers: bool):
    # https://github.com/huggingface/transformers/issues/37817 (Dinov2WithRegistersForImageClassification as of
    # transformers 4.48: the class token concatenated with the mean of sequence_output[:, 1:], which still holds
    # the register tokens); a tiny Dinov2WithRegistersConfig, 3 labels
    from transformers import Dinov2WithRegistersConfig, Dinov2WithRegistersModel

    class Classifier(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.dinov2_with_registers = Dinov2WithRegistersModel(config)
            self.classifier = nn.Linear(config.hidden_size * 2, config.num_labels)

        def forward(self, pixel_values):
            outputs = self.dinov2_with_registers(pixel_values)
            sequence_output = outputs[0]  # batch_size, sequence_length, hidden_size
            cls_token = sequence_output[:, 0]
            if skip_registers:
                patch_tokens = sequence_output[:, 1 + self.config.num_register_tokens:]
            else:
                patch_tokens = sequence_output[:, 1:]
            linear_input = torch.cat([cls_token, patch_tokens.mean(dim=1)], dim=1)
            logits = self.classifier(linear_input)
            return logits

    config = Dinov2WithRegistersConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                                       num_attention_heads=2, mlp_ratio=2, num_register_tokens=4, num_labels=3)
    return Classifier(config), nn.CrossEntropyLoss()


def dinov2_registers_mean_includes_registers():
    return _dinov2_registers_classifier(skip_registers=False)


def dinov2_registers_mean_includes_registers_fix():
    # the fix the report proposes (and transformers adopted): skip 1 + num_register_tokens
    return _dinov2_registers_classifier(skip_registers=True)


def hf_dinov2_registers_for_image_classification():
    # https://huggingface.co/docs/transformers/model_doc/dinov2_with_registers (the library's classifier today)
    from transformers import Dinov2WithRegistersConfig, Dinov2WithRegistersForImageClassification

    config = Dinov2WithRegistersConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                                       num_attention_heads=2, mlp_ratio=2, num_register_tokens=4, num_labels=3)
    return Dinov2WithRegistersForImageClassification(config), nn.CrossEntropyLoss()


def hf_siglip_for_image_classification():
    # https://huggingface.co/docs/transformers/model_doc/siglip (SiglipForImageClassification: mean over all
    # patch tokens, SigLIP has no class token); a tiny SiglipConfig
    from transformers import SiglipConfig, SiglipForImageClassification

    config = SiglipConfig(vision_config=dict(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                                             num_attention_heads=2, intermediate_size=64),
                          text_config=dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                           intermediate_size=64, bos_token_id=1, eos_token_id=2, pad_token_id=1),
                          num_labels=3)
    return SiglipForImageClassification(config), nn.CrossEntropyLoss()


def _siglip_linear_probe(use_pooler: bool):
    # https://github.com/google-research/big_vision/issues/145 ("I want to get the token of siglip like the cls
    # token in CLIP" - "SigLIP has a MAP head (attention pooling head) instead of a CLS token"): a linear probe on
    # SiglipVisionModel, written as CLIP probes are; a tiny SiglipVisionConfig, 3 classes
    from transformers import SiglipVisionConfig, SiglipVisionModel

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            config = SiglipVisionConfig(image_size=64, patch_size=16, hidden_size=32, num_hidden_layers=2,
                                        num_attention_heads=2, intermediate_size=64)
            self.vision = SiglipVisionModel(config)
            self.head = nn.Linear(config.hidden_size, 3)

        def forward(self, pixel_values):
            outputs = self.vision(pixel_values=pixel_values)
            if use_pooler:
                features = outputs.pooler_output
            else:
                features = outputs.last_hidden_state[:, 0]
            return self.head(features)

    return Probe(), nn.CrossEntropyLoss()


def siglip_probe_token_zero():
    return _siglip_linear_probe(use_pooler=False)


def siglip_probe_token_zero_fix():
    # the answer: the MAP head output (pooler_output)
    return _siglip_linear_probe(use_pooler=True)


def _chongwar_vgg16_224(adaptive: bool):
    # https://github.com/chongwar/vgg16-pytorch/issues/1 (the program resizes to 32x32; at 224x224 "the fc input
    # should be 7*7*512"); logits returned, as the program's commented "# return logits" line has it
    model, loss = _chongwar_vgg16(softmax=False)
    if adaptive:
        # the program's own commented-out lines: self.avgpool = nn.AdaptiveAvgPool2d((7, 7)) before the flatten
        model.block_5.append(nn.AdaptiveAvgPool2d((7, 7)))
        model.classifier[0] = nn.Linear(512 * 7 * 7, 4096)
    return model, loss


def chongwar_vgg16_flatten_fixes_size():
    return _chongwar_vgg16_224(adaptive=False)


def chongwar_vgg16_flatten_fixes_size_fix():
    return _chongwar_vgg16_224(adaptive=True)


def _pytorch_examples_mnist_2017(relu_on_fc2: bool):
    # https://github.com/pytorch/examples/blob/main/mnist/main.py as of March 2017 (Net; F.nll_loss; log_softmax
    # without dim, the class axis of a 2D output)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            if relu_on_fc2:
                x = F.relu(self.fc2(x))
            else:
                x = self.fc2(x)
            return F.log_softmax(x)

    return Net(), nn.NLLLoss()


def pytorch_examples_mnist_relu_before_log_softmax():
    # https://github.com/pytorch/examples/pull/117 ("softmax(relu(h_last)) is a very unusual thing to do")
    return _pytorch_examples_mnist_2017(relu_on_fc2=True)


def pytorch_examples_mnist_relu_before_log_softmax_fix():
    return _pytorch_examples_mnist_2017(relu_on_fc2=False)


def _lightning_transfer_learning(flatten: bool):
    # https://lightning.ai/docs/pytorch/stable/advanced/transfer_learning.html (ImagenetTransferLearning: CIFAR-10,
    # 10 classes; resnet18 instead of resnet50, the head reads num_filters from the backbone either way)
    class ImagenetTransferLearning(nn.Module):
        def __init__(self):
            super().__init__()
            backbone = torchvision.models.resnet18(weights=None)
            num_filters = backbone.fc.in_features
            layers = list(backbone.children())[:-1]
            self.feature_extractor = nn.Sequential(*layers)
            num_target_classes = 10
            self.classifier = nn.Linear(num_filters, num_target_classes)

        def forward(self, x):
            self.feature_extractor.eval()
            with torch.no_grad():
                representations = self.feature_extractor(x)
                if flatten:
                    representations = representations.flatten(1)
            x = self.classifier(representations)
            return x

    return ImagenetTransferLearning(), nn.CrossEntropyLoss()


def lightning_transfer_learning_no_flatten():
    # https://github.com/Lightning-AI/pytorch-lightning/issues/5231 ("RuntimeError: mat1 dim 1 must match mat2
    # dim 0": the children()[:-1] features keep their 1x1 map and the classifier meets it unflattened)
    return _lightning_transfer_learning(flatten=False)


def lightning_transfer_learning_no_flatten_fix():
    # the documentation today: self.feature_extractor(x).flatten(1)
    return _lightning_transfer_learning(flatten=True)


def _chexpert_densenet121(replace_inner: bool):
    # https://github.com/gaetandi/cheXpert (DenseNet121 wrapper: torchvision densenet121 with a
    # Linear(num_ftrs, 14) + Sigmoid classifier, nn.BCELoss)
    class DenseNet121(nn.Module):
        def __init__(self, out_size):
            super().__init__()
            self.densenet121 = torchvision.models.densenet121(weights=None)
            num_ftrs = self.densenet121.classifier.in_features
            self.densenet121.classifier = nn.Sequential(nn.Linear(num_ftrs, out_size), nn.Sigmoid())

        def forward(self, x):
            x = self.densenet121(x)
            return x

    model = DenseNet121(14)
    num_classes = 2
    if replace_inner:
        model.densenet121.classifier = nn.Sequential(nn.Linear(1024, num_classes), nn.Sigmoid())
    else:
        model.classifier = nn.Sequential(nn.Linear(1024, num_classes), nn.Sigmoid())
    return model, nn.BCELoss()


def chexpert_classifier_set_on_wrapper():
    # https://github.com/gaetandi/cheXpert/issues/3 ("I end up with just a 2nd classifier layer": the new
    # classifier is set on the wrapper, which never calls it; the model still gives 14 outputs for 2 classes)
    return _chexpert_densenet121(replace_inner=False)


def chexpert_classifier_set_on_wrapper_fix():
    # replace the classifier of the inner densenet121
    return _chexpert_densenet121(replace_inner=True)


def _adnet_vggm(in_features: int):
    # https://github.com/aseuteurideu/ADNet_pytorch/blob/master/models/vggm.py (VGG-M, made for 221x221;
    # ADNet feeds 112x112 patches)
    class SpatialCrossMapLRN(nn.Module):
        def __init__(self, local_size=1, alpha=1.0, beta=0.75, k=1):
            super().__init__()
            self.average = nn.AvgPool3d(kernel_size=(local_size, 1, 1), stride=1,
                                        padding=(int((local_size - 1.0) / 2), 0, 0))
            self.alpha, self.beta, self.k = alpha, beta, k

        def forward(self, x):
            div = x.pow(2).unsqueeze(1)
            div = self.average(div).squeeze(1)
            div = div.mul(self.alpha).add(self.k).pow(self.beta)
            x = x.div(div)
            return x

    class VGGM(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            self.num_classes = num_classes
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, (7, 7), (2, 2)),  # conv1
                nn.ReLU(),
                SpatialCrossMapLRN(5, 0.0005, 0.75, 2),
                nn.MaxPool2d((3, 3), (2, 2), (0, 0), ceil_mode=True),
                nn.Conv2d(96, 256, (5, 5), (2, 2), (1, 1)),  # conv2
                nn.ReLU(),
                SpatialCrossMapLRN(5, 0.0005, 0.75, 2),
                nn.MaxPool2d((3, 3), (2, 2), (0, 0), ceil_mode=True),
                nn.Conv2d(256, 512, (3, 3), (1, 1), (1, 1)),  # conv3
                nn.ReLU(),
                nn.Conv2d(512, 512, (3, 3), (1, 1), (1, 1)),  # conv4
                nn.ReLU(),
                nn.Conv2d(512, 512, (3, 3), (1, 1), (1, 1)),  # conv5
                nn.ReLU(),
                nn.MaxPool2d((3, 3), (2, 2), (0, 0), ceil_mode=True),
            )
            self.classifier = nn.Sequential(
                nn.Linear(in_features, 4096),
                nn.ReLU(),
                nn.Dropout(0.5),
                nn.Linear(4096, 4096),
                nn.ReLU(),
                nn.Dropout(0.5),
                nn.Linear(4096, num_classes),
            )

        def forward(self, x):
            x = self.features(x)
            x = x.view(x.size(0), -1)
            x = self.classifier(x)
            return x

    return VGGM(), nn.CrossEntropyLoss()


def adnet_vggm_linear_18432_at_112():
    # https://github.com/aseuteurideu/ADNet_pytorch/issues/3 ("the first layer should be nn.Linear(4608, 4096),
    # instead of nn.Linear(18432, 4096)" for 112x112 input)
    return _adnet_vggm(18432)


def adnet_vggm_linear_18432_at_112_fix():
    return _adnet_vggm(4608)


def _pytorch_examples_finetune(in_features):
    # https://github.com/pytorch/examples/pull/58 (FineTuneModel, resnet branch: "Everything except the last
    # linear layer" + nn.Linear(512, num_classes); resnet50 as --arch, 10 classes)
    class FineTuneModel(nn.Module):
        def __init__(self, original_model, num_classes):
            super().__init__()
            self.features = nn.Sequential(*list(original_model.children())[:-1])
            self.classifier = nn.Sequential(nn.Linear(in_features or original_model.fc.in_features, num_classes))

        def forward(self, x):
            f = self.features(x)
            f = f.view(f.size(0), -1)
            y = self.classifier(f)
            return y

    return FineTuneModel(torchvision.models.resnet50(weights=None), 10), nn.CrossEntropyLoss()


def pytorch_examples_finetune_resnet50_linear_512():
    # the review: "nn.Linear(512, num_classes) should be replaced by original_model.fc.in_features to be generic
    # to all resnets"
    return _pytorch_examples_finetune(512)


def pytorch_examples_finetune_resnet50_linear_512_fix():
    return _pytorch_examples_finetune(None)


def _giotto_ffnet(softmax: bool):
    # https://github.com/giotto-ai/giotto-deep/blob/master/gdeep/models/simple_nn.py (FFNet(arch=[2, 3, 3, 2]);
    # the layers its exec() strings build, written out; trained with nn.CrossEntropyLoss())
    class FFNet(nn.Module):
        def __init__(self, verbose=0, arch=(2, 3, 3, 2)):
            super().__init__()
            self.verbose, self.arch = verbose, arch
            self.layer0 = nn.Linear(arch[0], arch[1])
            self.layer1 = nn.Linear(arch[1], arch[2])
            self.layer2 = nn.Linear(arch[2], arch[3])

        def forward(self, x_cont):
            x0 = F.relu(self.layer0(x_cont))
            x1 = F.relu(self.layer1(x0))
            # put softmax in last layer
            x2 = F.softmax(self.layer2(x1), dim=-1) if softmax else self.layer2(x1)
            return x2

    return FFNet(), nn.CrossEntropyLoss()


def giotto_ffnet_softmax_cross_entropy():
    # https://github.com/giotto-ai/giotto-deep/issues/34 ("we should not have any activation here since the
    # cross-entropy loss uses the logits")
    return _giotto_ffnet(softmax=True)


def giotto_ffnet_softmax_cross_entropy_fix():
    return _giotto_ffnet(softmax=False)


def stackoverflow_log_softmax_bce_loss():
    # https://stackoverflow.com/questions/53628622 (binary classification: nn.Linear(NETWORK_WIDTH, 2),
    # F.log_softmax(x), criterion = nn.BCELoss(); 16 input features and one hidden layer stand in for the
    # "other layers omitted", NETWORK_WIDTH 64 chosen)
    NETWORK_WIDTH = 64

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(16, NETWORK_WIDTH)
            self.outputs = nn.Linear(NETWORK_WIDTH, 2)

        def forward(self, x):
            x = F.relu(self.hidden(x))  # other layers omitted
            x = self.outputs(x)
            return F.log_softmax(x)

    return Net(), nn.BCELoss()


def stackoverflow_log_softmax_bce_loss_fix():
    # the answer: one output unit, torch.sigmoid, nn.BCELoss()
    NETWORK_WIDTH = 64

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(16, NETWORK_WIDTH)
            self.outputs = nn.Linear(NETWORK_WIDTH, 1)

        def forward(self, x):
            x = F.relu(self.hidden(x))
            x = self.outputs(x)
            return torch.sigmoid(x)

    return Net(), nn.BCELoss()


def _pytorch_forums_two_outputs(softmax: bool):
    # https://discuss.pytorch.org/t/two-output-nodes-for-binary-classification/58703 (no Linear: conv_4 gives
    # 2x1x1; the layer sizes are read from the shape comments of forward, 48x48 RGB input; the answer trains two
    # outputs with nn.CrossEntropyLoss)
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_1, self.bn_conv_1 = nn.Conv2d(3, 20, 5), nn.BatchNorm2d(20)
            self.pooling_1, self.bn_pooling_1 = nn.MaxPool2d(2), nn.BatchNorm2d(20)
            self.conv_2, self.bn_conv_2 = nn.Conv2d(20, 50, 7), nn.BatchNorm2d(50)
            self.pooling_2, self.bn_pooling_2 = nn.MaxPool2d(2), nn.BatchNorm2d(50)
            self.conv_3, self.bn_conv_3 = nn.Conv2d(50, 500, 7), nn.BatchNorm2d(500)
            self.pooling_3, self.bn_pooling_3 = nn.MaxPool2d(2), nn.BatchNorm2d(500)
            self.conv_4 = nn.Conv2d(500, 2, 1)

        def forward(self, input_image):
            out = self.conv_1(input_image)  # 20 * 44 * 44
            out = self.bn_conv_1(out)
            out = self.pooling_1(out)  # 20 * 22 * 22
            out = self.bn_pooling_1(out)
            out = self.conv_2(out)  # 50 * 16 * 16
            out = self.bn_conv_2(out)
            out = self.pooling_2(out)  # 50 * 8 * 8
            out = self.bn_pooling_2(out)
            out = self.conv_3(out)  # 500 * 2 * 2
            out = self.bn_conv_3(out)
            out = self.pooling_3(out)  # 500 * 1 * 1
            out = self.bn_pooling_3(out)
            out = F.relu(out)
            out = self.conv_4(out)  # 2 * 1 * 1
            if softmax:
                out = F.softmax(out)
            return out

    return Net(), nn.CrossEntropyLoss()


def pytorch_forums_two_outputs_softmax():
    # "Both approaches expect logits, so you should remove your softmax layer"
    return _pytorch_forums_two_outputs(softmax=True)


def pytorch_forums_two_outputs_softmax_fix():
    return _pytorch_forums_two_outputs(softmax=False)


def _packt_multilabel(sigmoid: bool):
    # https://github.com/PacktPublishing/PyTorch-Ultimate-2023---From-Basics-to-Cutting-Edge/pull/3 (the
    # thread's second finding: "The multilabel classification is using nn.BCEWithLogitsLoss() But the output of
    # the network is already the sigmoid"; 10 features, 20 hidden, 3 labels as in make_multilabel_classification)
    class MultilabelNetwork(nn.Module):
        def __init__(self, input_size, hidden_size, output_size):
            super().__init__()
            self.fc1 = nn.Linear(input_size, hidden_size)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(hidden_size, output_size)
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            x = self.fc1(x)
            x = self.relu(x)
            x = self.fc2(x)
            if sigmoid:
                x = self.sigmoid(x)
            return x

    return MultilabelNetwork(10, 20, 3), nn.BCEWithLogitsLoss()


def packt_multilabel_sigmoid_bce_with_logits():
    return _packt_multilabel(sigmoid=True)


def packt_multilabel_sigmoid_bce_with_logits_fix():
    # "or you adapt the network by not including the sigmoid activation function as output"
    return _packt_multilabel(sigmoid=False)


def _dsksd_window_classifier(log_softmax: bool):
    # https://github.com/DSKSD/DeepNLP-models-Pytorch (03.Window-Classifier-for-NER: window 2, 50-d embeddings,
    # 300 hidden, 5 entity classes, vocabulary 5000 chosen; loss_function = nn.CrossEntropyLoss())
    class WindowClassifier(nn.Module):
        def __init__(self, vocab_size, embedding_size, window_size, hidden_size, output_size):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embedding_size)
            self.h_layer1 = nn.Linear(embedding_size * (window_size * 2 + 1), hidden_size)
            self.h_layer2 = nn.Linear(hidden_size, hidden_size)
            self.o_layer = nn.Linear(hidden_size, output_size)
            self.relu = nn.ReLU()
            self.softmax = nn.LogSoftmax(dim=1)
            self.dropout = nn.Dropout(0.3)

        def forward(self, inputs, is_training=False):
            embeds = self.embed(inputs)  # BxWxD
            concated = embeds.view(-1, embeds.size(1) * embeds.size(2))  # Bx(W*D)
            h0 = self.relu(self.h_layer1(concated))
            if is_training:
                h0 = self.dropout(h0)
            h1 = self.relu(self.h_layer2(h0))
            if is_training:
                h1 = self.dropout(h1)
            out = self.o_layer(h1)
            return self.softmax(out) if log_softmax else out

    return WindowClassifier(5000, 50, 2, 300, 5), nn.CrossEntropyLoss()


def dsksd_window_classifier_log_softmax():
    # https://github.com/DSKSD/DeepNLP-models-Pytorch/issues/2 ("there should be only return out instead of
    # return F.log_softmax(out) in the forward() function of some classification models")
    return _dsksd_window_classifier(log_softmax=True)


def dsksd_window_classifier_log_softmax_fix():
    return _dsksd_window_classifier(log_softmax=False)


def _stackoverflow_convnet_256(flatten_batch: bool):
    # http://www.wenzhangge.com/post/28944.html (a mirrored Q&A: ConvNet(num_classes=4) on 256x256 images,
    # three conv + 2x2 pool stages, "Expected input batch_size to match target batch_size"; conv2's width is
    # not shown there: 8 chosen)
    class ConvNet(nn.Module):
        def __init__(self, num_classes=4):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, kernel_size=3, stride=1, padding=1)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=3, stride=1, padding=1)
            self.conv3 = nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1)
            self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(16 * 64 * 64 if flatten_batch else 16 * 32 * 32, num_classes)

        def forward(self, X):
            X = self.pool(self.relu(self.conv1(X)))
            X = self.pool(self.relu(self.conv2(X)))
            X = self.pool(self.relu(self.conv3(X)))
            if flatten_batch:
                X = X.view(-1, 16 * 64 * 64)
            else:
                X = X.view(X.size(0), -1)
            X = self.fc(X)
            return X

    return ConvNet(), nn.CrossEntropyLoss()


def stackoverflow_convnet_view_folds_batch():
    # X.view(-1, 16 * 64 * 64) on a 16x32x32 map: four images become one row
    return _stackoverflow_convnet_256(flatten_batch=True)


def stackoverflow_convnet_view_folds_batch_fix():
    # the answer: nn.Linear(16 * 32 * 32, num_classes) and X.view(X.size(0), -1)
    return _stackoverflow_convnet_256(flatten_batch=False)


def _kuangliu_resnet(num_blocks, num_classes=10, pool_whole_map=False):
    # https://github.com/kuangliu/pytorch-cifar/blob/master/models/resnet.py (ResNet for 32x32 CIFAR-10:
    # F.avg_pool2d(out, 4) over the 4x4 map, out.view(out.size(0), -1), nn.Linear(512, num_classes))
    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion * planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            out = F.relu(out)
            return out

    class ResNet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10):
            super().__init__()
            self.in_planes = 64
            self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.layer1 = self._make_layer(block, 64, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 128, num_blocks[1], stride=2)
            self.layer3 = self._make_layer(block, 256, num_blocks[2], stride=2)
            self.layer4 = self._make_layer(block, 512, num_blocks[3], stride=2)
            self.linear = nn.Linear(512 * block.expansion, num_classes)

        def _make_layer(self, block, planes, num_blocks, stride):
            layers = []
            for stride in [stride] + [1] * (num_blocks - 1):
                layers.append(block(self.in_planes, planes, stride))
                self.in_planes = planes * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.layer3(out)
            out = self.layer4(out)
            out = F.adaptive_avg_pool2d(out, 1) if pool_whole_map else F.avg_pool2d(out, 4)
            out = out.view(out.size(0), -1)
            out = self.linear(out)
            return out

    return ResNet(BasicBlock, num_blocks, num_classes), nn.CrossEntropyLoss()


def kuangliu_cifar_resnet18():
    return _kuangliu_resnet([2, 2, 2, 2])


def epfml_resnet34_avg_pool4_larger_images():
    # https://github.com/epfml/attention-cnn/issues/6 (models/resnet.py is kuangliu's ResNet; ResNet34(num_classes=11)
    # on images larger than 32x32: "size mismatch, m1: [4 x 12288], m2: [512 x 11]"; 128x192 is a size that gives
    # those 12288 features)
    return _kuangliu_resnet([3, 4, 6, 3], num_classes=11)


def epfml_resnet34_avg_pool4_larger_images_fix():
    # pool the whole map, as F.avg_pool2d(out, 4) does at 32x32
    return _kuangliu_resnet([3, 4, 6, 3], num_classes=11, pool_whole_map=True)


def _repset(log_softmax: bool):
    # https://github.com/giannisnik/repset/blob/master/approxrepset/models.py (ApproxRepSet on sets of 300-d word
    # vectors; 20 hidden sets of 10 elements and 2 classes chosen; main.py trains F.cross_entropy)
    class ApproxRepSet(torch.nn.Module):
        def __init__(self, n_hidden_sets, n_elements, d, n_classes):
            super().__init__()
            self.n_hidden_sets = n_hidden_sets
            self.n_elements = n_elements
            self.Wc = nn.Parameter(torch.FloatTensor(d, n_hidden_sets * n_elements))
            self.fc1 = nn.Linear(n_hidden_sets, 32)
            self.fc2 = nn.Linear(32, n_classes)
            self.relu = nn.ReLU()
            self.Wc.data.uniform_(-1, 1)

        def forward(self, X):
            t = self.relu(torch.matmul(X, self.Wc))
            t = t.view(t.size()[0], t.size()[1], self.n_elements, self.n_hidden_sets)
            t, _ = torch.max(t, dim=2)
            t = torch.sum(t, dim=1)
            t = self.relu(self.fc1(t))
            out = self.fc2(t)
            if log_softmax:
                return F.log_softmax(out, dim=1)
            return out

    return ApproxRepSet(20, 10, 300, 2), nn.CrossEntropyLoss()


def repset_log_softmax_cross_entropy():
    # https://github.com/giannisnik/repset/issues/1 ("Double use of log_softmax was actually not intentional")
    return _repset(log_softmax=True)


def repset_log_softmax_cross_entropy_fix():
    # the maintainer: "you can safely replace return F.log_softmax(out, dim=1) with return out"
    return _repset(log_softmax=False)


def _mrdbourke_tinyvgg(in_features_of):
    # https://github.com/mrdbourke/pytorch-deep-learning (03_pytorch_computer_vision: FashionMNISTModelV2, the
    # TinyVGG; 1x28x28 images, hidden_units=10, 10 classes)
    class FashionMNISTModelV2(nn.Module):
        def __init__(self, input_shape: int, hidden_units: int, output_shape: int):
            super().__init__()
            self.block_1 = nn.Sequential(
                nn.Conv2d(in_channels=input_shape, out_channels=hidden_units, kernel_size=3, stride=1, padding=1),
                nn.ReLU(),
                nn.Conv2d(in_channels=hidden_units, out_channels=hidden_units, kernel_size=3, stride=1, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2, stride=2),
            )
            self.block_2 = nn.Sequential(
                nn.Conv2d(hidden_units, hidden_units, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(hidden_units, hidden_units, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Flatten(),
                nn.Linear(in_features=in_features_of(hidden_units), out_features=output_shape),
            )

        def forward(self, x: torch.Tensor):
            x = self.block_1(x)
            x = self.block_2(x)
            x = self.classifier(x)
            return x

    return FashionMNISTModelV2(input_shape=1, hidden_units=10, output_shape=10), nn.CrossEntropyLoss()


def mrdbourke_tinyvgg_linear_hidden_units():
    # https://github.com/mrdbourke/pytorch-deep-learning/issues/763 (nn.Linear(in_features=hidden_units, ...)
    # after nn.Flatten(): "it should be hidden_units*7*7")
    return _mrdbourke_tinyvgg(lambda hidden_units: hidden_units)


def mrdbourke_tinyvgg_linear_hidden_units_fix():
    return _mrdbourke_tinyvgg(lambda hidden_units: hidden_units * 7 * 7)


def msdocs_single_layer_log_softmax():
    # https://github.com/MicrosoftDocs/pytorchfundamentals/blob/main/computer-vision-pytorch/3-train-dense-neural-networks.ipynb
    # (nn.LogSoftmax() without dim: the class axis of a 2D output; trained with nn.NLLLoss())
    net = nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 10),  # 784 inputs, 10 outputs
        nn.LogSoftmax())
    return net, nn.NLLLoss()


def weiaicunzai_cifar100_vgg16():
    # https://github.com/weiaicunzai/pytorch-cifar100/blob/master/models/vgg.py (VGG16 with batch norm for 32x32
    # CIFAR-100: five 2x2 pools leave 1x1, so nn.Linear(512, 4096) is right, as the answer to a report about it says)
    cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']

    def make_layers(cfg, batch_norm=False):
        layers, input_channel = [], 3
        for v in cfg:
            if v == 'M':
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
                continue
            layers += [nn.Conv2d(input_channel, v, kernel_size=3, padding=1)]
            if batch_norm:
                layers += [nn.BatchNorm2d(v)]
            layers += [nn.ReLU(inplace=True)]
            input_channel = v
        return nn.Sequential(*layers)

    class VGG(nn.Module):
        def __init__(self, features, num_class=100):
            super().__init__()
            self.features = features
            self.classifier = nn.Sequential(
                nn.Linear(512, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(),
                nn.Linear(4096, 4096),
                nn.ReLU(inplace=True),
                nn.Dropout(),
                nn.Linear(4096, num_class),
            )

        def forward(self, x):
            output = self.features(x)
            output = output.view(output.size()[0], -1)
            output = self.classifier(output)
            return output

    return VGG(make_layers(cfg, batch_norm=True)), nn.CrossEntropyLoss()


def timm_vit_global_pool_avg():
    # https://github.com/vidarlab/xformer-paired-viz/issues/1 (the answer: "in Timm you can easily change the
    # architecture to use mean pooling": global_pool='avg' averages the patch tokens only; img_size=64 chosen)
    import timm

    return (timm.create_model('vit_tiny_patch16_224', pretrained=False, global_pool='avg', num_classes=5, img_size=64),
            nn.CrossEntropyLoss())


def _packt_cnn_dog_breeds(log_softmax: bool):
    # https://github.com/PacktPublishing/PyTorch-Ultimate-2023---From-Basics-to-Cutting-Edge/pull/3
    # (060_CNN_ImageClassification/MulticlassClassification/Cnn_MulticlassClassification_end.py: 50x50 grayscale
    # images, 3 breeds, nn.LogSoftmax() output trained with nn.CrossEntropyLoss())
    NUM_CLASSES = 3

    class ImageMulticlassClassificationNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(16 * 11 * 11, 128)  # out: (BS, 128)
            self.fc2 = nn.Linear(128, 64)
            self.fc3 = nn.Linear(64, NUM_CLASSES)
            self.relu = nn.ReLU()
            self.softmax = nn.LogSoftmax()

        def forward(self, x):
            x = self.conv1(x)  # out: (BS, 6, 48, 48)
            x = self.relu(x)
            x = self.pool(x)  # out: (BS, 6, 24, 24)
            x = self.conv2(x)  # out: (BS, 16, 22, 22)
            x = self.relu(x)
            x = self.pool(x)  # out: (BS, 16, 11, 11)
            x = self.flatten(x)
            x = self.fc1(x)
            x = self.relu(x)
            x = self.fc2(x)
            x = self.relu(x)
            x = self.fc3(x)
            if log_softmax:
                x = self.softmax(x)
            return x

    return ImageMulticlassClassificationNet(), nn.CrossEntropyLoss()


def packt_cnn_log_softmax_cross_entropy():
    return _packt_cnn_dog_breeds(log_softmax=True)


def packt_cnn_log_softmax_cross_entropy_fix():
    # the pull request: the raw logits to nn.CrossEntropyLoss
    return _packt_cnn_dog_breeds(log_softmax=False)
