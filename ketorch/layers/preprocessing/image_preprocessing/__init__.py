"""Image preprocessing and augmentation layers (Keras's ``keras.layers`` image layers)."""

from .aug_mix import AugMix
from .auto_contrast import AutoContrast
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer
from .center_crop import CenterCrop
from .clahe import ContrastLimitedAdaptiveHistogramEqualization
from .cut_mix import CutMix
from .equalization import Equalization
from .max_num_bounding_box import MaxNumBoundingBoxes
from .mix_up import MixUp
from .rand_augment import RandAugment
from .random_brightness import RandomBrightness
from .random_color_degeneration import RandomColorDegeneration
from .random_color_jitter import RandomColorJitter
from .random_contrast import RandomContrast
from .random_crop import RandomCrop
from .random_elastic_transform import RandomElasticTransform
from .random_erasing import RandomErasing
from .random_flip import RandomFlip
from .random_gaussian_blur import RandomGaussianBlur
from .random_grayscale import RandomGrayscale
from .random_hue import RandomHue
from .random_invert import RandomInvert
from .random_perspective import RandomPerspective
from .random_posterization import RandomPosterization
from .random_rotation import RandomRotation
from .random_saturation import RandomSaturation
from .random_sharpness import RandomSharpness
from .random_shear import RandomShear
from .random_translation import RandomTranslation
from .random_zoom import RandomZoom
from .resizing import Resizing
from .solarization import Solarization

__all__ = [
    "AugMix",
    "AutoContrast",
    "BaseImagePreprocessingLayer",
    "CenterCrop",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Equalization",
    "MaxNumBoundingBoxes",
    "MixUp",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
    "Solarization",
]
