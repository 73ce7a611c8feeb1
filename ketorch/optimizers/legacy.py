"""`keras.optimizers.legacy`: the tf.keras 2 optimizer names, served by the Keras 3 classes.

Keras 3 keeps these names only to raise an error when they are used. ketorch exists to
run Keras 2 era code, so here they are the ordinary optimizers (which accept the
Keras 2 `lr=` keyword and ignore `decay=` with a warning).

Example:
    >>> from ketorch.optimizers import legacy
    >>> legacy.Adam(learning_rate=0.01).get_config()["learning_rate"]
    0.01
"""

from ketorch.optimizers.adagrad import Adagrad
from ketorch.optimizers.adam import Adam
from ketorch.optimizers.ftrl import Ftrl
from ketorch.optimizers.optimizer import Optimizer
from ketorch.optimizers.rmsprop import RMSprop
from ketorch.optimizers.sgd import SGD

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]
