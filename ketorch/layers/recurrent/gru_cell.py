"""GRUCell: the weights and the update of a gated recurrent unit."""

from __future__ import annotations

import torch

from ... import activations, constraints, initializers, regularizers
from ..layer import Layer
from .dropout_cell import DropoutCellMixin
from .gru_loop import loop_gru
from .gru_loop import supports as loop_supports
from .lstm_ops import dropout_masks
from .rnn_ops import fused_gru, fused_masked, generic_gru
from .simple_rnn_cell import check_rnn_args

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)


class GRUCell(DropoutCellMixin, Layer):
    """One GRU step (Cho et al., 2014); :class:`~ketorch.layers.GRU` runs it over time.

    Weights, in Keras's layout and order: ``kernel`` ``(input_dim, 3 * units)``,
    ``recurrent_kernel`` ``(units, 3 * units)`` and ``bias``: ``(2, 3 * units)``
    (input bias, recurrent bias) with ``reset_after=True`` or ``(3 * units,)``
    with ``reset_after=False``. Gate blocks are ordered ``z`` (update), ``r``
    (reset), ``h`` (candidate); the new state is ``z * h + (1 - z) * hh``.

    Args:
        units: Positive int, the size of the state and of the output.
        activation: Activation of the candidate ``hh``.
        recurrent_activation: Activation of the update and reset gates
            (Keras 2 code often passes ``"hard_sigmoid"``).
        use_bias: Whether the gates have biases.
        kernel_initializer: Initializer of ``kernel``.
        recurrent_initializer: Initializer of ``recurrent_kernel``.
        bias_initializer: Initializer of ``bias``.
        kernel_regularizer: Penalty on ``kernel``.
        recurrent_regularizer: Penalty on ``recurrent_kernel``.
        bias_regularizer: Penalty on ``bias``.
        kernel_constraint: Projection applied to ``kernel`` after each step.
        recurrent_constraint: Projection applied to ``recurrent_kernel``.
        bias_constraint: Projection applied to ``bias``.
        dropout: Fraction of the inputs dropped in training (one mask per
            sequence, applied when the cell runs inside an RNN layer).
        recurrent_dropout: Fraction of the recurrent state dropped in training.
        reset_after: Apply the reset gate after the recurrent matmul (Keras 3
            and cuDNN convention, two biases) rather than before (Keras 2.2).
        seed: Optional seed of the dropout masks.
        **kwargs: Base layer arguments; ``implementation`` (Keras 2) is ignored.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.gru_cell import GRUCell
        >>> cell = GRUCell(4)
        >>> h, [h2] = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> h.shape
        torch.Size([2, 4])
    """

    _gate_count = 3  # z, r, h: Keras draws one dropout mask per gate with recurrent dropout

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        **kwargs,
    ):
        kwargs.pop("implementation", None)  # Keras 2: fused vs split matmuls, same math
        super().__init__(**kwargs)
        check_rnn_args("GRU", units, dropout, recurrent_dropout)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # Keras clips the rates into [0, 1]; a rate of exactly 1 disables dropout.
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.reset_after = bool(reset_after)
        self.seed = seed
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' (GRUCell) needs a known feature dimension to create its "
                f"kernel. Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, 3 * self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, 3 * self.units),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = self.add_weight(
                name="bias",
                shape=shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs, states, training=None):
        """One step: ``inputs`` ``(batch, input_dim)``, ``states`` ``[h]``; returns ``(h, [h])``.

        In training, dropout uses masks drawn at the first step and kept until
        :meth:`reset_dropout_mask` (the RNN layer resets them after each sequence).
        """
        h = states[0] if isinstance(states, (list, tuple)) else states
        in_masks, rec_masks = self.get_step_dropout_masks(inputs, h, training)
        out, h = generic_gru(
            inputs.unsqueeze(1),
            h,
            self.kernel,
            self.recurrent_kernel,
            self.bias,
            self.activation,
            self.recurrent_activation,
            reset_after=self.reset_after,
            input_masks=in_masks,
            recurrent_masks=rec_masks,
            return_sequences=False,
        )
        return h, [h]

    def run_sequence(
        self,
        x,
        states,
        mask=None,
        training=False,
        generator=None,
        zero_output=False,
        return_sequences=True,
    ):
        """Run over ``(batch, time, features)``; returns ``(outputs, [h])`` (see :mod:`.rnn_ops`).

        ``reset_after=True`` with tanh/sigmoid and no recurrent dropout uses
        torch's fused GRU kernel (gate blocks reordered per call); other
        settings loop over time.
        """
        h0 = states[0]
        batch, features = x.shape[0], x.shape[2]
        rec_dropout = training and 0.0 < self.recurrent_dropout < 1.0
        in_masks = rec_masks = None
        if training and 0.0 < self.dropout < 1.0:
            count = 3 if rec_dropout else None  # Keras: per-gate masks with recurrent dropout
            in_masks = dropout_masks((batch, features), self.dropout, count, x, generator)
        fused = (
            self.reset_after
            and self.activation in _TANH
            and self.recurrent_activation in _SIGMOID
            and not rec_dropout
        )
        # The hand-written-backward loop: for activations the fused kernel lacks (Keras 2's
        # hard_sigmoid), and for CPU training, where it beats torch's GRU kernel by about 30%
        # (docs/performance.md).
        loop = (
            mask is None
            and self.reset_after
            and not rec_dropout
            and loop_supports(self.activation, self.recurrent_activation)
            and (
                not fused
                or (
                    x.device.type == "cpu" and torch.is_grad_enabled() and self.kernel.requires_grad
                )
            )
        )
        if loop:
            if in_masks is not None:
                x = x * in_masks.unsqueeze(1)
            out, h = loop_gru(
                x, h0, self.kernel, self.recurrent_kernel, self.bias,
                self.activation, self.recurrent_activation, return_sequences,
            )  # fmt: skip
            return out, [h]
        if fused:
            if in_masks is not None:
                x = x * in_masks.unsqueeze(1)

            def run(seq, h):
                return fused_gru(seq, h, self.kernel, self.recurrent_kernel, self.bias)

            out, h = run(x, h0) if mask is None else fused_masked(run, x, mask, h0, zero_output)
            return out, [h]
        if rec_dropout:
            rec_masks = dropout_masks((batch, self.units), self.recurrent_dropout, 3, x, generator)
        out, h = generic_gru(
            x,
            h0,
            self.kernel,
            self.recurrent_kernel,
            self.bias,
            self.activation,
            self.recurrent_activation,
            reset_after=self.reset_after,
            mask=mask,
            input_masks=in_masks,
            recurrent_masks=rec_masks,
            zero_output=zero_output,
            return_sequences=return_sequences,
        )
        return out, [h]

    def get_initial_state(self, batch_size=None):
        """Zero ``[h]`` of shape ``(batch_size, units)``."""
        device = self.kernel.device if self.built else None
        return [torch.zeros(batch_size, self.units, device=device)]

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
                "reset_after": self.reset_after,
                "seed": self.seed,
            }
        )
        return config
