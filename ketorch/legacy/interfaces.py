"""Keras 2.0-2.2 ``keras.legacy.interfaces``: decorators that translated Keras 1 arguments.

Keras 2 layers and optimizers wrapped their ``__init__`` / ``get_updates`` in these
(``@interfaces.legacy_dense_support``); here they return the function unchanged, since
ketorch's classes take the Keras 2 argument names directly.

Example:
    >>> from ketorch.legacy import interfaces
    >>> @interfaces.legacy_dense_support
    ... def f(units):
    ...     return units
    >>> f(3)
    3
"""

from __future__ import annotations


def generate_legacy_interface(
    allowed_positional_args=None,
    conversions=None,
    preprocessor=None,
    value_conversions=None,
    object_type="class",
):
    """A decorator factory (Keras 2's signature); the decorator leaves functions as they are."""

    def decorator(func):
        return func

    return decorator


def generate_legacy_method_interface(*args, **kwargs):
    """As `generate_legacy_interface`, for methods."""
    return generate_legacy_interface(*args, **kwargs)


def _identity(func):
    return func


# The decorators Keras 2 defined in this module, by name.
legacy_dense_support = _identity
legacy_dropout_support = _identity
legacy_embedding_support = _identity
legacy_pooling1d_support = _identity
legacy_pooling2d_support = _identity
legacy_pooling3d_support = _identity
legacy_global_pooling_support = _identity
legacy_upsampling1d_support = _identity
legacy_upsampling2d_support = _identity
legacy_upsampling3d_support = _identity
legacy_conv1d_support = _identity
legacy_conv2d_support = _identity
legacy_conv3d_support = _identity
legacy_deconv2d_support = _identity
legacy_separable_conv2d_support = _identity
legacy_recurrent_support = _identity
legacy_gaussiandropout_support = _identity
legacy_gaussiannoise_support = _identity
legacy_lstm_support = _identity
legacy_batchnorm_support = _identity
legacy_cropping2d_support = _identity
legacy_cropping3d_support = _identity
legacy_spatialdropout1d_support = _identity
legacy_spatialdropoutNd_support = _identity  # noqa: N816 (Keras 2's name)
legacy_zeropadding2d_support = _identity
legacy_zeropadding3d_support = _identity
legacy_add_weight_support = _identity
legacy_get_updates_support = _identity
legacy_convlstm2d_support = _identity
legacy_prelu_support = _identity
legacy_model_constructor = _identity
legacy_input_support = _identity
legacy_generator_methods_support = _identity
