"""Lazy lookup of layer classes for the Keras 2 module paths (``keras.layers.core`` ...).

Keras 2 grouped its layers into modules that Keras 3 no longer has. The packages that
still exist here (``core``, ``recurrent``) resolve the Keras 2 names on first access,
so importing them never imports the rest of ``ketorch.layers``.
"""

from __future__ import annotations

from .. import layers

# Keras 2.x module -> the public layer names it held (those that ketorch has).
KERAS2_MODULE_NAMES = {
    "core": (
        "Activation", "ActivityRegularization", "Dense", "Dropout", "Flatten", "Lambda",
        "Masking", "Permute", "RepeatVector", "Reshape", "SpatialDropout1D",
        "SpatialDropout2D", "SpatialDropout3D",
    ),
    "recurrent": (
        "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell",
        "StackedRNNCells",
    ),
}  # fmt: skip


def lookup(module: str, name: str):
    """The ketorch layer that ``keras.layers.<module>.<name>`` named in Keras 2."""
    if name in KERAS2_MODULE_NAMES.get(module, ()):
        return getattr(layers, name)
    raise AttributeError(f"module 'ketorch.layers.{module}' has no attribute {name!r}")
