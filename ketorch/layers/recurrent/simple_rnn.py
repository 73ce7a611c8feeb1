"""SimpleRNN: the fully connected recurrent layer."""

from __future__ import annotations

from .rnn import RNN
from .simple_rnn_cell import SimpleRNNCell


def _from_cell(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class SimpleRNN(RNN):
    """Fully connected RNN over ``(batch, time, features)``: ``h' = act(x·W + h·U + b)``.

    With ``activation="tanh"`` or ``"relu"`` and no recurrent dropout it runs
    torch's fused RNN kernel, masks included; other settings run a time loop
    with the input projection of all steps computed at once. The weights live
    on ``self.cell`` (a :class:`SimpleRNNCell`) in Keras's layout:
    ``get_weights()`` is ``[kernel (D, U), recurrent_kernel (U, U), bias (U,)]``.

    Args:
        units: Positive int, the size of the output and of the state.
        activation: Activation of the update (None means linear).
        use_bias: Whether the update has a bias.
        kernel_initializer: Initializer of ``kernel``.
        recurrent_initializer: Initializer of ``recurrent_kernel``.
        bias_initializer: Initializer of ``bias``.
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
            one mask per sequence (forces the time loop).
        return_sequences: Return every step's output ``(batch, time, units)``
            instead of the last one ``(batch, units)``.
        return_state: Also return the final state: ``[output, h]``.
        go_backwards: Process the sequence in reverse; with
            ``return_sequences`` the outputs stay in that reversed order.
        stateful: Start each batch from the final state of the previous one
            (fixed batch size); :meth:`reset_states` zeroes it.
        unroll: Accepted for compatibility; it does not change the result.
        seed: Optional seed of the dropout masks.
        **kwargs: Base layer arguments, and ``zero_output_for_mask``.

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: Optional ``h`` ``(batch, units)`` (or ``[h]``).
        mask: Optional bool ``(batch, time)``; False steps are skipped (state
            carried over). Supplied automatically by ``Embedding(mask_zero=True)``.
        training: Whether dropout is active.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.simple_rnn import SimpleRNN
        >>> SimpleRNN(4)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
        >>> out, h = SimpleRNN(4, return_sequences=True, return_state=True)(torch.ones(2, 5, 3))
        >>> out.shape, h.shape
        (torch.Size([2, 5, 4]), torch.Size([2, 4]))
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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        cell = SimpleRNNCell(
            units,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer,
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
            name="simple_rnn_cell",
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )

    units = _from_cell("units")
    activation = _from_cell("activation")
    use_bias = _from_cell("use_bias")
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

    def get_config(self):
        return self._flat_config()
