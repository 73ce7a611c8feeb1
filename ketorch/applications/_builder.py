"""What every application builder does the same way: check the common arguments, make
the image input, add the optional global pooling, wrap the graph in a model, and load
weights (Keras's published ImageNet files from Keras's cache, or a file the user names).

Keras's weight files live in ``~/.keras/models/`` (``$KERAS_HOME/models/``) under the
names Keras gives them, so a machine where Keras already downloaded them works offline.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any

from ketorch import backend, layers
from ketorch.applications import imagenet_utils
from ketorch.applications.imagenet_utils import validate_activation
from ketorch.models import Model
from ketorch.saving.object_registration import get_custom_objects
from ketorch.utils.config_utils import get_source_inputs
from ketorch.utils.download import DownloadError
from ketorch.utils.file_utils import get_file

WEIGHTS_CACHE_SUBDIR = "models"


def keras_saveable(module: str):
    """Class decorator for the applications' own layers: saved under Keras's module and
    name (``keras.src.applications.<module>``), so Keras loads ketorch's ``.keras`` files
    of these models and ketorch loads Keras's."""

    def register(cls: type) -> type:

        cls._keras_module = f"keras.src.applications.{module}"
        get_custom_objects().setdefault(cls.__name__, cls)
        return cls

    return register


def channels_last() -> bool:
    return backend.image_data_format() == "channels_last"


def bn_axis() -> int:
    """The channel axis of a 4D image batch, as the BatchNormalization layers take it."""
    return 3 if channels_last() else 1


def _is_existing_path(weights: Any) -> bool:
    return isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)


def check_common_args(
    weights: Any,
    include_top: bool,
    classes: int,
    pooling: Any = None,
    classifier_activation: Any = "softmax",
) -> None:
    """The argument rules all architectures share, checked before anything is built.

    Raises:
        ValueError: `weights` is neither None, ``"imagenet"`` nor an existing file;
            ImageNet weights with the classifier head but ``classes != 1000``; an
            unknown `pooling` mode; pretrained weights with a classifier activation
            other than softmax or none.
    """
    if not (weights is None or weights == "imagenet" or _is_existing_path(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be "
            f"1000.  Received classes={classes}"
        )
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"`pooling` must be None, 'avg' or 'max'. Received: pooling={pooling!r}")
    if include_top:
        validate_activation(classifier_activation, weights)


def check_channels_last(family: str) -> None:
    if not channels_last():
        raise ValueError(
            f"{family} does not support the `channels_first` image data format. Switch to "
            "`channels_last` with `keras.backend.set_image_data_format('channels_last')` "
            "or in ~/.keras/keras.json."
        )


def image_input(input_tensor: Any, input_shape: tuple) -> Any:
    """The symbolic image the network starts from: a new ``Input``, the given symbolic
    tensor, or an ``Input`` wrapping the given concrete tensor."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if backend.is_keras_tensor(input_tensor):
        return input_tensor
    return layers.Input(tensor=input_tensor, shape=input_shape)


def model_inputs(input_tensor: Any, img_input: Any) -> Any:
    """The model's inputs: the ``Input`` tensors `input_tensor` was computed from."""
    if input_tensor is None:
        return img_input

    sources = get_source_inputs(input_tensor)
    if isinstance(sources, list) and len(sources) == 1:
        return sources[0]
    return sources


def begin(
    weights: Any,
    include_top: bool,
    classes: int,
    pooling: Any,
    classifier_activation: Any,
    input_tensor: Any,
    input_shape: Any,
    default_size: int,
    min_size: int,
) -> tuple[Any, tuple]:
    """The start of every builder: :func:`check_common_args`, the resolved input shape
    (``imagenet_utils.obtain_input_shape``) and :func:`image_input`.

    Returns:
        ``(img_input, input_shape)``.
    """

    check_common_args(weights, include_top, classes, pooling, classifier_activation)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=min_size,
        data_format=backend.image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    return image_input(input_tensor, input_shape), input_shape


