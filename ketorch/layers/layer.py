"""The Layer base class: a ``torch.nn.Module`` with Keras's layer contract.

A layer creates no weights in ``__init__``; ``build(input_shape)`` creates them
with :meth:`Layer.add_weight` as ``nn.Parameter`` objects in Keras's layout and
order, ``call`` computes with torch ops, ``compute_output_shape`` serves the
Functional API and ``summary()``, and ``get_config`` returns every constructor
argument.

Example:
    >>> import torch
    >>> from ketorch import layers
    >>> class Scale(layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    >>> Scale()(torch.ones(2, 3)).shape
    torch.Size([2, 3])
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import weakref

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as _module_mod

from .. import backend, constraints, initializers, regularizers
from ..backend._core import PER_THREAD, call_context, next_generation
from ..backend._variable import Variable, layer_variable_path, scope_stack
from ..backend.remat import STATE as _REMAT
from ..backend.remat import attach as _remat_attach
from ..backend.stateless_scope import stateless_call
from ..dtype_policies import serialize
from ..dtype_policies import split_layer_dtype as _split_quantized
from ..mixed_precision import autocast as _autocast
from ..mixed_precision import policy as _policy
from ..quantizers.quantization_config import validate_and_resolve_config
from . import shape_inference
from .input_spec import InputSpec, check_input_spec, format_shape
from .node import KerasTensor, Node, flatten, has_keras_tensor, map_structure

_LEGACY_SHAPE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")

# ``keras.distribution.set_distribution`` puts the ModelParallel sharding module here while a
# ModelParallel distribution is set (else None): new weights its LayoutMap splits keep only
# this process's piece, and whole weights are gathered for get/set_weights.
_SHARDING = None


def _signature_params(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


class Layer(nn.Module):
    """Base class of all layers (and, through :class:`~ketorch.Model`, of models).

    Args:
        trainable: Whether the layer's weights are updated by training.
        name: Layer name; by default the snake_case class name made unique
            (``dense``, ``dense_1``, ...).
        dtype: The dtype of the weights and computations (``"float32"``).
        activity_regularizer: Optional penalty on the layer's output.
        input_shape: Keras 2 style: the input shape without the batch axis;
            on the first layer of a ``Sequential`` it defines the model input.
        input_dim: Keras 2 style: ``input_shape=(input_dim,)``.
        batch_input_shape: Keras 2 style: the full input shape.
    """

    # Why compile(jit_compile=True) should leave a model holding this layer eager (None: no reason).
    _jit_unfriendly: str | None = None

    _call_has_training = False
    _call_has_mask = False
    _keras_mask_rules = False
    _shape_from_call = False
    # add_loss() values outside train/test steps, per thread: {thread's call context:
    # (generation of the outermost call that added them, [losses])}; made on first use.
    _thread_losses = None
    _called = False  # set on the first call (which opens this layer's variable name scope)
    _remat_mode = None  # a RematMode for layers created inside a keras.RematScope
    _quantized_policy = None  # the QuantizedDTypePolicy of a quantized layer

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        params = _signature_params(cls.call)
        cls._call_has_training = "training" in params
        cls._call_has_mask = "mask" in params
        cls._build_params = [p for p in _signature_params(cls.build) if p != "self"]
        cls._auto_config = cls.get_config is Layer.get_config
        cls._shape_from_call = _call_overrides_builtin_shape(cls)
        # Keras's rules for user layers: the mask of a list input is the list of the
        # tensors' masks, and `supports_masking` defaults to "compute_mask is overridden".
        cls._keras_mask_rules = not cls.__module__.startswith("ketorch.")

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # Remember constructor arguments for the automatic get_config of custom layers.
        object.__setattr__(obj, "_init_args", (args, dict(kwargs)))
        # nn.Module's bookkeeping exists before __init__ runs: Keras 2 code assigns
        # sublayers before calling `super().__init__()` (`self.layer = layer` in wrappers).
        nn.Module.__init__(obj)
        return obj

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable: bool = True,
        dtype=None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs,
    ):
        if "_modules" not in self.__dict__:  # made without __new__ (e.g. by copy)
            super().__init__()
        shape_kwargs = {k: kwargs.pop(k) for k in _LEGACY_SHAPE_KWARGS if k in kwargs}
        initial_weights = kwargs.pop("weights", None)
        kwargs.pop("input_length", None)  # Keras 1/2 argument some layers accepted
        for legacy in ("seed_generator",):
            kwargs.pop(legacy, None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"A layer name must be a string. Received: name={name!r}")
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        dtype, self._quantized_policy = _split_quantized(dtype)
        self._dtype = _policy.resolve_layer_dtype(dtype)  # None: the global policy
        self.autocast = autocast
        self.built = False
        self.supports_masking = self._keras_mask_rules and (
            type(self).compute_mask is not Layer.compute_mask
        )
        self.input_spec = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._trainable_weights: list[nn.Parameter] = []
        self._non_trainable_weights: list[nn.Parameter] = []
        self._inbound_nodes: list[Node] = []
        self._build_shapes = None
        self._initial_weights = initial_weights
        self._batch_input_shape = _legacy_input_shape(shape_kwargs)
        if _REMAT.open_scopes:  # created in a keras.RematScope: rematerialize its calls
            _remat_attach(self)

    # ------------------------------------------------------------ properties
    @property
    def dtype(self) -> str:
        """The variable dtype name (``"float32"``)."""
        return "float32" if self._dtype.startswith("mixed_") else self._dtype

    @property
    def compute_dtype(self) -> str:
        if self._dtype == "mixed_float16":
            return "float16"
        if self._dtype == "mixed_bfloat16":
            return "bfloat16"
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype

    @property
    def dtype_policy(self):
        """The layer's :class:`~ketorch.mixed_precision.DTypePolicy`."""
        return getattr(self, "_quantized_policy", None) or _policy.get(self._dtype)

    @dtype_policy.setter
    def dtype_policy(self, value) -> None:
        value, quantized = _split_quantized(value)
        self._dtype = _policy.resolve_layer_dtype(value)
        self._quantized_policy = quantized
        if quantized is not None and self.built and not getattr(self, "_is_quantized", False):
            self.quantize(quantized.quantization_mode)

    @property
    def quantization_mode(self):
        """The quantization mode of the layer's policy (``"int8"``, ...), else ``None``."""
        # Read on every call of quantizable layers: no policy lookup for float layers.
        quantized = self._quantized_policy
        return None if quantized is None else quantized.quantization_mode

    def quantize(self, mode=None, type_check=True, config=None) -> None:
        """Quantize the layer's weights (Dense, EinsumDense and Embedding implement it).

        Raises:
            ValueError: On an unknown mode or an unbuilt layer.
            NotImplementedError: For layers without a quantized form.
        """

        mode = validate_and_resolve_config(mode, config).mode
        if not self.built:
            raise ValueError(
                "Cannot quantize a layer that isn't yet built. "
                f"Layer '{self.name}' (of type '{type(self).__name__}') is not built yet."
            )
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `quantize` method implemented."
        )

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        for layer in self._flatten_layers(include_self=True):
            layer._trainable = value
            for w in layer._trainable_weights:
                w.requires_grad_(value)

    def _sublayers(self):
        """Direct child layers, in tracking order (lists of layers flattened)."""
        out = []
        for m in self._modules.values():
            if isinstance(m, Layer):
                out.append(m)
            elif isinstance(m, (nn.ModuleList, nn.Sequential)):
                out.extend(x for x in m if isinstance(x, Layer))
            elif isinstance(m, nn.ModuleDict):
                out.extend(x for x in m.values() if isinstance(x, Layer))
        return out

    def _flatten_layers(self, include_self=True):
        seen, out = set(), []
        stack = [self] if include_self else list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return out

    @property
    def weights(self) -> list[nn.Parameter]:
        """All weights: own trainable, own non-trainable, then the sublayers'."""
        cls = type(self)
        if (
            cls.trainable_weights is not Layer.trainable_weights
            or cls.non_trainable_weights is not Layer.non_trainable_weights
        ) and not cls.__module__.startswith("ketorch."):
            # Keras 2 code overrides these properties to choose the weights (a wrapper
            # listing its copies, not its prototype); Keras 2's `weights` is their sum.
            return list(
                {id(w): w for w in (*self.trainable_weights, *self.non_trainable_weights)}.values()
            )
        out, seen = [], set()
        for w in (*self._trainable_weights, *self._non_trainable_weights):
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._sublayers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    variables = weights

    @property
    def trainable_weights(self) -> list[nn.Parameter]:
        """Weights updated by training, in :attr:`weights` order."""
        if not self._trainable:
            return []
        out, seen = [], set()
        for w in self._trainable_weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._sublayers():
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[nn.Parameter]:
        """Weights not updated by gradient descent (frozen or statistics)."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Weight values as numpy arrays, in Keras's order and layout."""
        if _SHARDING is not None:  # whole weights gathered from the pieces (collective)
            with _SHARDING.whole_weights(self):
                return [w.detach().cpu().numpy().copy() for w in self.weights]
        return [w.detach().cpu().numpy().copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set weight values from a list of arrays in :meth:`get_weights` order.

        Raises:
            ValueError: If the number of arrays or a shape does not match.
        """
        if _SHARDING is not None:  # set whole values, keep the pieces (collective)
            with _SHARDING.whole_weights(self, reshard=True):
                return self._set_weights(weights)
        return self._set_weights(weights)

    def _set_weights(self, weights) -> None:
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                f"length {len(weights)}, but the layer was expecting {len(params)} weights."
            )
        with torch.no_grad():
            for p, v in zip(params, weights):
                v = v.detach() if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v))
                if tuple(p.shape) != tuple(v.shape):
                    raise ValueError(
                        f"Layer '{self.name}' weight '{_weight_name(p)}' has shape "
                        f"{format_shape(tuple(p.shape))}, which is not compatible with the "
                        f"provided weight shape {format_shape(tuple(v.shape))}."
                    )
                p.copy_(v.to(p.dtype))

    def count_params(self) -> int:
        """Total number of scalars in :attr:`weights`."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(w.numel() for w in self.weights))

    # --------------------------------------------------------------- weights
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        overwrite_with_gradient=False,
        name: str | None = None,
        **kwargs,
    ) -> nn.Parameter:
        """Create a weight as an ``nn.Parameter`` registered on this layer.

        Args:
            shape: Weight shape (a tuple of ints).
            initializer: Initializer name, object or callable; defaults to
                ``"glorot_uniform"`` for float weights, ``"zeros"`` otherwise.
            dtype: Weight dtype (defaults to the layer's variable dtype).
            trainable: Whether gradient descent updates it.
            regularizer: Optional penalty added to the training loss.
            constraint: Optional projection applied after each optimizer step.
            name: Weight name (``"kernel"``, ``"bias"``, ...).

        Returns:
            The new ``nn.Parameter``.
        """
        if isinstance(shape, str) and name is None:  # Keras 2: add_weight(name, shape, ...)
            name, shape = shape, initializer if isinstance(initializer, (tuple, list)) else None
            initializer = kwargs.pop("initializer", None) if shape is not None else initializer
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        kwargs.pop("use_resource", None)
        kwargs.pop("synchronization", None)
        if kwargs:
            raise TypeError(f"add_weight() got unexpected arguments: {sorted(kwargs)}")
        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype_name = backend.standardize_dtype(dtype or self.dtype)
        tdtype = backend.torch_dtype(dtype_name)
        if initializer is None:
            initializer = "glorot_uniform" if tdtype.is_floating_point else "zeros"
        init = initializers.get(initializer)
        # Weights may be created lazily inside predict() or a user's inference_mode block;
        # they must still be ordinary tensors that training can update later.
        with (
            torch.inference_mode(False),
            torch.no_grad(),
            shape_inference.real_tensors(),
            torch.device("cpu") if _SHARDING is not None else contextlib.nullcontext(),
        ):
            value = (
                init(shape, dtype=tdtype)
                if isinstance(init, initializers.Initializer)
                else init(shape, tdtype)
            )
            value = torch.as_tensor(value, dtype=tdtype).reshape(shape).clone()
        reg_name = name or "variable"
        p = Variable.from_tensor(
            value,
            requires_grad=bool(trainable) and self._trainable and tdtype.is_floating_point,
            name=reg_name,
        )
        base, i = reg_name, 1
        if self.__dict__.get(reg_name, 0) is None:  # e.g. `self.bias = None` before building
            del self.__dict__[reg_name]
        while (
            reg_name in self._parameters or reg_name in self._modules or reg_name in self.__dict__
        ):
            reg_name = f"{base}_{i}"
            i += 1
        p._keras_name = name or reg_name
        p._keras_path = layer_variable_path(self.name, p._keras_name)
        p._keras_trainable = bool(trainable)
        p._keras_regularizer = regularizers.get(regularizer)
        p._keras_constraint = _get_constraint(constraint)
        p._keras_layer_name = self.name
        self.register_parameter(reg_name, p)
        object.__setattr__(self, reg_name, p)  # fast attribute access (no nn.Module lookup)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(p)
        if _SHARDING is not None:  # a ModelParallel layout may split it: keep this piece
            _SHARDING.shard_new_weight(self, p)
        return p

    def add_variable(
        self,
        shape,
        initializer,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        name=None,
    ):
        """Keras 3's alias of :meth:`add_weight` (the initializer is required).

        Example:
            >>> import ketorch as keras
            >>> layer = keras.layers.Layer()
            >>> v = layer.add_variable((2,), "ones", name="scale")
            >>> v.path, v.numpy().tolist()
            ('layer/scale', [1.0, 1.0])
        """
        return self.add_weight(
            shape=shape,
            initializer=initializer,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            regularizer=regularizer,
            constraint=constraint,
            name=name,
        )

    def __deepcopy__(self, memo):
        # nn.Parameter.__deepcopy__ drops the tensor's __dict__, and with it the Keras
        # attributes of each weight (name, regularizer, constraint, `value`): copy the module
        # the default way, then carry them over to the copied parameters.
        if id(self) in memo:
            return memo[id(self)]
        new = copy._reconstruct(self, memo, *self.__reduce_ex__(4))
        for p in self._parameters.values():
            q = memo.get(id(p))
            if p is None or q is None or q is p:
                continue
            for key, attr in p.__dict__.items():
                if key not in q.__dict__:
                    q.__dict__[key] = q if attr is p else copy.deepcopy(attr, memo)
        return new

    def __getstate__(self):
        # The last forward pass's add_loss() values are per thread and transient: copies and
        # pickles start without them (the weak per-thread map cannot be pickled anyway).
        state = super().__getstate__()
        state.pop("_thread_losses", None)
        return state

    def __setattr__(self, name, value):
        if isinstance(value, nn.Parameter) and "_parameters" in self.__dict__:
            registered = self._parameters.get(name)
            if registered is value or any(v is value for v in self._parameters.values()):
                object.__setattr__(self, name, value)
                return
        elif (
            isinstance(value, (list, tuple))
            and value
            and all(isinstance(v, Layer) for v in value)
            and "_modules" in self.__dict__
        ):
            super().__setattr__(name, nn.ModuleList(value))
            return
        if isinstance(self.__dict__.get(name), _TrackedList):
            self._modules.pop(name, None)  # the list is being replaced
        if (
            type(value) is list
            and not value
            and not name.startswith("_")  # ketorch's own bookkeeping lists stay plain
            and "_modules" in self.__dict__
        ):
            # `self.blocks = []` then `self.blocks.append(Dense(...))`: as Keras tracks such
            # lists, the layers appended later become sublayers (weights, saving, .to()).
            value = _TrackedList(self, name)
        super().__setattr__(name, value)

    # ------------------------------------------------------------- lifecycle
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape``; the base does nothing."""
        self.built = True

    def call(self, *args, **kwargs):
        """The layer's computation; subclasses override it."""
        raise NotImplementedError(
            f"Layer '{self.name}' ({type(self).__name__}) does not implement `call()`."
        )

    def forward(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``; the default runs the layer on zeros."""
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask when the layer supports masking."""
        return mask if self.supports_masking else None

    def _maybe_build(self, args, kwargs):
        stack = scope_stack()
        stack.append(self.name)  # variables built here get paths like "outer/dense/kernel"
        # Weights and state built during a shape-inference run on meta tensors are real.
        with shape_inference.real_tensors():
            try:
                self._build_in_scope(args, kwargs)
            finally:
                stack.pop()
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None

    def _build_in_scope(self, args, kwargs):
        if self._build_params and len(self._build_params) > 1:
            call_params = list(_signature_params(type(self).call))
            call_params = [p for p in call_params if p != "self"]
            shapes = {}
            for pname, arg in zip(call_params, args):
                shapes[f"{pname}_shape"] = _shape_of(arg)
            for k, v in kwargs.items():
                if f"{k}_shape" in self._build_params:
                    shapes[f"{k}_shape"] = _shape_of(v)
            names = [p for p in self._build_params if p in shapes]
            if names:
                self.build(**{p: shapes[p] for p in names})
            else:
                self.build(_shape_of(args[0]))
        else:
            shape = _shape_of(args[0]) if args else _shape_of(next(iter(kwargs.values())))
            self._build_shapes = shape
            self.build(shape)

    def __call__(self, *args, **kwargs):
        first = args[0] if args else (next(iter(kwargs.values())) if kwargs else None)
        if type(first) is not torch.Tensor and not isinstance(first, torch.Tensor):
            if (
                isinstance(first, (list, tuple))
                and len(first) != 1
                and isinstance(self.input_spec, InputSpec)
            ):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) expects 1 input tensor, but it "
                    f"received a list of {len(first)}. Combine them first (e.g. with "
                    "`keras.layers.Concatenate()`). Received: inputs=list of "
                    f"{len(first)} tensors"
                )
            if has_keras_tensor(args) or has_keras_tensor(kwargs):
                return self._symbolic_call(args, kwargs)
            if first is not None and not isinstance(first, (list, tuple, dict)):
                first = backend.to_tensor(first, device=_device_of(self))
                args = (first, *args[1:]) if args else args
        ctx = PER_THREAD.ctx  # this thread's: other threads' calls never show through
        outer = ctx.training
        if self._call_has_training:
            training = kwargs.get("training")
            if training is None:
                training = outer
                if training is not None:
                    kwargs["training"] = training
        else:
            training = kwargs.pop("training", None)
            if training is None:
                training = outer
        in_mask = None
        if self.supports_masking or self._call_has_mask:
            in_mask = kwargs.get("mask") if self._call_has_mask else None
            if in_mask is None:
                if self._keras_mask_rules and isinstance(first, (list, tuple)):
                    in_mask = [getattr(x, "_keras_mask", None) for x in first]
                else:
                    in_mask = getattr(first, "_keras_mask", None)
                if in_mask is not None and self._call_has_mask:
                    kwargs["mask"] = in_mask
        if not self.built:
            try:
                self._maybe_build(args, kwargs)
            except _WRAPPED_ERRORS as e:
                self._raise_call_error(e, args, "build")
        ctx.training = training
        if not ctx.depth:
            ctx.generation = next_generation()
        ctx.depth += 1
        first_call = not self._called
        if first_call:  # sublayers built lazily in this call get this layer's name scope
            self._called = True
            scope_stack().append(self.name)
        try:
            if (
                self._dtype.startswith("mixed_")
                or ctx.autocast_depth
                or _autocast.is_half(first)  # a float32 layer casts half inputs up
            ):
                outputs = _autocast.call_with_policy(self, args, kwargs)
            else:
                outputs = (
                    nn.Module.__call__(self, *args, **kwargs)
                    if self._has_hooks()
                    else self.forward(*args, **kwargs)
                )
        except _WRAPPED_ERRORS as e:
            self._reraise_friendly(e, args)
            self._raise_call_error(e, args, "call")
        finally:
            ctx.training = outer
            ctx.depth -= 1
            if first_call:
                scope_stack().pop()
        if type(outputs) is not torch.Tensor:
            outputs = _arrays_to_tensors(outputs, first)
        if self.supports_masking and not shape_inference.inferring():
            out_mask = self.compute_mask(first, in_mask)
            if out_mask is not None:
                _attach_mask(outputs, out_mask)
        if self.activity_regularizer is not None:
            # One penalty per output tensor (as Keras), each divided by its batch size.
            for out in flatten(outputs):
                if isinstance(out, torch.Tensor):
                    penalty = self.activity_regularizer(out)
                    if out.ndim > 0:
                        penalty = penalty / out.shape[0]
                    self.add_loss(penalty)
        return outputs

    def _has_hooks(self):
        """Whether nn.Module.__call__ has work to do (hooks, tracing); else call forward."""
        return bool(
            self._forward_hooks
            or self._forward_pre_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
            or _module_mod._global_forward_hooks
            or _module_mod._global_forward_pre_hooks
            or _module_mod._global_backward_hooks
            or _module_mod._global_backward_pre_hooks
            or torch._C._get_tracing_state()
            or torch.compiler.is_compiling()
        )

    def _raise_call_error(self, err, args, stage):
        """Re-raise an error from inside ``build``/``call`` naming this layer and its inputs.

        Raw torch errors (RuntimeError, IndexError, AttributeError) become ValueError;
        a TypeError stays a TypeError. The original error is chained.
        """
        if getattr(err, "_ketorch_wrapped", False):
            raise err
        desc = _describe_inputs(args[0] if len(args) == 1 else list(args))
        message = (
            f"Exception encountered when calling {stage}() of layer '{self.name}' "
            f"({type(self).__name__}): {err}. Received: inputs={desc}"
        )
        new = TypeError(message) if isinstance(err, TypeError) else ValueError(message)
        new._ketorch_wrapped = True
        raise new from err

    def _reraise_friendly(self, err, args):
        """Turn a torch error caused by a wrongly shaped input into a clear ValueError."""
        if not args or not isinstance(args[0], torch.Tensor):
            return
        try:
            check_input_spec(self, self.input_spec, tuple(args[0].shape))
        except ValueError as friendly:
            raise friendly from err

    # -------------------------------------------------------------- symbolic
    def _symbolic_call(self, args, kwargs):
        kwargs = {k: v for k, v in kwargs.items() if k != "mask"}
        if kwargs.get("training", 0) is None:
            del kwargs["training"]
        inputs = [t for t in flatten([list(args), kwargs]) if isinstance(t, KerasTensor)]
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, first)
        spec = None
        if not self.built:
            sym_args = map_structure(_as_shape_proxy, list(args))
            sym_kwargs = map_structure(_as_shape_proxy, kwargs)
            try:
                self._maybe_build(sym_args, sym_kwargs)
            except _WRAPPED_ERRORS as e:
                self._raise_call_error(e, args, "build")
            # A custom layer without its own build() creates its sublayers' weights on first
            # call (as Keras's default build does): run it once on zeros so that the graph's
            # weights exist as soon as the model is defined.
            if type(self).build is Layer.build and any(
                not sub.built for sub in self._flatten_layers(include_self=False)
            ):
                spec = self._spec_by_running(args, kwargs)
        check_input_spec(self, self.input_spec, shapes)
        if spec is None and self._shape_from_call:
            spec = self._spec_by_running(args, kwargs)
        if spec is None:
            spec = self.compute_output_spec(*args, **kwargs)
        shape_inference.check_loaded_sizes(self, spec)
        node_index = len(self._inbound_nodes)
        outputs = map_structure(lambda s: KerasTensor(s.shape, s.dtype), spec)
        for i, t in enumerate(flatten(outputs)):
            t._keras_history = (self, node_index, i)
        self._inbound_nodes.append(Node(self, args, kwargs, inputs, outputs))
        return outputs

    def stateless_call(
        self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs
    ):
        """Call the layer with the given variable values, changing no variable.

        Args:
            trainable_variables: Values for :attr:`trainable_variables`, in order.
            non_trainable_variables: Values for :attr:`non_trainable_variables`, in order.
            *args: The call's arguments.
            return_losses: Whether to also return the ``add_loss()`` values of the call.
            **kwargs: The call's keyword arguments (``training=True``, ...).

        Returns:
            ``(outputs, non_trainable_variables)`` with the non-trainable values after the
            call (moving statistics updated), plus the losses when ``return_losses``.

        Example:
            >>> import torch
            >>> import ketorch as keras
            >>> bn = keras.layers.BatchNormalization(momentum=0.5)
            >>> _ = bn(torch.zeros(1, 2))
            >>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
            >>> y, (mean, var) = bn.stateless_call(
            ...     bn.trainable_variables, bn.non_trainable_variables, x, training=True
            ... )
            >>> mean.tolist(), bn.moving_mean.tolist()
            ([1.0, 1.5], [0.0, 0.0])
        """

        return stateless_call(
            self, trainable_variables, non_trainable_variables, args, kwargs, return_losses
        )

    def compute_output_spec(self, *args, **kwargs):
        """Shapes and dtypes of the outputs, as KerasTensors without history."""
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, first)
        try:
            out_shape = self.compute_output_shape(shapes)
        except NotImplementedError:
            return self._spec_by_running(args, kwargs)
        dtype = self.compute_dtype
        return _shapes_to_spec(out_shape, dtype)

    def _spec_by_running(self, args, kwargs):
        """Infer output shapes by running the layer without data (see ``shape_inference``)."""
        try:
            return shape_inference.infer_spec(
                self, lambda *a, **k: Layer.__call__(self, *a, **k), args, kwargs
            )
        except shape_inference.InferenceBudgetError:
            raise
        except Exception as e:
            shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, args[0])
            raise type(e)(
                f"Exception encountered when calling layer '{self.name}' "
                f"({type(self).__name__}) on inputs of shape {shapes}: {e}"
            ) from e

    # -------------------------------------------------------- graph helpers
    def _get_node_attribute(self, attr):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input, so it has no "
                f"defined {attr}."
            )
        node = self._inbound_nodes[0]
        if attr == "input":
            vals = node.input_tensors
            return vals[0] if len(vals) == 1 else vals
        return node.outputs

    @property
    def input(self):
        return self._get_node_attribute("input")

    @property
    def output(self):
        return self._get_node_attribute("output")

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self.input)

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self.output)

    # ---------------------------------------------------------------- losses
    def add_loss(self, loss) -> None:
        """Add a loss term (e.g. an activity penalty) to the current training step."""
        ctx = PER_THREAD.ctx
        collector = ctx.losses
        if collector is not None:
            collector.append(loss)
        else:
            # Outside a train/test step `losses` holds the last forward pass's terms (Keras
            # resets them at each top-level call): a new top-level call starts a new list.
            # Kept per thread, so a forward pass in another thread never replaces them.
            store = self._thread_losses
            if store is None:
                store = self.__dict__["_thread_losses"] = weakref.WeakKeyDictionary()
            entry = store.get(ctx)
            if entry is None or entry[0] != ctx.generation:
                entry = store[ctx] = (ctx.generation, [])
            entry[1].append(loss)

    def _own_losses(self, ctx) -> list:
        store = self._thread_losses
        entry = store.get(ctx) if store is not None else None
        return entry[1] if entry is not None else []

    @property
    def losses(self) -> list:
        """Weight-regularization penalties plus losses added outside training steps."""
        ctx = call_context()
        out = list(self._own_losses(ctx))
        for layer in self._flatten_layers(include_self=True):
            if layer is not self:
                out.extend(layer._own_losses(ctx))
            for w in layer._trainable_weights:
                reg = getattr(w, "_keras_regularizer", None)
                if reg is not None:
                    out.append(reg(w))
        return out

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict:
        """Constructor arguments (JSON-safe); subclasses extend the base dict."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": _dtype_policy_config(self._dtype, getattr(self, "_quantized_policy", None)),
        }
        if getattr(type(self), "_auto_config", False) and type(self) is not Layer:
            args, kwargs = self.__dict__.get("_init_args", ((), {}))
            params = [
                p
                for p in _signature_params(type(self).__init__).values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            for p, v in zip(params, args):
                config[p.name] = v
            for k, v in kwargs.items():
                if k not in ("name", "trainable", "dtype"):
                    config[k] = v
        return config

    @classmethod
    def from_config(cls, config: dict):
        """Create a layer from :meth:`get_config` output."""
        config = dict(config)
        dtype = config.get("dtype")
        if isinstance(dtype, dict) and dtype.get("module") != "keras.dtype_policies":
            config["dtype"] = backend.standardize_dtype(dtype)
        return cls(**config)

    def get_build_config(self):
        if self._build_shapes is not None:
            return {"input_shape": _json_shape(self._build_shapes)}
        return None

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self.build(tuple(config["input_shape"]))
            self.built = True

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# ------------------------------------------------------------------ helpers
_WRAPPED_ERRORS = (RuntimeError, IndexError, AttributeError, TypeError)


class _TrackedList(list):
    """A list attribute of a layer (assigned empty): the modules put in it are registered
    with the layer, under the attribute's name, as an ``nn.ModuleList``."""

    def __init__(self, owner, name):
        super().__init__()
        self._owner = weakref.ref(owner)
        self._name = name

    def _sync(self):
        owner = self._owner()
        if owner is None:
            return
        modules = [x for x in self if isinstance(x, nn.Module)]
        if modules:
            owner._modules[self._name] = nn.ModuleList(modules)
        else:
            owner._modules.pop(self._name, None)

    def __reduce__(self):  # copies and pickles are plain lists (the modules are the layer's)
        return (list, (list(self),))


