"""Which corpus models (tests/corpus/models.py) are correct, and the rule each buggy one must earn: the bug its
source names. Framework-free, so that collecting the corpus test imports no framework."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str  # the factory in models.py
    rule: str | None = None  # the rule the bug the source names should earn; None: a correct model
    num_classes: int | None = None  # --num-classes, where the source states the class count


CASES = [
    Case("keras_io_mnist_convnet"), Case("alshawwaf_mnist_cnn"), Case("keithmattix_mnist_mlp"),
    Case("keras_io_forda_timeseries"), Case("maukanmir_embedding_cnn"), Case("pythonkb_text_cnn"),
    Case("techwithtim_text_classification"), Case("budhiraja_cifar10_cnn"), Case("keras_io_3d_ct_scans"),
    Case("syncfusion_heart_disease"), Case("metesahankurt_heart_mlp"), Case("tensorflow_transfer_learning_mobilenetv2"),
    Case("pullrequest_vgg16_sigmoid_fix", num_classes=2), Case("elearn_conv_dense_flatten_fix"), Case("iiask_maxpool_fix"),
    Case("theneuralbase_gap_head"), Case("taourl_64px_cnn"), Case("geeksforgeeks_functional_mnist", num_classes=10),
    Case("nemotron_lstm_timeseries"), Case("tarikbilla_flatten_fix"), Case("openillumi_flatten_dense_reshape"),
    Case("keras_functional_api_tickets"), Case("kaushkay_multi_input_multi_output"), Case("keras_functional_api_mlp"),
    Case("tmajayi_reuters_mlp", num_classes=46), Case("brianspiering_reuters_mlp"), Case("kaggle_bilstm_pooled"),
    Case("oreilly_bidirectional_lstm"), Case("dlwp_reuters"),
    Case("dsse_mobilenet_gap_inlined", num_classes=3), Case("hoang_ho_densenet_gmp_inlined", num_classes=7),
    Case("packt_vgg16_pseudo_inlined", num_classes=5), Case("pyimagesearch_mask_detector_pooled_map", num_classes=2),
    Case("keras_io_resnet50_imagenet", num_classes=1000),
    Case("dsse_sigmoid_categorical", "sigmoid-with-categorical-loss"),
    Case("techfeed_binary_cnn_softmax", "single-unit-softmax"),
    Case("stackoverflow_binary_vs_categorical", "softmax-with-binary-loss"),
    Case("pullrequest_vgg16_softmax_one_unit", "single-unit-softmax", num_classes=2),
    Case("elearn_conv_dense_no_flatten", "dense-on-feature-map"),
    Case("elearn_channels_first_input", "shrinks-to-nothing"),
    Case("python19633_softmax_one_unit_sparse", "single-unit-softmax"),
    Case("example_a_mse_softmax", "regression-loss-on-classifier"),
    Case("dsse_mnist_one_sigmoid_unit", "classes-mismatch", num_classes=10),
    Case("deeplearningai_sign_language_three_units", "classes-mismatch", num_classes=26),
    Case("tarikbilla_dense_without_flatten", "dense-on-feature-map"),
    Case("mmsankosho_return_sequences_dense", "dense-on-feature-map"),
    Case("openillumi_vgg16_flatten_fixed_size", "flatten-fixes-input-size"),
    Case("dailyblog_conv_dense_four_dimensions", "dense-on-feature-map"),
    Case("taourl_binary_head_for_ten_classes", "classes-mismatch", num_classes=10),
]
