"""LSTM: the long short-term memory recurrent layer."""

from __future__ import annotations

import torch

from ... import activations, backend, regularizers
from ..input_spec import InputSpec, check_input_spec
from ..layer import Layer
from .lstm_cell import LSTMCell
from .lstm_loop import loop_lstm
from .lstm_loop import supports as loop_supports
from .lstm_ops import dropout_masks, fused_lstm, fused_lstm_masked, generic_lstm

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)


def _from_cell(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class LSTM(Layer):
    """Long short-term memory layer (Hochreiter & Schmidhuber, 1997) over ``(batch, time, features)``.

    With ``activation="tanh"``, ``recurrent_activation="sigmoid"`` and no
    recurrent dropout it runs torch's fused LSTM kernel (oneDNN on CPU, cuDNN on
    GPU), masks included; other settings run a time loop with the input
    projection of all steps computed at once. The weights live on ``self.cell``
    (an :class:`LSTMCell`) in Keras's layout, so ``get_weights()`` returns
    ``[kernel (D, 4U), recurrent_kernel (U, 4U), bias (4U,)]`` with gate blocks
    ``i, f, c, o``.

    Args:
        units: Positive int, the size of the output and of the states.
        activation: Activation of the candidate and of the cell output.
        recurrent_activation: Activation of the gates (Keras 2 code often
            passes ``"hard_sigmoid"``, computed as Keras 3 does).
        use_bias: Whether the gates have a bias.
        kernel_initializer: Initializer of ``kernel``.
        recurrent_initializer: Initializer of ``recurrent_kernel``.
        bias_initializer: Initializer of ``bias``.
        unit_forget_bias: If True, the forget-gate bias starts at 1.
        kernel_regularizer: Penalty on ``kernel``.
        recurrent_regularizer: Penalty on ``recurrent_kernel``.
        bias_regularizer: Penalty on ``bias``.
        activity_regularizer: Penalty on the output.
        kernel_constraint: Projection applied to ``kernel`` after each step.
        recurrent_constraint: Projection applied to ``recurrent_kernel``.
        bias_constraint: Projection applied to ``bias``.
        dropout: Fraction of the input features dropped in training; one mask
            per sequence, shared by all steps.
        recurrent_dropout: Fraction of the recurrent state dropped in training,
            one mask per gate and sequence (forces the time loop).
        seed: Optional seed of the dropout masks.
        return_sequences: Return the output of every step ``(batch, time,
            units)`` instead of the last one ``(batch, units)``.
        return_state: Also return the final states: ``[output, h, c]``.
        go_backwards: Process the sequence in reverse; with
            ``return_sequences`` the outputs stay in that reversed order.
        stateful: Start each batch from the final states of the previous one
            (the batch size must be fixed); :meth:`reset_states` zeroes them.
        unroll: Accepted for compatibility; it does not change the result.
        use_cudnn: ``"auto"``, True or False; accepted for compatibility (the
            fused torch kernel is used whenever the math allows).
        **kwargs: Base layer arguments; ``implementation`` (Keras 2) is ignored.

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: Optional ``[h, c]``, each ``(batch, units)``.
        mask: Optional bool ``(batch, time)``; False steps are skipped (states
            carried over). Supplied automatically by ``Embedding(mask_zero=True)``.
        training: Whether dropout is active.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.lstm import LSTM
        >>> LSTM(4)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
        >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(torch.ones(2, 5, 3))
        >>> out.shape, c.shape
        (torch.Size([2, 5, 4]), torch.Size([2, 4]))
    """

    # compile(jit_compile=True): torch.func.grad unrolls the time loop into a per-step graph
    # (minutes to compile, slower than the eager fused kernel), so such models train eagerly.
    _jit_unfriendly = "its time loop unrolls into a graph per timestep"

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        kwargs.pop("implementation", None)
        zero_output_for_mask = kwargs.pop("zero_output_for_mask", False)
        cell = LSTMCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="lstm_cell",
        )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Argument `use_cudnn` of LSTM must be 'auto', True or False. "
                f"Received: use_cudnn={use_cudnn!r}"
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.use_cudnn = use_cudnn
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self.states = None
        self._expected_batch_size = None
        self._generator = None
        if seed is not None:
            self._generator = torch.Generator()
            self._generator.manual_seed(int(seed))

    units = _from_cell("units")
    activation = _from_cell("activation")
    recurrent_activation = _from_cell("recurrent_activation")
    use_bias = _from_cell("use_bias")
    unit_forget_bias = _from_cell("unit_forget_bias")
    kernel_initializer = _from_cell("kernel_initializer")
    recurrent_initializer = _from_cell("recurrent_initializer")
    bias_initializer = _from_cell("bias_initializer")
    kernel_regularizer = _from_cell("kernel_regularizer")
    recurrent_regularizer = _from_cell("recurrent_regularizer")
    bias_regularizer = _from_cell("bias_regularizer")
    kernel_constraint = _from_cell("kernel_constraint")
    recurrent_constraint = _from_cell("recurrent_constraint")
    bias_constraint = _from_cell("bias_constraint")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")
    seed = _from_cell("seed")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        check_input_spec(self, self.input_spec, input_shape)
        if not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})
        if self.stateful:
            if input_shape[0] is None:
                raise ValueError(
                    f"Layer '{self.name}' (LSTM) is stateful, so it needs a fixed batch size "
                    "(pass `batch_size=` to `Input` or `batch_input_shape=`). "
                    f"Received: input_shape={input_shape}"
                )
            self._expected_batch_size = input_shape[0]
            self.reset_states()
        self.built = True

    def reset_states(self, states=None) -> None:
        """Zero the states of a stateful layer (or set them to ``states``, ``[h, c]``)."""
        if not self.stateful:
            return
        batch, units = self._expected_batch_size, self.units
        device = self.cell.kernel.device
        if states is None:
            self.states = [torch.zeros(batch, units, device=device) for _ in range(2)]
        else:
            self.states = [backend.to_tensor(s).to(device).detach().clone() for s in states]

    reset_state = reset_states

    def _initial_states(self, x, initial_state):
        batch = x.shape[0]
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else []
            if len(states) != 2:
                raise ValueError(
                    f"Layer '{self.name}' (LSTM) expects `initial_state` to be a list of two "
                    f"tensors [h, c]. Received: initial_state={initial_state!r}"
                )
            return [backend.to_tensor(s).to(device=x.device, dtype=x.dtype) for s in states]
        if self.stateful:
            if batch != self._expected_batch_size:
                raise ValueError(
                    f"Layer '{self.name}' (LSTM) is stateful with batch size "
                    f"{self._expected_batch_size}; every batch must have that size. "
                    f"Received: batch size {batch}"
                )
            if self.states[0].device != x.device:
                self.states = [s.to(x.device) for s in self.states]
            return self.states
        return [x.new_zeros(batch, self.units), x.new_zeros(batch, self.units)]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        cell = self.cell
        kernel, rec_kernel, bias = cell.kernel, cell.recurrent_kernel, cell.bias
        if sequences.dim() != 3 or sequences.shape[-1] != kernel.shape[0]:
            # torch.lstm does not check the feature size itself.
            check_input_spec(self, self.input_spec, tuple(sequences.shape))
        x = sequences if sequences.dtype == kernel.dtype else sequences.to(kernel.dtype)
        h0, c0 = self._initial_states(x, initial_state)
        if mask is not None:
            if isinstance(mask, (list, tuple)):
                mask = mask[0]
            mask = mask.to(device=x.device, dtype=torch.bool)
        if self.go_backwards:
            x = x.flip(1)
            mask = mask.flip(1) if mask is not None else None
        rec_dropout = bool(training) and 0.0 < cell.recurrent_dropout < 1.0
        in_dropout = bool(training) and 0.0 < cell.dropout < 1.0
        batch, features = x.shape[0], x.shape[2]
        fused = (
            cell.activation in _TANH and cell.recurrent_activation in _SIGMOID and not rec_dropout
        )
        if fused:
            if in_dropout:
                keep = dropout_masks((batch, features), cell.dropout, None, x, self._generator)
                x = x * keep.unsqueeze(1)
            if mask is None:
                out, h, c = fused_lstm(x, h0, c0, kernel, rec_kernel, bias)
            else:
                need_cell = self.return_state or self.stateful
                out, h, c = fused_lstm_masked(
                    x, mask, h0, c0, kernel, rec_kernel, bias, need_cell, self.zero_output_for_mask
                )
            last = out[:, -1]
        elif (
            mask is None
            and not rec_dropout
            and loop_supports(cell.activation, cell.recurrent_activation)
        ):
            # e.g. Keras 2's recurrent_activation="hard_sigmoid": a loop with a hand-written
            # backward (lstm_loop.py), several times faster than the autograd-recorded loop.
            if in_dropout:
                keep = dropout_masks((batch, features), cell.dropout, None, x, self._generator)
                x = x * keep.unsqueeze(1)
            out, h, c = loop_lstm(
                x, h0, c0, kernel, rec_kernel, bias, cell.activation, cell.recurrent_activation,
                self.return_sequences,
            )  # fmt: skip
            last = h
        else:
            in_masks = rec_masks = None
            if in_dropout:
                count = 4 if rec_dropout else None  # Keras: per-gate masks with recurrent dropout
                in_masks = dropout_masks((batch, features), cell.dropout, count, x, self._generator)
            if rec_dropout:
                rec_masks = dropout_masks(
                    (batch, self.units), cell.recurrent_dropout, 4, x, self._generator
                )
            out, h, c = generic_lstm(
                x,
                h0,
                c0,
                kernel,
                rec_kernel,
                bias,
                cell.activation,
                cell.recurrent_activation,
                mask=mask,
                input_masks=in_masks,
                recurrent_masks=rec_masks,
                zero_output=self.zero_output_for_mask,
                return_sequences=self.return_sequences,
            )
            last = out[:, -1]
        if self.stateful:
            self.states = [h.detach(), c.detach()]
        output = out if self.return_sequences else last
        if self.return_state:
            return [output, h, c]
        return output

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output, (batch, self.units), (batch, self.units)]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(
            {
                "return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                **cell_config,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            }
        )
        return config
