"""The Keras 2 ``K.*`` functions (``from keras import backend as K``), on ketorch's ops.

Each function is written with :mod:`ketorch.ops`, so it runs eagerly on tensors and records
graph nodes (Keras ops that a saved model can name) on symbolic tensors, e.g. inside a
Functional model definition or a ``Lambda`` layer. Semantics are Keras 2's where they differ
from Keras 3 (``K.sqrt`` clips negatives to 0, ``K.hard_sigmoid`` is ``0.2 * x + 0.5`` clipped,
``K.batch_dot`` returns ``(batch, 1)`` for two vectors per sample, ``K.function`` returns NumPy
arrays).

Example:

>>> import torch
>>> from ketorch import backend as K
>>> y_true = torch.tensor([[0.0, 1.0]])
>>> y_pred = torch.tensor([[0.2, 0.8]])
>>> print(f"{float(K.mean(K.square(y_true - y_pred))):.4f}")
0.0400
"""

from __future__ import annotations

import contextlib
import string

import numpy as np
import torch

from .. import ops
from .. import random as _random
from ..config import floatx as _floatx
from ..layers.node import KerasTensor
from ..models.functional import Functional
from ._core import CALL_CONTEXT, clear_session, epsilon, image_data_format  # noqa: F401
from ._variable import Variable
from ._variable import name_scope as _scope

__all__ = [
    "abs", "all", "any", "arange", "argmax", "argmin", "batch_dot", "batch_flatten",
    "batch_get_value", "batch_set_value", "bias_add", "binary_crossentropy", "cast",
    "cast_to_floatx", "categorical_crossentropy", "clear_session", "clip", "concatenate",
    "constant", "cos", "count_params", "cumprod", "cumsum", "dot", "dropout", "dtype", "elu",
    "epsilon", "equal", "eval", "exp", "expand_dims", "eye", "flatten", "floatx", "function",
    "gather", "get_value", "gradients", "greater", "greater_equal", "hard_sigmoid",
    "image_data_format", "in_test_phase", "in_train_phase", "int_shape", "is_keras_tensor",
    "is_tensor", "l2_normalize", "learning_phase", "less", "less_equal", "log", "logsumexp",
    "max", "maximum", "mean", "min", "minimum", "moving_average_update", "name_scope", "ndim",
    "not_equal", "one_hot", "ones", "ones_like", "permute_dimensions", "pow", "print_tensor",
    "prod", "random_bernoulli", "random_binomial", "random_normal", "random_uniform", "relu",
    "repeat", "repeat_elements", "reshape", "reverse", "rnn", "round", "separable_conv2d",
    "set_learning_phase", "set_value", "shape", "sigmoid", "sign", "sin", "softmax",
    "softplus", "softsign", "sparse_categorical_crossentropy", "sqrt", "square", "squeeze",
    "stack", "std", "stop_gradient", "sum", "switch", "tanh", "tile", "transpose",
    "truncated_normal", "update", "update_add", "update_sub", "var", "variable", "zeros",
    "zeros_like",
]  # fmt: skip

_LEARNING_PHASE = [None]  # set_learning_phase() value; None: the training flag of the call


# ------------------------------------------------------------------ dtypes
def floatx() -> str:
    """The default float dtype name."""

    return _floatx()


def cast_to_floatx(x) -> np.ndarray:
    """``x`` as a NumPy array of floatx."""
    return np.asarray(x, dtype=floatx())


def dtype(x) -> str:
    """The Keras dtype name of a tensor or variable."""
    return ops.dtype(x)


def cast(x, dtype):
    """``x`` cast to ``dtype``."""
    return ops.cast(x, dtype)


def is_tensor(x) -> bool:
    return isinstance(x, (torch.Tensor, KerasTensor))


def is_keras_tensor(x) -> bool:
    """Whether ``x`` is a symbolic tensor of a model being defined."""
    return isinstance(x, KerasTensor)


