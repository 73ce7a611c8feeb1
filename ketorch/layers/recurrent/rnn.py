"""RNN: runs a recurrent cell over the time axis; the base of SimpleRNN, GRU and LSTM."""

from __future__ import annotations

import torch

from ... import backend, regularizers
from ...saving.serialization import deserialize_layer, serialize_layer
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer
from .dropout_cell import reset_dropout_masks
from .stacked_rnn_cells import StackedRNNCells


class RNN(Layer):
    """Runs ``cell`` over ``(batch, time, features)`` sequences.

    Any cell works if it has a ``state_size`` (int or list of ints) and a
    ``call(inputs, states)`` returning ``(output, new_states)``; it then runs
    as a per-step loop. ketorch's :class:`SimpleRNNCell`, :class:`GRUCell`
    and :class:`LSTMCell` run through the same kernels as :class:`SimpleRNN`,
    :class:`GRU` and :class:`LSTM`, dropout included. In the per-step loop
    (stacked cells, custom cells), ketorch's cells apply their ``dropout`` and
    ``recurrent_dropout`` with masks drawn once per sequence, as Keras does.

    Args:
        cell: The cell (a layer instance).
        return_sequences: Return the output of every step ``(batch, time,
            units)`` instead of the last one ``(batch, units)``.
        return_state: Also return the final states: ``[output, *states]``.
        go_backwards: Process the sequence in reverse; with
            ``return_sequences`` the outputs stay in that reversed order.
        stateful: Start each batch from the final states of the previous one
            (the batch size must be fixed); :meth:`reset_states` zeroes them.
        unroll: Accepted for compatibility; it does not change the result.
        zero_output_for_mask: Output zeros at masked steps instead of the
            previous output.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: Optional state tensor, or list with one tensor per state.
        mask: Optional bool ``(batch, time)``; False steps are skipped (states
            carried over). Supplied automatically by ``Embedding(mask_zero=True)``.
        training: Whether dropout is active.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.rnn import RNN
        >>> from ketorch.layers.recurrent.gru_cell import GRUCell
        >>> RNN(GRUCell(4), return_sequences=True)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 5, 4])
    """

    # compile(jit_compile=True): torch.func.grad unrolls the time loop into a per-step graph
    # (minutes to compile, slower than the eager fused kernel), so such models train eagerly.
    _jit_unfriendly = "its time loop unrolls into a graph per timestep"

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):  # a list of cells runs as one stacked cell
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)) or getattr(cell, "state_size", None) is None:
            raise ValueError(
                "Argument `cell` of RNN must have a `call(inputs, states)` method and a "
                f"`state_size` attribute. Received: cell={cell!r}"
            )
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self.states = None
        self._expected_batch_size = None
        self._generator = None
        seed = getattr(cell, "seed", None)
        if seed is not None:
            self._generator = torch.Generator()
            self._generator.manual_seed(int(seed))

    @property
    def state_size(self) -> list:
        """The cell's state sizes, as a list."""
        size = self.cell.state_size
        if isinstance(size, int):
            return [size]
        # Stacked cells nest their sizes per cell; the time loop works on the flat list.
        return [n for s in size for n in (s if isinstance(s, (list, tuple)) else [s])]

    @property
    def _output_size(self) -> int:
        return getattr(self.cell, "output_size", None) or self.state_size[0]

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        check_input_spec(self, self.input_spec, input_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
        if self.stateful:
            if input_shape[0] is None:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) is stateful, so it needs a "
                    "fixed batch size (pass `batch_size=` to `Input` or `batch_input_shape=`). "
                    f"Received: input_shape={input_shape}"
                )
            self._expected_batch_size = input_shape[0]
            self.reset_states()
        self.built = True

    def _cell_params(self):
        params = getattr(self.cell, "parameters", None)
        return list(params()) if callable(params) else []

    def _device(self):
        params = self._cell_params()
        return params[0].device if params else None

    def reset_states(self, states=None) -> None:
        """Zero the states of a stateful layer (or set them to ``states``)."""
        if not self.stateful:
            return
        device = self._device()
        if states is None:
            batch = self._expected_batch_size
            self.states = [torch.zeros(batch, n, device=device) for n in self.state_size]
        else:
            states = states if isinstance(states, (list, tuple)) else [states]
            self.states = [backend.to_tensor(s).to(device).detach().clone() for s in states]

    reset_state = reset_states

    def get_initial_state(self, batch_size: int) -> list:
        """Zero states, one ``(batch_size, size)`` tensor per state."""
        return [torch.zeros(batch_size, n, device=self._device()) for n in self.state_size]

    def _initial_states(self, x, initial_state):
        batch, count = x.shape[0], len(self.state_size)
        if initial_state is not None:
            states = initial_state
            if isinstance(states, torch.Tensor) or not isinstance(states, (list, tuple)):
                states = [states]
            # Stacked cells take their initial states nested per cell.
            states = [t for s in states for t in (s if isinstance(s, (list, tuple)) else [s])]
            if len(states) != count:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) expects `initial_state` to be "
                    f"a list of {count} tensor(s), one per state. "
                    f"Received: initial_state={initial_state!r}"
                )
            return [backend.to_tensor(s).to(device=x.device, dtype=x.dtype) for s in states]
        if self.stateful:
            if batch != self._expected_batch_size:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) is stateful with batch size "
                    f"{self._expected_batch_size}; every batch must have that size. "
                    f"Received: batch size {batch}"
                )
            if self.states[0].device != x.device:
                self.states = [s.to(x.device) for s in self.states]
            return self.states
        return [x.new_zeros(batch, n) for n in self.state_size]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        spec_axes = getattr(self.input_spec, "axes", None) or {}
        if sequences.dim() != 3 or sequences.shape[-1] != spec_axes.get(-1, sequences.shape[-1]):
            check_input_spec(self, self.input_spec, tuple(sequences.shape))
        x = sequences
        params = self._cell_params()
        if params and x.dtype != params[0].dtype:
            x = x.to(params[0].dtype)
        states = self._initial_states(x, initial_state)
        if mask is not None:
            if isinstance(mask, (list, tuple)):
                mask = mask[0]
            mask = mask.to(device=x.device, dtype=torch.bool)
        if self.go_backwards:
            x = x.flip(1)
            mask = mask.flip(1) if mask is not None else None
        run = getattr(self.cell, "run_sequence", None)
        if run is not None:
            extra = {}
            if getattr(self.cell, "_carry_is_optional", False):
                # LSTM's masked kernel can skip rebuilding the final carry nobody reads.
                extra["need_cell"] = self.return_state or self.stateful
            out, states = run(
                x,
                states,
                mask=mask,
                training=bool(training),
                generator=self._generator,
                zero_output=self.zero_output_for_mask,
                return_sequences=self.return_sequences,
                **extra,
            )
        else:
            out, states = self._loop(x, states, mask, training)
        if self.stateful:
            self.states = [s.detach() for s in states]
        output = out if self.return_sequences else out[:, -1]
        if self.return_state:
            return [output, *self._nest(states)]
        return output

    def _nest(self, flat):
        """Final states as the cell structures them (per cell, for stacked cells)."""
        nest = getattr(self.cell, "nest_states", None)
        return nest(list(flat)) if nest is not None else list(flat)

    def _loop(self, x, states, mask, training):
        """Generic per-step loop for cells without a ``run_sequence`` kernel."""
        cell = self.cell
        kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
        outs, prev = [], None
        reset_dropout_masks(cell)  # masks are drawn at the first step, kept for the sequence
        for t in range(x.shape[1]):
            out, new = cell(x[:, t], list(states), **kwargs)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if mask is not None:
                step = mask[:, t : t + 1]
                if prev is None:
                    prev = torch.zeros_like(out)
                new = [torch.where(step, n, s) for n, s in zip(new, states)]
                out = torch.where(
                    step, out, torch.zeros_like(out) if self.zero_output_for_mask else prev
                )
                prev = out
            states = new
            outs.append(out)
        reset_dropout_masks(cell)
        return torch.stack(outs, dim=1), states

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        size = self._output_size
        output = (batch, steps, size) if self.return_sequences else (batch, size)
        if self.return_state:
            shapes = self._nest([(batch, n) for n in self.state_size])
            return [output, *shapes]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._nest(self.state_size))
        return output_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
            }
        )
        if type(self) is RNN:
            config["cell"] = serialize_layer(self.cell)
        return config

    def _flat_config(self):
        """Config of the built-in layers (SimpleRNN, GRU): the cell's arguments inlined."""
        config = RNN.get_config(self)
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if cls is RNN:
            config["cell"] = deserialize_layer(config["cell"], custom_objects)
        return super().from_config(config)
