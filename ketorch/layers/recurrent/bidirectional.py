"""Bidirectional: runs a recurrent layer forwards and backwards and merges the outputs."""

from __future__ import annotations

import torch

from ...saving.serialization import deserialize_layer, serialize_layer
from ..layer import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _strip(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


def _copy_layer(layer, **overrides):
    config = layer.get_config()
    config.update(overrides)
    return type(layer).from_config(config)


def _state_count(layer):
    size = getattr(layer, "state_size", None)
    if size is None:
        size = getattr(getattr(layer, "cell", None), "state_size", 1)
    return 1 if isinstance(size, int) else len(size)


class Bidirectional(Layer):
    """Wraps a recurrent layer to read the sequence in both directions.

    The wrapper builds two fresh copies of ``layer`` from its config:
    ``forward_<name>`` and ``backward_<name>`` (the latter with
    ``go_backwards=True``), so the wrapped instance's own weights are not
    used. ``get_weights()`` is the forward layer's weights, then the backward
    layer's. With ``return_sequences`` the backward outputs are flipped back
    into forward time order before merging, and masked steps output zeros.

    Args:
        layer: A recurrent layer instance (``LSTM``, ``GRU``, ``SimpleRNN``,
            ``RNN``).
        merge_mode: How to combine the two outputs: ``"concat"`` (on the last
            axis), ``"sum"``, ``"mul"``, ``"ave"``, or None for a list
            ``[forward, backward]``.
        weights: Optional initial weights (forward ones, then backward ones),
            set when the layer is built.
        backward_layer: Optional recurrent layer used as the backward layer
            instead of a copy of ``layer``; it must have ``go_backwards``
            opposite to ``layer`` and the same ``return_sequences``,
            ``return_state`` and ``stateful``.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: Optional list: the forward layer's states, then the
            backward layer's.
        mask: Optional bool ``(batch, time)``.
        training: Whether dropout is active.

    Returns:
        The merged output; with ``return_state``, ``[output, *forward_states,
        *backward_states]`` (with ``merge_mode=None`` the two outputs come
        first).

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.bidirectional import Bidirectional
        >>> from ketorch.layers.recurrent.lstm import LSTM
        >>> Bidirectional(LSTM(4, return_sequences=True))(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 8])
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Argument `layer` of Bidirectional must be a layer instance (such as "
                f"`LSTM(8)`). Received: layer={layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Argument `backward_layer` of Bidirectional must be a layer instance or None. "
                f"Received: backward_layer={backward_layer!r}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                "Argument `merge_mode` of Bidirectional must be one of 'concat', 'sum', 'mul', "
                f"'ave' or None. Received: merge_mode={merge_mode!r}"
            )
        for attr in ("go_backwards", "return_sequences", "return_state", "stateful"):
            if not hasattr(layer, attr):
                raise ValueError(
                    "Argument `layer` of Bidirectional must be a recurrent layer (with "
                    f"`{attr}`). Received: layer={layer!r}"
                )
        super().__init__(weights=weights or None, **kwargs)
        self.forward_layer = _copy_layer(layer, name=f"forward_{_strip(layer.name, 'forward_')}")
        if backward_layer is None:
            self.backward_layer = _copy_layer(
                layer, go_backwards=True, name=f"backward_{_strip(layer.name, 'backward_')}"
            )
        else:
            self.backward_layer = backward_layer
        self._check_pair()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(layer, "use_cudnn"):
                sub.use_cudnn = layer.use_cudnn
            if hasattr(sub, "zero_output_for_mask"):
                # As Keras: masked steps output zeros when returning sequences.
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _check_pair(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "The forward and backward layers of Bidirectional must have different "
                "`go_backwards` values. Received: forward go_backwards="
                f"{fwd.go_backwards}, backward go_backwards={bwd.go_backwards}"
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f"The forward and backward layers of Bidirectional must have the same "
                    f"`{attr}`. Received: forward {attr}={getattr(fwd, attr)}, "
                    f"backward {attr}={getattr(bwd, attr)}"
                )

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if not self.forward_layer.built:
            self.forward_layer.build(input_shape)
            self.forward_layer.built = True
        if not self.backward_layer.built:
            self.backward_layer.build(input_shape)
            self.backward_layer.built = True
        self.input_spec = self.forward_layer.input_spec
        self.built = True

    @property
    def states(self):
        """Forward states then backward states of a stateful layer (None otherwise)."""
        fwd, bwd = self.forward_layer.states, self.backward_layer.states
        if fwd and bwd:
            return [*fwd, *bwd]
        return None

    def reset_states(self, states=None) -> None:
        """Zero both layers' states (the layer must be stateful)."""
        if not self.stateful:
            raise AttributeError(
                f"Layer '{self.name}' (Bidirectional) is not stateful, so it has no states to "
                "reset. Received: stateful=False"
            )
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
        else:
            half = len(states) // 2
            self.forward_layer.reset_states(list(states[:half]))
            self.backward_layer.reset_states(list(states[half:]))

    reset_state = reset_states

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if self.forward_layer._call_has_training:
            kwargs["training"] = training
        if self.forward_layer._call_has_mask:
            kwargs["mask"] = mask
        fwd_state = bwd_state = None
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else []
            if not states or len(states) % 2:
                raise ValueError(
                    f"Layer '{self.name}' (Bidirectional) expects `initial_state` to be a list: "
                    "the forward layer's states, then the backward layer's (an even count). "
                    f"Received: initial_state={initial_state!r}"
                )
            half = len(states) // 2
            fwd_state, bwd_state = states[:half], states[half:]
        y = self.forward_layer(sequences, initial_state=fwd_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, **kwargs)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        mode = self.merge_mode
        if mode == "concat":
            output = torch.cat([y, y_rev], dim=-1)
        elif mode == "sum":
            output = y + y_rev
        elif mode == "ave":
            output = (y + y_rev) / 2
        elif mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if mode is None else [output]) + states
        return output

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(tuple(input_shape))
        state_shapes = []
        if self.return_state:
            shape, state_shapes = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            last = shape[-1] * 2 if shape[-1] is not None else None
            output = [shape[:-1] + (last,)]
        elif self.merge_mode is None:
            output = [shape, shape]
        else:
            output = [shape]
        if self.return_state:
            return output + state_shapes + state_shapes
        return output[0] if self.merge_mode is not None else output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        masks = [out_mask, out_mask] if self.merge_mode is None else [out_mask]
        if self.return_state:
            count = _state_count(self.forward_layer)
            return masks + [None] * (2 * count)
        return masks if self.merge_mode is None else out_mask

    def get_config(self):

        config = super().get_config()
        config.update(
            {
                "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer),
                "backward_layer": serialize_layer(self.backward_layer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"])
        if isinstance(config.get("backward_layer"), dict):
            config["backward_layer"] = deserialize_layer(config["backward_layer"])
        return super().from_config(config)
