"""ConvLSTM: the rank-parametrized base of ConvLSTM1D/2D/3D (a convolutional LSTM over time).

Private: the public classes are the thin subclasses in ``conv_lstm{1,2,3}d.py``, which fix
``rank`` and take their docstring from :func:`conv_lstm_doc`.
"""

from __future__ import annotations

import torch

from ... import activations, backend, constraints, initializers, regularizers
from ..input_spec import InputSpec, check_input_spec
from .conv_lstm_cell import ConvLSTMCell
from .rnn import RNN

_DOC = """A {rank}D convolutional LSTM (Shi et al., 2015): an LSTM whose input and recurrent
    transformations are {rank}D convolutions, run over the time axis.

    Weights live on ``self.cell``: ``kernel`` ``(*kernel_size, channels,
    4 * filters)``, ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``
    and ``bias`` ``(4 * filters,)``, gate blocks ``i, f, c, o`` (Keras's layout).

    Args:
        filters: Number of output feature maps (and of each state's channels).
        kernel_size: An int or a tuple of {rank} ints, the convolution window.
        strides: An int or a tuple of {rank} ints, of the input convolution.
        padding: ``"valid"`` or ``"same"`` (the recurrent convolution is
            always "same").
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None``
            means :func:`ketorch.config.image_data_format`.
        dilation_rate: An int or a tuple of {rank} ints, of the input convolution.
        activation: Activation of the candidate and of the cell output.
        recurrent_activation: Activation of the gates.
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
        dropout: Fraction of the input dropped in training (one mask per gate
            and sequence, shared by all steps).
        recurrent_dropout: Fraction of the recurrent state dropped in training.
        seed: Optional seed of the dropout masks.
        return_sequences: Return every step's output instead of the last one.
        return_state: Also return the final states: ``[output, h, c]``.
        go_backwards: Process the sequence in reverse.
        stateful: Start each batch from the final states of the previous one.
        **kwargs: Base layer arguments.

    Call arguments:
        sequences: {sequences} (channels_last).
        initial_state: Optional ``[h, c]`` feature maps.
        mask: Optional bool ``(batch, time)``; False steps are skipped.
        training: Whether dropout is active.

    Example:
{example}"""


def conv_lstm_doc(rank: int, sequences: str, example: str) -> str:
    """The docstring of ``ConvLSTM{rank}D``: ``sequences`` is the input shape (as a
    literal), ``example`` the doctest lines (indented by 8 spaces)."""
    return _DOC.format(rank=rank, sequences=sequences, example=example)


def _from_cell(name):
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


