"""LSTMCell: the weights and the single-step update of an LSTM."""

from __future__ import annotations

import torch

from ... import activations, constraints, initializers, regularizers
from ..layer import Layer
from .dropout_cell import DropoutCellMixin
from .lstm_loop import loop_lstm
from .lstm_loop import supports as loop_supports
from .lstm_ops import dropout_masks, fused_lstm, fused_lstm_masked, generic_lstm

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)


class LSTMCell(DropoutCellMixin, Layer):
    """One LSTM step; :class:`~ketorch.layers.LSTM` owns a cell and runs it over time.

    Weights, in Keras's layout and order: ``kernel`` ``(input_dim, 4 * units)``,
    ``recurrent_kernel`` ``(units, 4 * units)`` and ``bias`` ``(4 * units,)``,
    each split in gate blocks ``i, f, c, o``.

    Args:
        units: Positive int, the size of the state and of the output.
        activation: Activation of the candidate and of the cell output.
        recurrent_activation: Activation of the input, forget and output gates.
        use_bias: Whether the gates have a bias.
        kernel_initializer: Initializer of ``kernel``.
        recurrent_initializer: Initializer of ``recurrent_kernel``.
        bias_initializer: Initializer of ``bias``.
        unit_forget_bias: If True, the forget-gate block of the bias starts at 1
            (the other blocks use ``bias_initializer``).
        kernel_regularizer: Penalty on ``kernel``.
        recurrent_regularizer: Penalty on ``recurrent_kernel``.
        bias_regularizer: Penalty on ``bias``.
        kernel_constraint: Projection applied to ``kernel`` after each step.
        recurrent_constraint: Projection applied to ``recurrent_kernel``.
        bias_constraint: Projection applied to ``bias``.
        dropout: Fraction of the inputs dropped in training (applied by the
            LSTM layer, with one mask per sequence).
        recurrent_dropout: Fraction of the recurrent state dropped in training
            (applied by the LSTM layer).
        seed: Optional seed of the dropout masks.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.lstm_cell import LSTMCell
        >>> cell = LSTMCell(4)
        >>> h, (h2, c) = cell(torch.ones(2, 3), [torch.zeros(2, 4), torch.zeros(2, 4)])
        >>> h.shape
        torch.Size([2, 4])
    """

    _gate_count = 4  # i, f, c, o: Keras draws one dropout mask per gate with recurrent dropout
    _carry_is_optional = True  # run_sequence takes need_cell (see RNN.call)

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras 2: fused vs split matmuls, same math
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Argument `units` of LSTM must be a positive integer. Received: units={units!r}"
            )
        for arg, val in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(val, (int, float)) or isinstance(val, bool):
                raise ValueError(
                    f"Argument `{arg}` of LSTM must be a float in [0, 1]. Received: {arg}={val!r}"
                )
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Keras clips the rates into [0, 1]; a rate of exactly 1 disables dropout.
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' (LSTMCell) needs a known feature dimension to create its "
                f"kernel. Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, 4 * self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, 4 * self.units),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(4 * self.units,),
                initializer=self._forget_bias_init
                if self.unit_forget_bias
                else self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def _forget_bias_init(self, shape, dtype=None):
        u = self.units
        init = self.bias_initializer
        parts = [init((u,), dtype=dtype), torch.ones(u, dtype=dtype), init((2 * u,), dtype=dtype)]
        return torch.cat([torch.as_tensor(p, dtype=dtype) for p in parts])

    def call(self, inputs, states, training=None):
        """One step: ``inputs`` ``(batch, input_dim)``, ``states`` ``[h, c]``; returns ``(h, [h, c])``.

        In training, dropout uses masks drawn at the first step and kept until
        :meth:`reset_dropout_mask` (the RNN layer resets them after each sequence).
        """
        h, c = states[0], states[1]
        in_masks, rec_masks = self.get_step_dropout_masks(inputs, h, training)
        _, h, c = generic_lstm(
            inputs.unsqueeze(1), h, c, self.kernel, self.recurrent_kernel, self.bias,
            self.activation, self.recurrent_activation, input_masks=in_masks,
            recurrent_masks=rec_masks, return_sequences=False,
        )  # fmt: skip
        return h, [h, c]

    def run_sequence(
        self,
        x,
        states,
        mask=None,
        training=False,
        generator=None,
        zero_output=False,
        return_sequences=True,
        need_cell=True,
    ):
        """Run over ``(batch, time, features)``; returns ``(outputs, [h, c])``.

        The one place that picks the LSTM kernel: tanh/sigmoid without recurrent
        dropout runs torch's fused LSTM (oneDNN/cuDNN), masks included; other
        activations without masks or recurrent dropout run the loop with a
        hand-written backward; everything else runs the generic time loop. Dropout
        masks are drawn once per sequence (per gate with recurrent dropout, as Keras).
        ``outputs[:, -1]`` is always the last output.
        """
        h0, c0 = states[0], states[1]
        kernel, rec_kernel, bias = self.kernel, self.recurrent_kernel, self.bias
        act, ract = self.activation, self.recurrent_activation
        rec_dropout = bool(training) and 0.0 < self.recurrent_dropout < 1.0
        in_dropout = bool(training) and 0.0 < self.dropout < 1.0
        batch, features = x.shape[0], x.shape[2]
        simple = not rec_dropout and (
            (act in _TANH and ract in _SIGMOID) or (mask is None and loop_supports(act, ract))
        )
        if simple and in_dropout:
            x = x * dropout_masks((batch, features), self.dropout, None, x, generator).unsqueeze(1)
        if simple and act in _TANH and ract in _SIGMOID:
            if mask is None:
                out, h, c = fused_lstm(x, h0, c0, kernel, rec_kernel, bias)
            else:
                out, h, c = fused_lstm_masked(
                    x, mask, h0, c0, kernel, rec_kernel, bias, need_cell, zero_output
                )
            return out, [h, c]
        if simple:
            # e.g. Keras 2's recurrent_activation="hard_sigmoid": a loop with a hand-written
            # backward (lstm_loop.py), several times faster than the autograd-recorded loop.
            out, h, c = loop_lstm(x, h0, c0, kernel, rec_kernel, bias, act, ract, return_sequences)
            return (out if return_sequences else h.unsqueeze(1)), [h, c]
        in_masks = rec_masks = None
        if in_dropout:
            count = 4 if rec_dropout else None  # Keras: per-gate masks with recurrent dropout
            in_masks = dropout_masks((batch, features), self.dropout, count, x, generator)
        if rec_dropout:
            rec_masks = dropout_masks((batch, self.units), self.recurrent_dropout, 4, x, generator)
        out, h, c = generic_lstm(
            x, h0, c0, kernel, rec_kernel, bias, act, ract, mask=mask, input_masks=in_masks,
            recurrent_masks=rec_masks, zero_output=zero_output, return_sequences=return_sequences,
        )  # fmt: skip
        return out, [h, c]

    def get_initial_state(self, batch_size=None):
        """Zero ``[h, c]`` states of shape ``(batch_size, units)``."""
        device = self.kernel.device if self.built else None
        return [torch.zeros(batch_size, self.units, device=device) for _ in range(2)]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed,
            }
        )
        return config