def _tracking(method_name):
    base = getattr(list, method_name)

    def method(self, *args, **kwargs):
        out = base(self, *args, **kwargs)
        self._sync()
        return self if method_name == "__iadd__" else out

    method.__name__ = method_name
    return method


for _name in (
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
    "__setitem__", "__delitem__", "__iadd__",
):  # fmt: skip
    setattr(_TrackedList, _name, _tracking(_name))


def _call_overrides_builtin_shape(cls) -> bool:
    """Whether a user class overrides ``call`` of a ketorch layer but not its
    ``compute_output_shape`` (as Keras 2 code did: Keras 2 took output shapes from running
    ``call``). The inherited shape rule may then be wrong (say, ``call`` returns a list), so
    the Functional API infers the outputs by running ``call`` instead."""
    mro = cls.__mro__
    call_owner = next((c for c in mro if "call" in c.__dict__), None)
    shape_owner = next(
        (c for c in mro if {"compute_output_shape", "compute_output_spec"} & c.__dict__.keys()),
        None,
    )
    if call_owner is None or shape_owner is None or shape_owner is Layer:
        return False
    builtin = shape_owner.__module__.startswith("ketorch.")
    return (
        builtin
        and not call_owner.__module__.startswith("ketorch.")
        and (mro.index(call_owner) < mro.index(shape_owner))
    )