def classifier_head(
    x: Any,
    include_top: bool,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    dropout_rate: float = 0.0,
    pool_names: tuple[str | None, str | None] = (None, None),
    **dense_kwargs: Any,
) -> Any:
    """The end of the graph: with the top, global average pooling (``avg_pool``), an
    optional ``top_dropout`` and the ``predictions`` layer (``dense_kwargs`` go to it);
    without, the optional :func:`global_pool` named ``pool_names`` (avg, max)."""
    if not include_top:
        return global_pool(x, pooling, *pool_names)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="top_dropout")(x)
    return layers.Dense(
        classes, activation=classifier_activation, name="predictions", **dense_kwargs
    )(x)


def finish(
    input_tensor: Any,
    img_input: Any,
    outputs: Any,
    name: str,
    weights: Any,
    arch: str,
    file_name: str,
    base_url: str,
    file_hash: str | None,
) -> Any:
    """:func:`make_model` on the graph from :func:`begin` to `outputs`, whose ImageNet
    weights are Keras's ``base_url + file_name``."""
    return make_model(
        model_inputs(input_tensor, img_input),
        outputs,
        name,
        weights,
        arch,
        (file_name, base_url + file_name, file_hash),
    )


_COMMON_PARAMS = (
    ("include_top", True),
    ("weights", "imagenet"),
    ("input_tensor", None),
    ("input_shape", None),
    ("pooling", None),
    ("classes", 1000),
    ("classifier_activation", "softmax"),
)


def application(
    fn_name: str, module: str, doc: str, build: Callable[..., Any], name: str, **extra: Any
) -> Callable[..., Any]:
    """A public constructor (``ResNet50``) with Keras's signature: the common arguments
    (``include_top`` ... ``classifier_activation``), then `extra` (architecture-specific
    arguments and their defaults, in order), then ``name`` defaulting to `name`. Calls
    ``build(**arguments)``."""
    params = [*_COMMON_PARAMS, *extra.items(), ("name", name)]
    signature = inspect.Signature(
        [
            inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=v)
            for k, v in params
        ]
    )

    def constructor(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return build(**bound.arguments)

    constructor.__signature__ = signature
    constructor.__name__ = constructor.__qualname__ = fn_name
    constructor.__module__ = module
    constructor.__doc__ = doc
    return constructor


def global_pool(x: Any, pooling: str | None, avg_name: str | None = None, max_name=None) -> Any:
    """The optional feature-extractor pooling of ``include_top=False`` models."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def fetch_weights(arch: str, file_name: str, origin: str, file_hash: str | None) -> str:
    """The path of one of Keras's published weight files, from the cache or downloaded.

    Raises:
        DownloadError: Not cached (or cached with the wrong hash) and not downloadable;
            the message names the file, its URL and where to save it.
    """

    try:
        return get_file(file_name, origin, cache_subdir=WEIGHTS_CACHE_SUBDIR, file_hash=file_hash)
    except DownloadError as e:
        raise DownloadError(
            f"Cannot load the ImageNet weights of {arch}: {e} Alternatively, pass the path "
            "of a weights file as `weights=`, or `weights=None` for random initialization."
        ) from e


def make_model(
    inputs: Any,
    outputs: Any,
    name: str,
    weights: Any,
    arch: str,
    imagenet_file: tuple[str, str, str | None] | None = None,
) -> Any:
    """Wraps the graph in a Functional model and loads its weights.

    `imagenet_file` is ``(file name, URL, hash)`` of the Keras weight file that
    ``weights="imagenet"`` loads.
    """

    model = Model(inputs, outputs, name=name)
    if weights == "imagenet":
        if imagenet_file is None:
            raise ValueError(f"No ImageNet weights are published for this {arch} configuration.")
        path = fetch_weights(arch, *imagenet_file)
        try:
            model.load_weights(path)
        except (ValueError, OSError) as e:
            raise ValueError(
                f"The ImageNet weights file {path} of {arch} cannot be loaded: {e} If the "
                "file is damaged, delete it so that it is downloaded again."
            ) from e
    elif weights is not None:
        model.load_weights(os.fspath(weights))
    return model
