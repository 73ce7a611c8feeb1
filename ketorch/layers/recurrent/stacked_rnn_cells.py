"""StackedRNNCells: several recurrent cells run as one cell (each feeds the next)."""

from __future__ import annotations

import torch
from torch import nn

from ...saving.serialization import deserialize_layer, serialize_layer
from ..layer import Layer


def _sizes(size) -> list:
    return list(size) if isinstance(size, (list, tuple)) else [size]


def _listed(cell) -> bool:
    """Whether the cell's states travel as a list (else as a single tensor)."""
    return isinstance(cell.state_size, (list, tuple)) or hasattr(cell, "get_initial_state")


class StackedRNNCells(Layer):
    """Run a list of RNN cells as one cell: at each step the output of a cell is the
    input of the next, and the states are those of every cell.

    ``state_size`` is the list of the cells' state sizes (nested as Keras has
    it); :class:`RNN` also accepts a list of cells and stacks them with this
    class. ``call`` takes the states either nested (one entry per cell, as
    Keras) or flat (all state tensors in order, as :class:`RNN` passes them)
    and returns them in the same form.

    Args:
        cells: List of cell instances (``LSTMCell``, ``GRUCell``, custom cells
            with ``call(inputs, states)`` and ``state_size``).
        **kwargs: Base layer arguments.

    Example:
        >>> import torch
        >>> from ketorch.layers import GRUCell, LSTMCell, RNN, StackedRNNCells
        >>> rnn = RNN(StackedRNNCells([LSTMCell(8), GRUCell(4)]))
        >>> rnn(torch.ones(2, 5, 3)).shape
        torch.Size([2, 4])
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)):
            raise ValueError(
                f"Argument `cells` of StackedRNNCells must be a list of RNN cells. "
                f"Received: cells={cells!r}"
            )
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    "All cells must have a `call` method. "
                    f"Received cell without a `call` method: {cell}"
                )
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "All cells must have a `state_size` attribute. "
                    f"Received cell without a `state_size`: {cell}"
                )
        modules = all(isinstance(c, nn.Module) for c in cells)
        self.cells = nn.ModuleList(cells) if modules else list(cells)

    @property
    def state_size(self) -> list:
        """The cells' state sizes, one entry (an int or a list) per cell."""
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return _sizes(last.state_size)[0]

    def nest_states(self, flat) -> list:
        """Group a flat list of state tensors per cell, as Keras nests them: a list per
        cell, except a bare tensor for a cell with an int ``state_size`` and no
        ``get_initial_state`` (the built-in cells have one and use lists)."""
        out, i = [], 0
        for cell in self.cells:
            n = len(_sizes(cell.state_size))
            part = list(flat[i : i + n])
            out.append(part if _listed(cell) else part[0])
            i += n
        return out

    def get_initial_state(self, batch_size=None) -> list:
        """Zero states, nested per cell."""
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            else:
                zeros = [torch.zeros(batch_size, n) for n in _sizes(cell.state_size)]
                states.append(zeros if isinstance(cell.state_size, (list, tuple)) else zeros[0])
        return states

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            size = getattr(cell, "output_size", None) or _sizes(cell.state_size)[0]
            input_shape = (input_shape[0], size)
        self.built = True

    def call(self, inputs, states, training=False):
        states = list(states)
        total = sum(len(_sizes(c.state_size)) for c in self.cells)
        flat = len(states) == total and all(isinstance(s, torch.Tensor) for s in states)
        nested = self.nest_states(states) if flat else states
        new_states = []
        x = inputs
        for cell, cell_states in zip(self.cells, nested):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
            x, new = cell(x, cell_states, **kwargs)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            new_states.append(new if is_list or len(new) > 1 else new[0])
        if flat:
            return x, [t for s in new_states for t in (s if isinstance(s, list) else [s])]
        return x, new_states

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size)

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialize_layer(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