# ------------------------------------------------------------ reductions
def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (booleans count as floats)."""
    return ops.mean(x, axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return ops.sum(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return ops.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return ops.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return ops.std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return ops.var(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    return ops.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return ops.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    return ops.argmin(x, axis=axis)


def cumsum(x, axis=0):
    return ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return ops.cumprod(x, axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return ops.logsumexp(x, axis=axis, keepdims=keepdims)


# ------------------------------------------------------------ elementwise
def square(x):
    return ops.square(x)


def sqrt(x):
    """Square root; negative inputs are clipped to 0 first (Keras 2's rule)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def exp(x):
    return ops.exp(x)


def log(x):
    return ops.log(x)


def abs(x):  # noqa: A001
    return ops.absolute(x)


def sign(x):
    return ops.sign(x)


def round(x):  # noqa: A001
    return ops.round(x)


def sin(x):
    return ops.sin(x)


def cos(x):
    return ops.cos(x)


def pow(x, a):  # noqa: A001
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """Clip to ``[min_value, max_value]``; ``max_value=None`` means no upper bound."""
    if max_value is None:
        max_value = np.inf
    if min_value is None:
        min_value = -np.inf
    if isinstance(max_value, (int, float)) and isinstance(min_value, (int, float)):
        max_value = builtins_max(min_value, max_value)
    return ops.clip(x, min_value, max_value)


def builtins_max(a, b):
    return a if a > b else b


def maximum(x, y):
    return ops.maximum(x, y)


def minimum(x, y):
    return ops.minimum(x, y)


def equal(x, y):
    return ops.equal(x, y)


def not_equal(x, y):
    return ops.not_equal(x, y)


def greater(x, y):
    return ops.greater(x, y)


def greater_equal(x, y):
    return ops.greater_equal(x, y)


def less(x, y):
    return ops.less(x, y)


def less_equal(x, y):
    return ops.less_equal(x, y)


# ------------------------------------------------------------ activations
def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def sigmoid(x):
    return ops.sigmoid(x)


def hard_sigmoid(x):
    """Keras 2's ``clip(0.2 * x + 0.5, 0, 1)`` (Keras 3's ops.hard_sigmoid uses x / 6)."""
    return ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0.0, 1.0)


def tanh(x):
    return ops.tanh(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras 2's options (leak ``alpha``, cap, threshold)."""
    if alpha == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    out = ops.where(
        ops.greater_equal(x, threshold), x, ops.multiply(ops.subtract(x, threshold), alpha)
    )
    if max_value is not None:
        out = ops.minimum(out, max_value)
    return out


# ---------------------------------------------------------------- losses
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    return ops.binary_crossentropy(target, output, from_logits=from_logits)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x**2, axis), 1e-12))``."""
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(squares, 1e-12)))


# ---------------------------------------------------------------- shapes
def shape(x):
    """The shape as a tuple (``None`` for unknown sizes of symbolic tensors)."""
    return ops.shape(x)


def int_shape(x):
    """The shape as a tuple of ints (``None`` where unknown)."""
    if isinstance(x, (torch.Tensor, KerasTensor, np.ndarray)):
        return tuple(x.shape)
    return tuple(np.shape(x))


def ndim(x) -> int:
    return len(int_shape(x))


def count_params(x) -> int:
    """The number of scalars in ``x``."""
    return int(np.prod(int_shape(x)))


def reshape(x, shape):
    return ops.reshape(x, shape)


def permute_dimensions(x, pattern):
    return ops.transpose(x, tuple(pattern))


def transpose(x):
    return ops.transpose(x)


def expand_dims(x, axis=-1):
    return ops.expand_dims(x, axis)


def squeeze(x, axis):
    return ops.squeeze(x, axis)


def stack(x, axis=0):
    return ops.stack(x, axis=axis)


def concatenate(tensors, axis=-1):
    return ops.concatenate(list(tensors), axis=axis)


def flatten(x):
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """``(batch, ...)`` -> ``(batch, prod(...))``."""
    return ops.reshape(x, (-1, int(np.prod(int_shape(x)[1:]))))


def tile(x, n):
    return ops.tile(x, n)


def repeat_elements(x, rep, axis):
    return ops.repeat(x, rep, axis=axis)


def repeat(x, n):
    """``(batch, dim)`` -> ``(batch, n, dim)``."""
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def reverse(x, axes):
    return ops.flip(x, axis=axes)


def gather(reference, indices):
    return ops.take(reference, indices, axis=0)


def one_hot(indices, num_classes):
    return ops.one_hot(indices, num_classes)


def arange(start, stop=None, step=1, dtype="int32"):
    return ops.arange(start, stop, step, dtype=dtype)


def bias_add(x, bias, data_format=None):
    """Add ``bias`` along the channel axis (last for channels_last)."""
    data_format = data_format or image_data_format()
    if data_format == "channels_first" and ndim(x) > 2:
        bias = ops.reshape(bias, (-1,) + (1,) * (ndim(x) - 2))
    return ops.add(x, bias)


# ---------------------------------------------------------------- products
def dot(x, y):
    """NumPy's ``dot``: contract ``x``'s last axis with ``y``'s second-to-last (or only) axis."""
    if ndim(x) <= 2 and ndim(y) <= 2:
        return ops.matmul(x, y)
    return ops.tensordot(x, y, axes=[[ndim(x) - 1], [builtins_max(ndim(y) - 2, 0)]])