def _describe_inputs(x):
    if isinstance(x, (torch.Tensor, KerasTensor, np.ndarray)):
        return f"tensor of shape {tuple(x.shape)} and dtype {str(x.dtype).replace('torch.', '')}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_describe_inputs(v) for v in x) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_inputs(v)}" for k, v in x.items()) + "}"
    return repr(x)[:80]


class _ShapeProxy:
    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape


def _as_shape_proxy(x):
    return _ShapeProxy(x.shape) if isinstance(x, KerasTensor) else x


def _shape_of(x):
    if isinstance(x, (torch.Tensor, KerasTensor, _ShapeProxy, np.ndarray)):
        return tuple(x.shape)
    if isinstance(x, (list, tuple)):
        return [_shape_of(v) for v in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return None


def _array_to_tensor(value, like):
    if isinstance(value, (torch.Tensor, KerasTensor)) or not (
        isinstance(value, np.ndarray) or hasattr(value, "__array__")
    ):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        return value  # strings (e.g. StringLookup(invert=True)) stay NumPy
    device = like.device if isinstance(like, torch.Tensor) else None
    return backend.to_tensor(array, device=device)


def _arrays_to_tensors(outputs, like):
    """A ``call`` that returns NumPy (or ``__array__``) arrays gives tensors, as in Keras."""
    if isinstance(outputs, (list, tuple)) and type(outputs) in (list, tuple):
        return type(outputs)(_array_to_tensor(o, like) for o in outputs)
    if type(outputs) is dict:
        return {k: _array_to_tensor(v, like) for k, v in outputs.items()}
    return _array_to_tensor(outputs, like)


def _device_of(layer):
    for p in layer.parameters():
        return p.device
    return torch.device("cpu")


def _attach_mask(outputs, mask):
    if isinstance(outputs, torch.Tensor):
        try:
            outputs._keras_mask = mask
        except (AttributeError, RuntimeError):
            pass
    elif isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)
        for o, m in zip(outputs, masks):
            if m is not None:
                _attach_mask(o, m)


def _shapes_to_spec(shape, dtype):
    if isinstance(shape, dict):
        return {k: _shapes_to_spec(v, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_shapes_to_spec(s, dtype) for s in shape]
    return KerasTensor(tuple(shape), dtype)


def _json_shape(shape):
    if isinstance(shape, dict):
        return {k: _json_shape(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_json_shape(s) for s in shape]
    return list(shape) if shape is not None else None


def _legacy_input_shape(kw):
    if "batch_input_shape" in kw and kw["batch_input_shape"] is not None:
        return tuple(kw["batch_input_shape"])
    if kw.get("input_shape") is not None:
        shape = kw["input_shape"]
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return (kw.get("batch_size"),) + shape
    if kw.get("input_dim") is not None:
        return (kw.get("batch_size"), int(kw["input_dim"]))
    return None


def _dtype_policy_config(name, quantized=None):
    if quantized is not None:
        return serialize(quantized)
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": name},
        "registered_name": None,
    }


def _weight_name(p):
    return getattr(p, "_keras_name", "weight")


def _get_constraint(constraint):
    if constraint is None:
        return None

    return constraints.get(constraint)
