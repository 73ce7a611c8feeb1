"""Legacy preprocessing import paths (`keras.preprocessing.sequence`, `.text`)."""

from ketorch.preprocessing import sequence, text
from ketorch.utils import (
    image_dataset_from_directory,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
)


def __getattr__(name):
    if name == "image":  # keras.preprocessing.image: the image utilities
        from ketorch.utils import image_utils  # import cycle

        return image_utils
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "image_dataset_from_directory",
    "sequence",
    "text",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
]