def batch_dot(x, y, axes=None):
    """Per-sample dot products of two batches, contracting ``axes`` (Keras 2's rules).

    ``axes=None`` contracts ``x``'s last axis with ``y``'s last (2-D ``y``) or second-to-last
    axis; a result with only the batch axis left gets a trailing axis of 1.
    """
    nx, ny = ndim(x), ndim(y)
    if nx < 2 or ny < 2:
        raise ValueError(
            "K.batch_dot needs inputs of rank 2 or more. "
            f"Received: x.shape={int_shape(x)}, y.shape={int_shape(y)}"
        )
    if axes is None:
        axes = [nx - 1, ny - 1 if ny == 2 else ny - 2]
    elif isinstance(axes, int):
        axes = [axes, axes]
    ax, ay = (a % n for a, n in zip(axes, (nx, ny)))
    if ax == 0 or ay == 0:
        raise ValueError(f"K.batch_dot cannot contract the batch axis. Received: axes={axes}")
    letters = iter(string.ascii_letters[2:])
    xs = ["b"] + [next(letters) for _ in range(nx - 1)]
    ys = ["b"] + [next(letters) for _ in range(ny - 1)]
    ys[ay] = xs[ax] = "a"
    out = [c for c in xs if c != "a"] + [c for c in ys[1:] if c != "a"]
    result = ops.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
    if len(out) == 1:
        result = ops.expand_dims(result, 1)
    return result


# ---------------------------------------------------------- tensors/values
def zeros(shape, dtype=None, name=None):
    return ops.zeros(shape, dtype=dtype or floatx())


def ones(shape, dtype=None, name=None):
    return ops.ones(shape, dtype=dtype or floatx())


def zeros_like(x, dtype=None, name=None):
    return ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return ops.ones_like(x, dtype=dtype)


def eye(size, dtype=None, name=None):
    if isinstance(size, (tuple, list)):
        return ops.eye(size[0], size[1], dtype=dtype or floatx())
    return ops.eye(size, dtype=dtype or floatx())


def variable(value, dtype=None, name=None, constraint=None):
    """A :class:`~ketorch.Variable` holding ``value`` (floatx by default)."""
    if dtype is None:
        dtype = floatx() if not isinstance(value, torch.Tensor) else None
    var = Variable(value, dtype=dtype, name=name)
    if constraint is not None:
        var._keras_constraint = constraint
    return var


def constant(value, dtype=None, shape=None, name=None):
    """A tensor of ``value`` (broadcast to ``shape`` when given)."""
    t = ops.convert_to_tensor(value, dtype=dtype or floatx())
    if shape is not None:
        t = ops.broadcast_to(t, tuple(shape))
    return t


def get_value(x) -> np.ndarray:
    """``x`` as a NumPy array."""
    return ops.convert_to_numpy(x)


def eval(x) -> np.ndarray:  # noqa: A001 - Keras 2's name
    return get_value(x)


def batch_get_value(tensors) -> list:
    return [get_value(t) for t in tensors]


def set_value(x, value) -> None:
    """Assign ``value`` to the variable ``x`` in place."""
    if hasattr(x, "assign"):
        x.assign(value)
        return
    with torch.no_grad():
        x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype, device=x.device))


def batch_set_value(tuples) -> None:
    for x, value in tuples:
        set_value(x, value)


def update(x, new_x):
    set_value(x, new_x)
    return x


def update_add(x, increment):
    """``x += increment`` in place; returns ``x``."""
    if hasattr(x, "assign_add"):
        return x.assign_add(increment)
    with torch.no_grad():
        x.add_(torch.as_tensor(increment, dtype=x.dtype, device=x.device))
    return x


def update_sub(x, decrement):
    """``x -= decrement`` in place; returns ``x``."""
    if hasattr(x, "assign_sub"):
        return x.assign_sub(decrement)
    with torch.no_grad():
        x.sub_(torch.as_tensor(decrement, dtype=x.dtype, device=x.device))
    return x


def moving_average_update(x, value, momentum):
    """``x = x * momentum + value * (1 - momentum)`` in place."""
    return update(x, ops.add(ops.multiply(x, momentum), ops.multiply(value, 1.0 - momentum)))


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return type(variables)(ops.stop_gradient(v) for v in variables)
    return ops.stop_gradient(variables)


def print_tensor(x, message="", summarize=3):
    """Print ``message`` and ``x`` (eagerly) and return ``x``."""
    if isinstance(x, torch.Tensor):
        print(message, x)
    return x


# ---------------------------------------------------------- control / phase
def learning_phase():
    """1 inside a training call, else 0 (or the value given to :func:`set_learning_phase`)."""
    if _LEARNING_PHASE[0] is not None:
        return _LEARNING_PHASE[0]
    return 1 if CALL_CONTEXT.training else 0


def set_learning_phase(value) -> None:
    """Keras 2's global learning phase (0 or 1); prefer ``training=`` arguments."""
    if value not in (0, 1, None):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")
    _LEARNING_PHASE[0] = value


