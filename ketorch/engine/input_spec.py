"""tf.keras 2 path ``keras.engine.input_spec``: ``InputSpec``."""

from ..layers.input_spec import InputSpec

__all__ = ["InputSpec"]
