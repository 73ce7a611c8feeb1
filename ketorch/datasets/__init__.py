"""Small data sets from Keras's tutorials, read from (and cached in) Keras's own cache.

``load_data()`` finds the file in ``~/.keras/datasets/`` (or ``$KERAS_HOME``)
under the name Keras uses, so a machine where Keras already downloaded it works
offline; otherwise the file is downloaded, hash-checked, into the same place.
"""

from ketorch.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