class ConvLSTM(RNN):
    """A convolutional LSTM over ``(batch, time, *spatial, channels)`` sequences.

    The input convolution of every time step runs as one batched convolution
    before the time loop; each step then runs one recurrent convolution (four
    with recurrent dropout) and the gate arithmetic. Subclasses fix ``rank``;
    see :class:`~ketorch.layers.ConvLSTM2D` for the arguments.
    """

    rank = 2

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        **kwargs,
    ):
        kwargs.pop("unroll", None)
        zero_output_for_mask = kwargs.pop("zero_output_for_mask", False)
        cell = ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"),
        )  # fmt: skip
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            zero_output_for_mask=zero_output_for_mask,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self._generator = None
        self.input_spec = InputSpec(ndim=self.rank + 3)

    filters = _from_cell("filters")
    kernel_size = _from_cell("kernel_size")
    strides = _from_cell("strides")
    padding = _from_cell("padding")
    data_format = _from_cell("data_format")
    dilation_rate = _from_cell("dilation_rate")
    activation = _from_cell("activation")
    recurrent_activation = _from_cell("recurrent_activation")
    use_bias = _from_cell("use_bias")
    kernel_initializer = _from_cell("kernel_initializer")
    recurrent_initializer = _from_cell("recurrent_initializer")
    bias_initializer = _from_cell("bias_initializer")
    unit_forget_bias = _from_cell("unit_forget_bias")
    kernel_regularizer = _from_cell("kernel_regularizer")
    recurrent_regularizer = _from_cell("recurrent_regularizer")
    bias_regularizer = _from_cell("bias_regularizer")
    kernel_constraint = _from_cell("kernel_constraint")
    recurrent_constraint = _from_cell("recurrent_constraint")
    bias_constraint = _from_cell("bias_constraint")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")

    # ----------------------------------------------------------------- build
    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        check_input_spec(self, self.input_spec, shape)
        if not self.cell.built:
            self.cell.build((shape[0], *shape[2:]))
        self.input_spec = InputSpec(ndim=self.rank + 3, shape=(None, None, *shape[2:]))
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) is stateful, so it needs a "
                    "fixed batch size (pass `batch_size=` to `Input`). "
                    f"Received: input_shape={shape}"
                )
            self._expected_batch_size = shape[0]
            self.reset_states()
        self.built = True

    def _state_shape(self, batch):
        cell = self.cell
        step = (batch, *cell.spatial_dims, cell.input_dim)
        if not cell._channels_last:
            step = (batch, cell.input_dim, *cell.spatial_dims)
        return cell.compute_output_shape(step)[0]

    def reset_states(self, states=None) -> None:
        """Zero the states of a stateful layer (or set them to ``states``)."""
        if not self.stateful:
            return
        device = self.cell.kernel.device
        if states is None:
            shape = self._state_shape(self._expected_batch_size)
            self.states = [torch.zeros(shape, device=device) for _ in range(2)]
        else:
            states = states if isinstance(states, (list, tuple)) else [states]
            self.states = [backend.to_tensor(s).to(device).detach().clone() for s in states]

    reset_state = reset_states

    def get_initial_state(self, batch_size: int) -> list:
        """Zero ``[h, c]`` feature maps, in the layer's data format."""
        shape = self._state_shape(batch_size)
        return [torch.zeros(shape, device=self.cell.kernel.device) for _ in range(2)]

    # ------------------------------------------------------------------ call
    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.dim() != self.rank + 3:
            check_input_spec(self, self.input_spec, tuple(sequences.shape))
        cell = self.cell
        x = sequences.to(cell.kernel.dtype)
        batch, steps = x.shape[0], x.shape[1]
        if initial_state is not None:
            states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != 2:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) expects `initial_state` to be "
                    f"a list of 2 tensors [h, c]. Received: initial_state={initial_state!r}"
                )
            states = [backend.to_tensor(s).to(device=x.device, dtype=x.dtype) for s in states]
        elif self.stateful:
            if batch != self._expected_batch_size:
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) is stateful with batch size "
                    f"{self._expected_batch_size}; every batch must have that size. "
                    f"Received: batch size {batch}"
                )
            states = [s.to(x.device) for s in self.states]
        else:
            states = [x.new_zeros(self._state_shape(batch)) for _ in range(2)]
        h, c = (cell._to_torch(s) for s in states)
        # All steps' input convolutions at once, as one (batch * time) convolution.
        frames = cell._to_torch(x.reshape(batch * steps, *x.shape[2:]))
        kernel, rkernel = cell.torch_kernels()
        train = bool(training)
        if train and 0 < cell.dropout < 1:
            masks = cell.dropout_masks(frames[:: max(steps, 1)], cell.dropout)
            parts = []
            for g, (k, m) in enumerate(zip(kernel.chunk(4, dim=0), masks)):
                b = None if cell.bias is None else cell.bias.chunk(4)[g]
                m = m.repeat_interleave(steps, dim=0)
                parts.append(cell.input_conv(frames * m, k, b))
            xz = torch.cat(parts, dim=1)
        else:
            xz = cell.input_conv(frames, kernel, cell.bias)
        xz = xz.reshape(batch, steps, *xz.shape[1:])
        rec_masks = None
        if train and 0 < cell.recurrent_dropout < 1:
            rec_masks = cell.dropout_masks(h, cell.recurrent_dropout)
            rkernels = rkernel.chunk(4, dim=0)
        if mask is not None:
            mask = (mask[0] if isinstance(mask, (list, tuple)) else mask).to(x.device, torch.bool)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outs, prev = [], None
        view = (batch,) + (1,) * (self.rank + 1)
        for t in order:
            if rec_masks is None:
                hz = cell.recurrent_conv(h, rkernel)
            else:
                hz = torch.cat(
                    [cell.recurrent_conv(h * m, k) for m, k in zip(rec_masks, rkernels)], dim=1
                )
            new_h, new_c = cell.gates(xz[:, t] + hz, c)
            if mask is not None:
                step = mask[:, t].reshape(view)
                if prev is None:
                    prev = torch.zeros_like(new_h)
                h = torch.where(step, new_h, h)
                c = torch.where(step, new_c, c)
                out = torch.where(
                    step, new_h, torch.zeros_like(new_h) if self.zero_output_for_mask else prev
                )
                prev = out
            else:
                h, c, out = new_h, new_c, new_h
            if self.return_sequences:
                outs.append(out)
        last = out if steps else h
        final = [cell._from_torch(h), cell._from_torch(c)]
        if self.stateful:
            self.states = [s.detach() for s in final]
        output = (
            torch.stack([cell._from_torch(o) for o in outs], 1)
            if self.return_sequences
            else cell._from_torch(last)
        )
        if self.return_state:
            return [output, *final]
        return output

    # ---------------------------------------------------------------- shapes
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        batch, steps = shape[0], shape[1]
        state = self.cell.compute_output_shape((batch, *shape[2:]))[0][1:]
        output = (batch, steps, *state) if self.return_sequences else (batch, *state)
        if self.return_state:
            return [output, (batch, *state), (batch, *state)]
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    # ---------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "seed": self.cell.seed,
            }
        )
        return config
