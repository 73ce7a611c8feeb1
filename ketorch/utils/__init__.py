"""Utilities: datasets from files and arrays, images, sequence padding, one-hot labels,
progress bar, plotting, seeding, object registration."""

import importlib

from ketorch.backend import clear_session, is_keras_tensor, standardize_dtype
from ketorch.config import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from ketorch.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from ketorch.saving.serialization import deserialize_keras_object, serialize_keras_object
from ketorch.utils import bounding_boxes as bounding_boxes
from ketorch.utils import generic_utils, legacy
from ketorch.utils.audio_dataset_utils import audio_dataset_from_directory
from ketorch.utils.config_utils import (
    Config,
    get_source_inputs,
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from ketorch.utils.dataset_utils import split_dataset
from ketorch.utils.feature_space import FeatureSpace
from ketorch.utils.file_utils import get_file
from ketorch.utils.image_dataset_utils import image_dataset_from_directory
from ketorch.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from ketorch.utils.live_plot import LivePlot
from ketorch.utils.model_visualization import model_to_dot, plot_model
from ketorch.utils.numerical_utils import normalize, to_categorical
from ketorch.utils.plotting import plot_history
from ketorch.utils.progbar import Progbar
from ketorch.utils.py_dataset import PyDataset, Sequence
from ketorch.utils.rng_utils import set_random_seed
from ketorch.utils.sequence_utils import pad_sequences
from ketorch.utils.text_dataset_utils import text_dataset_from_directory
from ketorch.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = [
    "Config",
    "CustomObjectScope",
    "FeatureSpace",
    "get_file",
    "LivePlot",
    "model_to_dot",
    "plot_model",
    "array_to_img",
    "audio_dataset_from_directory",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "generic_utils",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "legacy",
    "load_img",
    "pack_x_y_sample_weight",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "split_dataset",
    "standardize_dtype",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "unpack_x_y_sample_weight",
    "Progbar",
    "PyDataset",
    "Sequence",
    "normalize",
    "pad_sequences",
    "plot_history",
    "set_random_seed",
    "to_categorical",
]


# Keras 2 module paths (`keras.utils.conv_utils.normalize_tuple`...), imported when first used.
_KERAS2_MODULES = ("conv_utils", "data_utils", "io_utils", "layer_utils", "np_utils", "vis_utils")


def __getattr__(name):
    if name in _KERAS2_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
