"""``keras.Function``: a graph of ops and layers between symbolic tensors, callable on data.

The graph is the one the Functional API records (each op or layer call on a ``KerasTensor``
leaves a node); a :class:`Function` plans it once with the Functional model's machinery and
replays it on new inputs. Unlike a ``Model`` it has no training API and tracks no weights of its
own.

Example:
    >>> import numpy as np
    >>> import ketorch as keras
    >>> a = keras.KerasTensor((None, 3))
    >>> b = keras.KerasTensor((None, 3))
    >>> fn = keras.Function(inputs=[a, b], outputs=keras.ops.sigmoid(a + b), name="add_sig")
    >>> x = np.zeros((2, 3), dtype="float32")
    >>> fn([x, x]).tolist()
    [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    >>> fn.compute_output_spec([keras.KerasTensor((4, 3)), keras.KerasTensor((4, 3))]).shape
    (4, 3)
"""

from __future__ import annotations

from .. import tree
from ..layers.layer import Layer
from ..layers.node import KerasTensor, has_keras_tensor, map_structure
from ..models.functional import Functional
from .operation import Operation, _default_name


class Function(Operation):
    """A computation graph linking symbolic inputs to symbolic outputs.

    Call it on tensors (or arrays) in the structure of ``inputs`` to compute ``outputs`` for
    them; call it on ``KerasTensor``\\ s to record it as one node of a larger graph.

    Args:
        inputs: A ``KerasTensor`` or a nested structure (list, tuple, dict) of them. They need
            not come from ``keras.Input``: any symbolic tensor, even an intermediate one, can be
            an input.
        outputs: A ``KerasTensor`` or nested structure of them, computable from ``inputs``
            alone.
        name: The function's name (``"function"``, ``"function_1"``, ... by default).

    Raises:
        ValueError: If ``inputs`` or ``outputs`` is empty, or an output does not depend on
            ``inputs`` only.
    """

    def __init__(self, inputs, outputs, name: str | None = None):
        Layer.__init__(self, name=name or _default_name("Function"))
        self._op_config = {}
        self.built = True
        self._inputs_struct = map_structure(lambda x: x, inputs)
        self._outputs_struct = map_structure(lambda x: x, outputs)
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        for what, flat, given in (
            ("inputs", self._inputs, inputs),
            ("outputs", self._outputs, outputs),
        ):
            if not flat:
                raise ValueError(
                    f"`{what}` argument cannot be empty. Received: inputs={inputs}, "
                    f"outputs={outputs}"
                )
            for t in flat:
                if not isinstance(t, KerasTensor):
                    raise TypeError(
                        f"All `{what}` of a Function must be KerasTensors. Received: "
                        f"{what}={given!r}"
                    )
        # Not a registered submodule: a Function owns no weights (as in Keras).
        object.__setattr__(self, "_graph", _plan(self._inputs, self._outputs))

    @property
    def inputs(self) -> list:
        """Flat list of the symbolic inputs."""
        return self._inputs

    @property
    def outputs(self) -> list:
        """Flat list of the symbolic outputs."""
        return self._outputs

    @property
    def operations(self) -> list:
        """The ops and layers of the graph, inputs first."""
        return [layer for layer, *_ in self._graph._steps]

    def __call__(self, *args, **kwargs):
        if has_keras_tensor(args) or has_keras_tensor(kwargs):
            return Layer._symbolic_call(self, args, kwargs)
        return self.call(*args, **kwargs)

    def call(self, inputs):
        """Compute the outputs for ``inputs`` (in the structure of the ``inputs`` given)."""
        self._check_inputs(inputs)
        return self._pack(self._graph.call(tree.flatten(inputs)))

    def compute_output_spec(self, inputs):
        """The outputs as ``KerasTensor``\\ s (shape and dtype) for symbolic ``inputs``."""
        self._check_inputs(inputs)
        flat = tree.flatten(inputs)
        if all(tuple(x.shape) == ref.shape for x, ref in zip(flat, self._inputs)):
            return map_structure(lambda t: KerasTensor(t.shape, t.dtype), self._outputs_struct)
        shapes = [tuple(x.shape) for x in flat]
        out_shapes = self._graph.compute_output_shape(shapes if len(shapes) > 1 else shapes[0])
        return self._pack([KerasTensor(s, t.dtype) for s, t in zip(out_shapes, self._outputs)])

    def compute_output_shape(self, input_shape):
        """Output shape(s) for ``input_shape`` (in the structure of ``inputs``)."""
        flat = tree.flatten(tree.map_shape_structure(lambda s: KerasTensor(s), input_shape))
        spec = self.compute_output_spec(tree.pack_sequence_as(self._inputs_struct, flat))
        return tree.map_structure(lambda t: t.shape, spec)

    def get_config(self):
        raise NotImplementedError("A Function cannot be serialized; save a Model instead.")

    def _pack(self, flat_values):
        """Flat values (in ``outputs`` order) in the structure of ``outputs``, keeping its
        dict key order (the order in which a symbolic call numbered its outputs)."""
        by_id = {id(t): v for t, v in zip(self._outputs, flat_values)}
        return map_structure(lambda t: by_id[id(t)], self._outputs_struct)

    def _check_inputs(self, inputs):
        try:
            tree.assert_same_structure(inputs, self._inputs_struct)
        except (ValueError, TypeError):
            raise ValueError(
                "Function was called with an invalid input structure. Expected input "
                f"structure: {self._inputs_struct}. Received input structure: {inputs}"
            ) from None
        for x, ref in zip(tree.flatten(inputs), self._inputs):
            shape = tuple(getattr(x, "shape", ()))
            if len(shape) != len(ref.shape) or any(
                d is not None and r is not None and d != r for d, r in zip(shape, ref.shape)
            ):
                raise ValueError(
                    f"Function was passed incompatible inputs. For input '{ref.name}', expected "
                    f"shape {ref.shape}, but received instead a tensor with shape {shape}."
                )

    def __repr__(self):
        return f"<Function name={self.name}>"


def _plan(inputs: list, outputs: list):
    """A Functional model over the graph between ``inputs`` and ``outputs`` (flat lists), kept
    as a private execution plan: the Functional API's graph compiler, reused."""

    try:
        graph = Functional(list(inputs), list(outputs), name="function_graph")
    except ValueError as e:
        raise ValueError(
            f"The outputs of a Function must be computable from its inputs: {e}"
        ) from e
    return graph
