"""tf.keras 2.4+ path ``keras.engine.functional``: the ``Functional`` model class."""

from ..models.functional import Functional

__all__ = ["Functional"]
