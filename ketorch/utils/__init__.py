"""Utilities: sequence padding, one-hot labels, progress bar, plotting, seeding."""

from ketorch.utils.dataset_utils import split_dataset
from ketorch.utils.file_utils import get_file
from ketorch.utils.image_dataset_utils import image_dataset_from_directory
from ketorch.utils.live_plot import LivePlot
from ketorch.utils.model_visualization import model_to_dot, plot_model
from ketorch.utils.numerical_utils import normalize, to_categorical
from ketorch.utils.plotting import plot_history
from ketorch.utils.progbar import Progbar
from ketorch.utils.py_dataset import PyDataset, Sequence
from ketorch.utils.rng_utils import set_random_seed
from ketorch.utils.sequence_utils import pad_sequences
from ketorch.utils.text_dataset_utils import text_dataset_from_directory

__all__ = [
    "get_file",
    "LivePlot",
    "model_to_dot",
    "plot_model",
    "image_dataset_from_directory",
    "split_dataset",
    "text_dataset_from_directory",
    "Progbar",
    "PyDataset",
    "Sequence",
    "normalize",
    "pad_sequences",
    "plot_history",
    "set_random_seed",
    "to_categorical",
]
