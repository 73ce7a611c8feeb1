"""Keras's pretrained image classification architectures (``keras.applications``).

Every builder takes Keras's arguments (``include_top``, ``weights``, ``input_tensor``,
``input_shape``, ``pooling``, ``classes``, ``classifier_activation``, ``name``, plus
architecture-specific ones such as ``alpha`` or ``include_preprocessing``), names its
layers as Keras does and keeps Keras's weight layouts, so ``weights="imagenet"`` loads
the weight files Keras publishes (from Keras's cache folder ``~/.keras/models/``, or
downloaded there), and weights move between Keras and ketorch through weight files.
Each module has its ``preprocess_input`` and ``decode_predictions``.
"""

from ketorch.applications import (
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from ketorch.applications.convnext import (
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)
from ketorch.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from ketorch.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from ketorch.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from ketorch.applications.inception_resnet_v2 import InceptionResNetV2
from ketorch.applications.inception_v3 import InceptionV3
from ketorch.applications.mobilenet import MobileNet
from ketorch.applications.mobilenet_v2 import MobileNetV2
from ketorch.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from ketorch.applications.nasnet import NASNetLarge, NASNetMobile
from ketorch.applications.resnet import ResNet50, ResNet101, ResNet152
from ketorch.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from ketorch.applications.vgg16 import VGG16
from ketorch.applications.vgg19 import VGG19
from ketorch.applications.xception import Xception

__all__ = [
    "ConvNeXtBase",
    "ConvNeXtLarge",
    "ConvNeXtSmall",
    "ConvNeXtTiny",
    "ConvNeXtXLarge",
    "DenseNet121",
    "DenseNet169",
    "DenseNet201",
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "EfficientNetV2B0",
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2L",
    "EfficientNetV2M",
    "EfficientNetV2S",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "NASNetMobile",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "VGG19",
    "Xception",
    "convnext",
    "densenet",
    "efficientnet",
    "efficientnet_v2",
    "imagenet_utils",
    "inception_resnet_v2",
    "inception_v3",
    "mobilenet",
    "mobilenet_v2",
    "mobilenet_v3",
    "nasnet",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
    "xception",
]
