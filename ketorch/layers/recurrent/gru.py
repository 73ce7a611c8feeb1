"""GRU: the gated recurrent unit layer."""

from __future__ import annotations

from .gru_cell import GRUCell
from .rnn import RNN


def _from_cell(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class GRU(RNN):
    """Gated recurrent unit layer (Cho et al., 2014) over ``(batch, time, features)``.

    With ``reset_after=True`` (the Keras 3 default), ``activation="tanh"``,
    ``recurrent_activation="sigmoid"`` and no recurrent dropout it runs
    torch's fused GRU kernel (cuDNN on GPU), masks included, reordering the
    gate blocks at call time; other settings (including Keras 2's
    ``reset_after=False`` and ``"hard_sigmoid"``) run a time loop with the
    input projection of all steps computed at once. The weights live on
    ``self.cell`` (a :class:`GRUCell`) in Keras's layout: ``get_weights()``
    is ``[kernel (D, 3U), recurrent_kernel (U, 3U), bias]`` with gate blocks
    ``z, r, h`` and ``bias`` ``(2, 3U)`` (or ``(3U,)`` with
    ``reset_after=False``).

    Args:
        units: Positive int, the size of the output and of the state.
        activation: Activation of the candidate state.
        recurrent_activation: Activation of the update and reset gates.
        use_bias: Whether the gates have biases.
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
            one mask per gate and sequence (forces the time loop).
        seed: Optional seed of the dropout masks.
        return_sequences: Return every step's output ``(batch, time, units)``
            instead of the last one ``(batch, units)``.
        return_state: Also return the final state: ``[output, h]``.
        go_backwards: Process the sequence in reverse; with
            ``return_sequences`` the outputs stay in that reversed order.
        stateful: Start each batch from the final state of the previous one
            (fixed batch size); :meth:`reset_states` zeroes it.
        unroll: Accepted for compatibility; it does not change the result.
        reset_after: Apply the reset gate after the recurrent matmul (two
            biases; Keras 3, tf.keras 2 and cuDNN) or before it (Keras 2.2).
        use_cudnn: ``"auto"``, True or False; accepted for compatibility (the
            fused torch kernel is used whenever the math allows).
        **kwargs: Base layer arguments, and ``zero_output_for_mask``;
            ``implementation`` (Keras 2) is ignored.

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: Optional ``h`` ``(batch, units)`` (or ``[h]``).
        mask: Optional bool ``(batch, time)``; False steps are skipped (state
            carried over). Supplied automatically by ``Embedding(mask_zero=True)``.
        training: Whether dropout is active.

    Example:
        >>> import torch
        >>> from ketorch.layers.recurrent.gru import GRU
        >>> GRU(4)(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
        >>> layer = GRU(4, reset_after=False)
        >>> layer.build((None, 5, 3))
        >>> [w.shape for w in layer.get_weights()]
        [(3, 12), (4, 12), (12,)]
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
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        kwargs.pop("implementation", None)
        cell = GRUCell(
            units,
            activation=activation,
            recurrent_activation=recurrent_activation,
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
            reset_after=reset_after,
            seed=seed,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name="gru_cell",
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
        if use_cudnn not in ("auto", True, False):
            raise ValueError(
                "Argument `use_cudnn` of GRU must be 'auto', True or False. "
                f"Received: use_cudnn={use_cudnn!r}"
            )
        self.use_cudnn = use_cudnn

    units = _from_cell("units")
    activation = _from_cell("activation")
    recurrent_activation = _from_cell("recurrent_activation")
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
    reset_after = _from_cell("reset_after")
    seed = _from_cell("seed")

    def get_config(self):
        return self._flat_config()