def switch(condition, then_expression, else_expression):
    """Select ``then_expression`` where ``condition`` holds (callables are called first)."""
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    if isinstance(condition, bool):
        return then_expression if condition else else_expression
    cond = ops.cast(condition, "bool")
    n_cond, n_then = ndim(cond), ndim(then_expression)
    while n_cond < n_then:
        cond = ops.expand_dims(cond, -1)
        n_cond += 1
    return ops.where(cond, then_expression, else_expression)


def in_train_phase(x, alt, training=None):
    """``x`` when training (or ``training`` truthy), else ``alt``; callables are called."""
    if training is None:
        training = learning_phase()
    if isinstance(training, torch.Tensor):
        return switch(training, x, alt)
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x, alt, training=None):
    return in_train_phase(alt, x, training=training)


# ---------------------------------------------------------------- random
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _random.normal(tuple(shape), mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _random.uniform(tuple(shape), minval=minval, maxval=maxval, dtype=dtype, seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _random.truncated_normal(tuple(shape), mean=mean, stddev=stddev, dtype=dtype, seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    """0/1 draws with probability ``p`` of 1."""
    draws = _random.uniform(tuple(shape), dtype=dtype, seed=seed)
    return ops.cast(ops.less(draws, p), dtype or floatx())


random_binomial = random_bernoulli


def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout of ``x`` with drop probability ``level``."""
    return _random.dropout(x, level, noise_shape=noise_shape, seed=seed)


# ------------------------------------------------------------------ loops
def rnn(
    step_function,
    inputs,
    initial_states,
    go_backwards=False,
    mask=None,
    constants=None,
    unroll=False,
    input_length=None,
    time_major=False,
    zero_output_for_mask=False,
    return_all_outputs=True,
):
    """Run ``step_function(input_t, states) -> (output_t, new_states)`` over time.

    Returns:
        ``(last_output, outputs, new_states)`` with ``outputs`` stacked on the time axis
        (only the last output, with a time axis of 1, when ``return_all_outputs=False``).
    """
    inputs = ops.convert_to_tensor(inputs)
    if not time_major:
        inputs = ops.moveaxis(inputs, 1, 0)
    if mask is not None:
        mask = ops.cast(ops.convert_to_tensor(mask), "bool")
        if not time_major:
            mask = ops.moveaxis(mask, 1, 0)
    steps = range(inputs.shape[0])
    if go_backwards:
        steps = reversed(steps)
    states = list(initial_states)
    extra = list(constants or [])
    outputs, last = [], None
    for t in steps:
        out, new_states = step_function(inputs[t], states + extra)
        new_states = list(new_states)
        if mask is not None:
            m = mask[t]

            def keep(new, old, m=m):
                mm = ops.reshape(m, (-1,) + (1,) * (ndim(new) - 1))
                return ops.where(mm, new, old)

            prev_out = last if last is not None else ops.zeros_like(out)
            out = keep(out, ops.zeros_like(out) if zero_output_for_mask else prev_out)
            new_states = [keep(n, o) for n, o in zip(new_states, states)]
        states = new_states
        last = out
        outputs.append(out)
    if not return_all_outputs:
        outputs = outputs[-1:]
    stacked = ops.stack(outputs, axis=0 if time_major else 1)
    return last, stacked, states


# --------------------------------------------------------------- function
class _Function:
    """The callable that :func:`function` returns."""

    def __init__(self, inputs, outputs):

        self._inputs = [t for t in inputs if isinstance(t, KerasTensor)]
        self._phase_index = [i for i, t in enumerate(inputs) if not isinstance(t, KerasTensor)]
        single = not isinstance(outputs, (list, tuple))
        self._single = single
        outs = [outputs] if single else list(outputs)
        self._model = Functional(self._inputs, outs)

    def __call__(self, inputs):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        phase = None
        for i in sorted(self._phase_index, reverse=True):
            if i < len(inputs):
                phase = inputs.pop(i)
        with torch.no_grad():
            outs = self._model(inputs if len(inputs) > 1 else inputs[0], training=bool(phase))
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        values = [ops.convert_to_numpy(o) for o in outs]
        return values[0] if self._single else values


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable mapping input values to output values of a graph (NumPy arrays out).

    ``inputs`` are symbolic tensors of a model (``model.input``) and optionally
    ``K.learning_phase()``; ``outputs`` are symbolic tensors computed from them.
    """
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    return _Function(inputs, outputs)


def gradients(loss, variables):
    """``d loss / d variables`` (eager tensors)."""
    return list(torch.autograd.grad(loss, list(variables), allow_unused=True, retain_graph=True))


@contextlib.contextmanager
def name_scope(name):

    with _scope(name):
        yield


def separable_conv2d(*args, **kwargs):
    return ops.separable_conv(*args, **kwargs)
