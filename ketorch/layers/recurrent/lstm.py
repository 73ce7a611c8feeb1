"""LSTM: the long short-term memory recurrent layer."""

from __future__ import annotations

from .lstm_cell import LSTMCell
from .rnn import RNN


def _from_cell(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class LSTM(RNN):
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
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Argument `use_cudnn` of LSTM must be 'auto', True or False. "
                f"Received: use_cudnn={use_cudnn!r}"
            )
        self.use_cudnn = use_cudnn

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

    def get_config(self):
        return self._flat_config()
