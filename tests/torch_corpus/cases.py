"""Which PyTorch corpus models (tests/torch_corpus/models.py) are correct, and the rule each buggy one must earn:
the fault its source names. Framework-free, so that collecting the corpus test imports no framework.

Every buggy program has its fixed version beside it (`..._fix`), a separate correct case.
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL = ((64, 64), (96, 96))  # a size-free model is checked at two sizes


@dataclass(frozen=True)
class Case:
    name: str  # the factory in models.py
    rule: str | None = None  # the rule the fault the source names should earn; None: a correct model
    num_classes: int | None = None  # --num-classes, where the source states the class count
    sizes: tuple = SMALL  # the input sizes the program feeds (one size where the program fixes it)


MNIST = ((28, 28),)
CIFAR = ((32, 32),)
IMAGENET = ((224, 224),)

CASES = [
    # ---------------------------------------------------------------- correct programs (library tutorials)
    Case("pytorch_examples_mnist", sizes=MNIST),
    Case("pytorch_cifar10_tutorial", sizes=CIFAR),
    Case("vinhkhuc_convnet", sizes=MNIST),
    Case("hunkim_softmax_mnist", sizes=MNIST),
    Case("torchvision_finetune_resnet18", num_classes=2),
    Case("torchvision_finetune_alexnet", num_classes=2, sizes=IMAGENET),
    Case("torchvision_finetune_vgg11_bn", num_classes=2),
    Case("torchvision_finetune_squeezenet", num_classes=2),
    Case("torchvision_finetune_densenet121", num_classes=2),
    Case("torchvision_finetune_inception_v3", num_classes=2, sizes=((299, 299),)),
    Case("transfer_learning_tutorial_fixed_features", num_classes=2),
    Case("torchvision_mobilenet_v3_small_num_classes", num_classes=10),
    Case("torchvision_efficientnet_b0_classifier", num_classes=5),
    Case("timm_resnet18_num_classes", num_classes=5),
    Case("timm_reset_classifier", num_classes=4),
    Case("timm_features_num_classes_zero_head", num_classes=3),
    Case("timm_vit_tiny_num_classes", num_classes=5, sizes=((64, 64),)),
    Case("hf_vit_for_image_classification", num_classes=3, sizes=((64, 64),)),
    Case("hf_resnet_for_image_classification", num_classes=3),
    Case("dcgan_discriminator", sizes=((64, 64),)),
    Case("torchaudio_m5"),
    Case("bentrevett_cnn_sentiment"),
    Case("bentrevett_fasttext"),
    Case("pytorch_text_classification_embeddingbag"),
    # ---------------------------------------------------------------- buggy programs, each with its fix
    Case("randl_mobilenetv2_log_softmax", "logits-loss-mismatch", sizes=IMAGENET),
    Case("randl_mobilenetv2_log_softmax_fix", sizes=IMAGENET),
    Case("dsksd_cnn_classifier_log_softmax", "logits-loss-mismatch"),
    Case("dsksd_cnn_classifier_log_softmax_fix"),
    Case("vinhkhuc_logistic_regression_softmax", "logits-loss-mismatch", sizes=MNIST),
    Case("vinhkhuc_logistic_regression_softmax_fix", sizes=MNIST),
    Case("chongwar_vgg16_softmax_cross_entropy", "logits-loss-mismatch", num_classes=4, sizes=CIFAR),
    Case("chongwar_vgg16_softmax_cross_entropy_fix", num_classes=4, sizes=CIFAR),
    Case("packt_multiclass_log_softmax", "logits-loss-mismatch"),
    Case("packt_multiclass_log_softmax_fix"),
    Case("pointnet_log_softmax_batch_axis", "softmax-over-batch"),
    Case("pointnet_log_softmax_batch_axis_fix"),
    Case("msdocs_dense_log_softmax_dim0", "softmax-over-batch", sizes=MNIST),
    Case("msdocs_dense_log_softmax_dim0_fix", sizes=MNIST),
    Case("msdocs_mynet_log_softmax_dim0", "softmax-over-batch", sizes=MNIST),
    Case("msdocs_mynet_log_softmax_dim0_fix", sizes=MNIST),
    Case("drl_in_action_policy_softmax_dim0", "softmax-over-batch"),
    Case("drl_in_action_policy_softmax_dim0_fix"),
    Case("rexnet_squeeze_drops_batch", "batch-axis-changed"),
    Case("rexnet_squeeze_drops_batch_fix"),
    Case("resnet_children_sequential_no_flatten", "dense-on-feature-map"),
    Case("resnet_children_sequential_no_flatten_fix"),
    Case("resnet18_children_encoder_custom_fc", "dense-on-feature-map"),
    Case("resnet18_children_encoder_custom_fc_fix"),
    Case("stackoverflow_linear_400_large_image", "linear-features-mismatch", num_classes=3, sizes=((1200, 800),)),
    Case("stackoverflow_linear_400_large_image_fix", num_classes=3, sizes=((1200, 800),)),
    Case("androidkt_cnn_linear_1050", "linear-features-mismatch", num_classes=10, sizes=MNIST),
    Case("androidkt_cnn_linear_1050_fix", num_classes=10, sizes=MNIST),
    Case("avalanche_simplecnn_squeeze", "batch-axis-changed", num_classes=10, sizes=CIFAR),
    Case("avalanche_simplecnn_squeeze_fix", num_classes=10, sizes=CIFAR),
    Case("cutout_wideresnet_avgpool8_view", "batch-axis-changed", num_classes=10, sizes=((64, 64),)),
    Case("cutout_wideresnet_avgpool8_view_fix", num_classes=10, sizes=((64, 64),)),
    Case("lanedet_exist_head_sigmoid_bce_with_logits", "logits-loss-mismatch", sizes=((288, 800),)),
    Case("lanedet_exist_head_sigmoid_bce_with_logits_fix", sizes=((288, 800),)),
    Case("stackoverflow_fashion_relu_on_logits", "non-negative-logits", num_classes=10, sizes=MNIST),
    Case("stackoverflow_fashion_relu_on_logits_fix", num_classes=10, sizes=MNIST),
    Case("convnext_out_features_assignment", "classes-mismatch", num_classes=2),
    Case("convnext_out_features_assignment_fix", num_classes=2),
    Case("lucidrains_vit_mean_pool_includes_cls", "mean-includes-prefix-tokens", sizes=((64, 64),)),
    Case("lucidrains_vit_mean_pool_includes_cls_fix", sizes=((64, 64),)),
    Case("lucidrains_vit_cls_pool", sizes=((64, 64),)),
    Case("xunfei_resnext50_fc_512", "linear-features-mismatch", num_classes=2),
    Case("xunfei_resnext50_fc_512_fix", num_classes=2),
    Case("opendataval_logistic_sigmoid_cross_entropy", "sigmoid-with-categorical-loss", num_classes=3),
    Case("opendataval_logistic_sigmoid_cross_entropy_fix", num_classes=3),
    Case("acgan_softmax_nll_loss", "logits-loss-mismatch", num_classes=10, sizes=CIFAR),
    Case("acgan_softmax_nll_loss_fix", num_classes=10, sizes=CIFAR),
    Case("yongjincho_text_cnn_softmax_cross_entropy", "logits-loss-mismatch"),
    Case("yongjincho_text_cnn_softmax_cross_entropy_fix"),
    Case("euclidesdb_resnet18_softmax_dim0", "softmax-over-batch", sizes=IMAGENET),
    Case("euclidesdb_resnet18_softmax_dim0_fix", sizes=IMAGENET),
    Case("dinov2_registers_mean_includes_registers", "mean-includes-prefix-tokens", sizes=((64, 64),)),
    Case("dinov2_registers_mean_includes_registers_fix", sizes=((64, 64),)),
    Case("hf_dinov2_registers_for_image_classification", num_classes=3, sizes=((64, 64),)),
    Case("hf_siglip_for_image_classification", num_classes=3, sizes=((64, 64),)),
    Case("siglip_probe_token_zero", "token-zero-without-class-token", sizes=((64, 64),)),
    Case("siglip_probe_token_zero_fix", sizes=((64, 64),)),
    Case("chongwar_vgg16_flatten_fixes_size", "flatten-fixes-input-size", num_classes=4, sizes=((32, 32), (224, 224))),
    Case("chongwar_vgg16_flatten_fixes_size_fix", num_classes=4, sizes=((32, 32), (224, 224))),
    Case("pytorch_quickstart_final_relu", "non-negative-logits", num_classes=10, sizes=MNIST),
    Case("pytorch_quickstart_final_relu_fix", num_classes=10, sizes=MNIST),
    Case("pytorch_examples_mnist_relu_before_log_softmax", "non-negative-logits", num_classes=10, sizes=MNIST),
    Case("pytorch_examples_mnist_relu_before_log_softmax_fix", num_classes=10, sizes=MNIST),
    Case("lightning_transfer_learning_no_flatten", "dense-on-feature-map", num_classes=10),
    Case("lightning_transfer_learning_no_flatten_fix", num_classes=10),
    Case("chexpert_classifier_set_on_wrapper", "classes-mismatch", num_classes=2),
    Case("chexpert_classifier_set_on_wrapper_fix", num_classes=2),
    Case("adnet_vggm_linear_18432_at_112", "linear-features-mismatch", sizes=((112, 112),)),
    Case("adnet_vggm_linear_18432_at_112_fix", sizes=((112, 112),)),
    Case("pytorch_examples_finetune_resnet50_linear_512", "linear-features-mismatch", num_classes=10),
    Case("pytorch_examples_finetune_resnet50_linear_512_fix", num_classes=10),
    Case("giotto_ffnet_softmax_cross_entropy", "logits-loss-mismatch", num_classes=2),
    Case("giotto_ffnet_softmax_cross_entropy_fix", num_classes=2),
    Case("stackoverflow_log_softmax_bce_loss", "logits-loss-mismatch"),
    Case("stackoverflow_log_softmax_bce_loss_fix"),
    Case("pytorch_forums_two_outputs_softmax", "logits-loss-mismatch", num_classes=2, sizes=((48, 48),)),
    Case("pytorch_forums_two_outputs_softmax_fix", num_classes=2, sizes=((48, 48),)),
    Case("packt_multilabel_sigmoid_bce_with_logits", "logits-loss-mismatch"),
    Case("packt_multilabel_sigmoid_bce_with_logits_fix"),
    Case("dsksd_window_classifier_log_softmax", "logits-loss-mismatch"),
    Case("dsksd_window_classifier_log_softmax_fix"),
    Case("stackoverflow_convnet_view_folds_batch", "batch-axis-changed", num_classes=4, sizes=((256, 256),)),
    Case("stackoverflow_convnet_view_folds_batch_fix", num_classes=4, sizes=((256, 256),)),
    Case("kuangliu_cifar_resnet18", num_classes=10, sizes=CIFAR),
    Case("repset_log_softmax_cross_entropy", "logits-loss-mismatch"),
    Case("repset_log_softmax_cross_entropy_fix"),
    Case("mrdbourke_tinyvgg_linear_hidden_units", "linear-features-mismatch", num_classes=10, sizes=MNIST),
    Case("mrdbourke_tinyvgg_linear_hidden_units_fix", num_classes=10, sizes=MNIST),
    Case("msdocs_single_layer_log_softmax", num_classes=10, sizes=MNIST),
    Case("packt_cnn_log_softmax_cross_entropy", "logits-loss-mismatch", num_classes=3, sizes=((50, 50),)),
    Case("packt_cnn_log_softmax_cross_entropy_fix", num_classes=3, sizes=((50, 50),)),
    Case("weiaicunzai_cifar100_vgg16", num_classes=100, sizes=CIFAR),
    Case("timm_vit_global_pool_avg", num_classes=5, sizes=((64, 64),)),
    Case("epfml_resnet34_avg_pool4_larger_images", "linear-features-mismatch", num_classes=11, sizes=((128, 192),)),
    Case("epfml_resnet34_avg_pool4_larger_images_fix", num_classes=11, sizes=((128, 192),)),
]
