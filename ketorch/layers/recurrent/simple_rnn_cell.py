"""SimpleRNNCell: the weights and the update of a fully connected recurrent layer."""

from __future__ import annotations

import torch

from ... import activations, constraints, initializers, regularizers
from ..layer import Layer
from .dropout_cell import DropoutCellMixin
from .lstm_ops import dropout_masks
from .rnn_ops import fused_masked, fused_simple_rnn, generic_simple_rnn

_TANH = (activations.tanh, torch.tanh)
_RELU = (activations.relu, torch.relu)


def check_rnn_args(layer_name, units, dropout, recurrent_dropout):
    """Validate the arguments every recurrent cell shares (errors name the layer)."""
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(
            f"Argument `units` of {layer_name} must be a positive integer. Received: units={units!r}"
        )
    for arg, val in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
        if not isinstance(val, (int, float)) or isinstance(val, bool):
            raise ValueError(
                f"Argument `{arg}` of {layer_name} must be a float in [0, 1]. "
                f"Received: {arg}={val!r}"
            )


class SimpleRNNCell(DropoutCellMixin, Layer):
    """One step of a fully connected RNN: ``h' = activation(x·kernel + h·recurrent_kernel + bias)``.

    :class:`~ketorch.layers.SimpleRNN` owns a cell and runs it over time.
    Weights, in Keras's layout and order: ``kernel`` ``(input_dim, units)``,
    ``recurrent_kernel`` ``(units, units)`` and ``bias`` ``(units,)``.

    Args:
        units: Positive int, the size of the state and of the output.
        activation: Activation of the update (None means linear).
        use_bias: Whether the update has a bias.
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
        seed: Optional seed of the dropout masks.
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.simple_rnn_cell import SimpleRNNCell
        >>> cell = SimpleRNNCell(4)
        >>> h, [h2] = cell(torch.ones(2, 3), [torch.zeros(2, 4)])
        >>> h.shape
        torch.Size([2, 4])
    """

    def __init__(
        self,
        units,
        activation="tanh",
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
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_rnn_args("SimpleRNN", units, dropout, recurrent_dropout)
        self.units = units
        self.activation = activations.get(activation)
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
        self.seed = seed
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) needs a known feature dimension "
                f"to create its kernel. Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.units, self.units),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
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
        in_mask, rec_mask = self.get_step_dropout_masks(inputs, h, training)
        if in_mask is not None:
            inputs = inputs * in_mask
        if rec_mask is not None:
            h = h * rec_mask
        z = inputs @ self.kernel + h @ self.recurrent_kernel
        if self.bias is not None:
            z = z + self.bias
        h = self.activation(z)
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

        tanh and relu without recurrent dropout use torch's fused kernel;
        other settings loop over time.
        """
        h0 = states[0]
        batch, features = x.shape[0], x.shape[2]
        rec_dropout = training and 0.0 < self.recurrent_dropout < 1.0
        in_mask = rec_mask = None
        if training and 0.0 < self.dropout < 1.0:
            in_mask = dropout_masks((batch, features), self.dropout, None, x, generator)
        act = self.activation
        if (act in _TANH or act in _RELU) and not rec_dropout:
            if in_mask is not None:
                x = x * in_mask.unsqueeze(1)
            relu = act in _RELU

            def run(seq, h):
                return fused_simple_rnn(
                    seq, h, self.kernel, self.recurrent_kernel, self.bias, relu=relu
                )

            out, h = run(x, h0) if mask is None else fused_masked(run, x, mask, h0, zero_output)
            return out, [h]
        if rec_dropout:
            rec_mask = dropout_masks(
                (batch, self.units), self.recurrent_dropout, None, x, generator
            )
        out, h = generic_simple_rnn(
            x,
            h0,
            self.kernel,
            self.recurrent_kernel,
            self.bias,
            act,
            mask=mask,
            input_mask=in_mask,
            recurrent_mask=rec_mask,
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
                "seed": self.seed,
            }
        )
        return config
