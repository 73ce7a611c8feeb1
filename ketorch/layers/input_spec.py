"""InputSpec: what a layer accepts, checked when a graph is built."""

from __future__ import annotations


class InputSpec:
    """Constraints on the rank and some axes of a layer's input.

    Args:
        dtype: Expected dtype name, or ``None``.
        shape: Full expected shape (``None`` entries match anything).
        ndim: Exact rank.
        max_ndim: Largest allowed rank.
        min_ndim: Smallest allowed rank.
        axes: ``{axis: size}`` pairs the input must have.
        allow_last_axis_squeeze: Accepted for Keras compatibility.
        name: Optional input name.
    """

    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        parts = [
            f"{k}={v}"
            for k, v in (
                ("dtype", self.dtype),
                ("shape", self.shape),
                ("ndim", self.ndim),
                ("max_ndim", self.max_ndim),
                ("min_ndim", self.min_ndim),
                ("axes", self.axes or None),
            )
            if v is not None
        ]
        return f"InputSpec({', '.join(parts)})"


def _fmt(shape):
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def check_input_spec(layer, specs, shapes) -> None:
    """Raise ``ValueError`` naming ``layer`` when ``shapes`` violate ``specs``."""
    if specs is None:
        return
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    if len(specs) == 1 and shapes and not isinstance(shapes[0], (list, tuple)):
        shapes = [shapes]
    for i, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None or shape is None:
            continue
        shape = tuple(shape)
        where = f"Input {i} of layer '{layer.name}' ({type(layer).__name__}) is incompatible"
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(
                f"{where}: expected ndim={spec.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_fmt(shape)}"
            )
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_fmt(shape)}"
            )
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(
                f"{where}: expected max_ndim={spec.max_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_fmt(shape)}"
            )
        for axis, size in spec.axes.items():
            if size is None:
                continue
            try:
                got = shape[axis]
            except IndexError:
                got = None
            if got is not None and got != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of the input shape to have value {size}, "
                    f"but received an input with shape {_fmt(shape)}"
                )
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(
                        f"{where}: expected shape={_fmt(spec.shape)}, found shape={_fmt(shape)}"
                    )


format_shape = _fmt
