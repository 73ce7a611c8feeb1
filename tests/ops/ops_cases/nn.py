"""Cases for ``keras.ops.nn``: activations, convolutions, pooling, encodings, losses,
normalization, attention and CTC.

Where Keras 3.15.1's torch backend computes a wrong result (asymmetric "same" average pooling,
sparsemax, layer/RMS normalization over non-trailing axes) or refuses an input ketorch supports,
a NumPy reference is used (``ref=``) and ``note=`` says why.
"""

import itertools

import numpy as np
from op_cases import Case, T

# ------------------------------------------------------------------ NumPy references


def _avg_pool_same_ref(x, pool_size, strides=None, padding="same", data_format=None):
    """TensorFlow's "same" average pooling (channels_last): padded cells are not counted."""
    n = x.ndim - 2
    k = (pool_size,) * n if isinstance(pool_size, int) else tuple(pool_size)
    s = k if strides is None else ((strides,) * n if isinstance(strides, int) else strides)
    spatial = x.shape[1:-1]
    outs = [-(-d // st) for d, st in zip(spatial, s)]
    pads = []
    for d, kk, st, o in zip(spatial, k, s, outs):
        total = max(0, (o - 1) * st + kk - d)
        pads.append(total // 2)
    y = np.zeros((x.shape[0], *outs, x.shape[-1]), dtype=x.dtype)
    for idx in itertools.product(*(range(o) for o in outs)):
        sl = []
        for i, st, kk, lo, d in zip(idx, s, k, pads, spatial):
            start = i * st - lo
            sl.append(slice(max(start, 0), min(start + kk, d)))
        y[(slice(None), *idx, slice(None))] = x[(slice(None), *sl, slice(None))].mean(
            axis=tuple(range(1, n + 1))
        )
    return y


def _sparsemax_ref(x, axis=-1):
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    z = -np.sort(-x, axis=-1)
    csum = np.cumsum(z, axis=-1)
    ranks = np.arange(1, x.shape[-1] + 1)
    support = 1 + ranks * z > csum
    k = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(csum, k - 1, -1) - 1) / k
    return np.moveaxis(np.maximum(x - tau, 0), -1, axis).astype(np.float32)


def _broadcast_param(p, x, axis):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return None if p is None else p.reshape(shape)


def _layer_norm_ref(x, gamma=None, beta=None, axis=-1, epsilon=1e-7):
    gamma, beta = _broadcast_param(gamma, x, axis), _broadcast_param(beta, x, axis)
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)
    out = (x - mean) / np.sqrt(var + epsilon)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out.astype(x.dtype)


def _rms_norm_ref(x, scale=None, axis=-1, epsilon=1e-7):
    out = x / np.sqrt((x * x).mean(axis=axis, keepdims=True) + epsilon)
    return (out if scale is None else out * scale).astype(x.dtype)


def _one_hot_ref(x, num_classes, axis=-1, dtype=None):
    out = (x[..., None] == np.arange(num_classes)).astype(np.float32)
    return np.moveaxis(out, -1, axis)


def _softmax_ref(x, axis=-1):
    x = x.astype(np.float32)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _capped_attention_ref(query, key, value, attn_logits_soft_cap=None, is_causal=False):
    q, k, v = (np.swapaxes(a, 1, 2).astype(np.float64) for a in (query, key, value))
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    logits = attn_logits_soft_cap * np.tanh(logits / attn_logits_soft_cap)
    if is_causal:
        keep = np.tril(np.ones(logits.shape[-2:], dtype=bool))
        logits = np.where(keep, logits, -1e30)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return np.swapaxes(w @ v, 1, 2).astype(np.float32)


# ------------------------------------------------------------------ inputs

_UNKNOWN_KERNEL = (
    "the harness makes the leading axis of every rank-4 tensor unknown, kernels included; "
    "a kernel of unknown size has no output shape to infer"
)
_ADAPTIVE_SPEC = (
    "Keras's symbolic adaptive pooling keeps the input's spatial axes for channels_last "
    "tuple output sizes (e.g. (None, 7, 2, 4, 3)); its eager result has the right shape"
)

X = T((2, 3, 4))
X16 = T((2, 3, 4), "float16")
XI = T((2, 3, 4), "int32", -5, 5)
IMG = T((2, 7, 6, 3))  # channels_last image
IMG_CF = T((2, 3, 7, 6), seed=1)
SEQ = T((2, 9, 3))
VOL = T((2, 5, 4, 6, 2), seed=2)
K2 = T((3, 3, 3, 4), seed=3)
PROBS = T((3, 5), low=0.05, high=0.95, seed=4)
LABELS = T((3, 5), low=0.0, high=1.0, seed=5)

_ACTIVATIONS = [
    ("relu", {}),
    ("relu6", {}),
    ("sigmoid", {}),
    ("sparse_sigmoid", {}),
    ("softplus", {}),
    ("softsign", {}),
    ("soft_shrink", {"threshold": 0.3}),
    ("sparse_plus", {}),
    ("silu", {}),
    ("swish", {}),
    ("squareplus", {"b": 2}),
    ("log_sigmoid", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("hard_sigmoid", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("gelu", {}),
    ("celu", {"alpha": 2.0}),
    ("tanh_shrink", {}),
    ("hard_tanh", {}),
    ("hard_shrink", {"threshold": 0.3}),
    ("threshold", {"threshold": 0.5, "default_value": -1.0}),
]

CASES = []
for _name, _kw in _ACTIVATIONS:
    CASES.append(Case(_name, (T((3, 5), low=-5.0, high=5.0),), dict(_kw), grad=True))
    CASES.append(Case(_name, (X16,), dict(_kw), atol=1e-3, rtol=1e-3, id="float16"))

CASES += [
    # ------------------------------------------------------------------ activations
    Case("relu", (XI,), id="int32"),
    Case("relu6", (T((4,), "int32", -3, 9),), id="int32"),
    Case("hard_tanh", (XI,), id="int32"),
    Case("threshold", (XI, 1, 7), id="int32"),
    Case(
        "sigmoid",
        (XI,),
        id="int32",
        symbolic=False,
        note="Keras's symbolic sigmoid keeps int32 while its eager kernel returns float32",
    ),
    Case("gelu", (X,), {"approximate": False}, grad=True, id="exact"),
    Case("relu", (T((2, 3), "bfloat16"),), id="bfloat16"),
    Case("gelu", (T((2, 3), "float64"),), grad=True, id="float64"),
    Case("glu", (T((3, 6)),), grad=True),
    Case("glu", (T((4, 3)),), {"axis": 0}, grad=True, id="axis0"),
    Case("softmax", (X,), grad=True),
    Case("softmax", (X,), {"axis": 0}, grad=True, id="axis0"),
    Case("softmax", (X,), {"axis": (1, 2)}, grad=True, id="tuple-axis"),
    Case("softmax", (X,), {"axis": None}, grad=True, id="axis-none"),
    Case("softmax", (X16,), atol=1e-3, id="float16"),
    Case("log_softmax", (X,), grad=True),
    Case("log_softmax", (X,), {"axis": 1}, grad=True, id="axis1"),
    Case("log_softmax", (X,), {"axis": (0, 2)}, grad=True, id="tuple-axis"),
    Case("log_softmax", (X16,), atol=2e-3, id="float16"),
    Case(
        "softmax",
        (XI,),
        ref=_softmax_ref,
        id="int32",
        note="torch has no integer softmax kernel (Keras raises); ketorch computes in floatx",
    ),
    Case(
        "sparsemax",
        (T((3, 4), kind="values", values=(5.0, 0, -1, 0.5, 0, 4, 1, -2, -1, 0, 0, 6)),),
        grad=True,
        id="one-winner",
        note="one entry dominates each row (support size 1), where Keras's formula is right",
    ),
    Case(
        "sparsemax",
        (T((4, 6)),),
        ref=_sparsemax_ref,
        note="Keras 3.15.1 sums the cumulative sums over the support instead of taking the "
        "k-th one, so its outputs do not sum to 1; ketorch projects onto the simplex",
    ),
    Case(
        "sparsemax",
        (T((3, 5, 2)),),
        {"axis": 1},
        ref=lambda x, axis: _sparsemax_ref(x, axis),
        id="axis1",
        note="see the sparsemax case above",
    ),
    # ------------------------------------------------------------------ convolutions
    Case("conv", (IMG, K2), grad=True, atol=1e-4),
    Case("conv", (IMG, K2), {"strides": 2, "padding": "same"}, grad=True, atol=1e-4, id="same-s2"),
    Case(
        "conv", (IMG, K2), {"padding": "same", "dilation_rate": 2}, grad=True, atol=1e-4, id="dil2"
    ),
    Case(
        "conv",
        (IMG_CF, K2),
        {"data_format": "channels_first", "strides": (1, 2)},
        grad=True,
        atol=1e-4,
        id="channels-first",
    ),
    Case("conv", (SEQ, T((3, 3, 5), seed=6)), {"padding": "same"}, grad=True, atol=1e-4, id="1d"),
    Case("conv", (VOL, T((2, 2, 3, 2, 4), seed=7)), {"strides": 2}, grad=True, atol=1e-4, id="3d"),
    Case("conv", (T((2, 6, 6, 4)), T((3, 3, 2, 6), seed=8)), grad=True, atol=1e-4, id="grouped"),
    Case("conv", (T((1, 5, 5, 2), "float64"), T((2, 2, 2, 3), "float64")), id="float64"),
    Case("depthwise_conv", (IMG, T((3, 3, 3, 2), seed=9)), grad=True, atol=1e-4),
    Case(
        "depthwise_conv",
        (SEQ, T((4, 3, 1), seed=10)),
        {"strides": 2, "padding": "same"},
        grad=True,
        atol=1e-4,
        id="1d-same-s2",
    ),
    Case(
        "depthwise_conv",
        (IMG_CF, T((2, 2, 3, 2), seed=11)),
        {"data_format": "channels_first", "dilation_rate": 2},
        grad=True,
        atol=1e-4,
        id="channels-first",
    ),
    Case(
        "separable_conv",
        (IMG, T((3, 3, 3, 2), seed=12), T((1, 1, 6, 4), seed=13)),
        {"padding": "same"},
        grad=True,
        atol=1e-4,
        symbolic=False,
        note=_UNKNOWN_KERNEL,
    ),
    Case(
        "separable_conv",
        (SEQ, T((2, 3, 1), seed=14), T((1, 3, 5), seed=15)),
        {"strides": 2},
        grad=True,
        atol=1e-4,
        id="1d",
        symbolic=False,
        note=_UNKNOWN_KERNEL,
    ),
    Case("conv_transpose", (IMG, T((3, 3, 4, 3), seed=16)), grad=True, atol=1e-4),
    Case(
        "conv_transpose",
        (IMG, T((3, 3, 4, 3), seed=16)),
        {"strides": 2, "padding": "same"},
        grad=True,
        atol=1e-4,
        id="same-s2",
    ),
    Case(
        "conv_transpose",
        (IMG, T((3, 3, 4, 3), seed=16)),
        {"strides": 2, "output_padding": 1},
        grad=True,
        atol=1e-4,
        id="output-padding",
    ),
    Case(
        "conv_transpose",
        (IMG, T((2, 2, 4, 3), seed=17)),
        {"strides": 3, "padding": "same", "output_padding": 0},
        grad=True,
        atol=1e-4,
        id="same-op0",
    ),
    Case(
        "conv_transpose",
        (SEQ, T((3, 2, 3), seed=18)),
        {"dilation_rate": 2, "padding": "same"},
        grad=True,
        atol=1e-4,
        id="1d-dil2",
    ),
    Case(
        "conv_transpose",
        (T((2, 2, 3, 4, 2), seed=19), T((2, 2, 2, 3, 2), seed=20)),
        {"strides": 2, "data_format": "channels_first"},
        grad=True,
        atol=1e-4,
        id="3d-channels-first",
    ),
    # ------------------------------------------------------------------ pooling
    Case("max_pool", (IMG, 2), grad=True),
    Case("max_pool", (IMG, 3), {"strides": 1, "padding": "same"}, grad=True, id="same-s1"),
    Case("max_pool", (IMG, (2, 3)), {"strides": 2, "padding": "same"}, grad=True, id="same-s2"),
    Case("max_pool", (SEQ, 2), {"padding": "same"}, grad=True, id="1d"),
    Case("max_pool", (VOL, 2), grad=True, id="3d"),
    Case("max_pool", (IMG_CF, 2), {"data_format": "channels_first"}, grad=True, id="cf"),
    Case("max_pool", (T((2, 4, 4, 3), "int32", 0, 50), 2), id="int32"),
    Case("max_pool", (T((2, 4, 4, 3), "float16"), 2), id="float16"),
    Case("average_pool", (IMG, 2), grad=True),
    Case("average_pool", (IMG, 3), {"strides": 1, "padding": "same"}, grad=True, id="same-s1"),
    Case("average_pool", (SEQ, 3), {"strides": 2}, grad=True, id="1d"),
    Case("average_pool", (VOL, (2, 2, 3)), grad=True, id="3d"),
    Case("average_pool", (IMG_CF, 2), {"data_format": "channels_first"}, grad=True, id="cf"),
    Case(
        "average_pool",
        (IMG, 2),
        {"strides": 1, "padding": "same"},
        ref=_avg_pool_same_ref,
        id="same-asymmetric",
        note="where 'same' pads unevenly, Keras's torch backend pads by replicating edge "
        "values and counts them; ketorch follows TensorFlow (padded cells not counted)",
    ),
    Case(
        "average_pool",
        (SEQ, 4),
        {"strides": 2, "padding": "same"},
        ref=_avg_pool_same_ref,
        id="same-asymmetric-1d",
        note="see same-asymmetric",
    ),
    Case("adaptive_average_pool", (IMG, 3), grad=True),
    Case(
        "adaptive_average_pool",
        (IMG, (2, 4)),
        grad=True,
        id="tuple",
        symbolic=False,
        note=_ADAPTIVE_SPEC,
    ),
    Case("adaptive_average_pool", (SEQ, 4), grad=True, id="1d"),
    Case(
        "adaptive_average_pool",
        (T((2, 3, 5, 6, 4)), (2, 3, 2)),
        {"data_format": "channels_first"},
        grad=True,
        id="3d-cf",
    ),
    Case("adaptive_max_pool", (IMG, 3), grad=True),
    Case("adaptive_max_pool", (SEQ, 4), grad=True, id="1d"),
    Case(
        "adaptive_max_pool",
        (VOL, (2, 3, 4)),
        grad=True,
        id="3d",
        symbolic=False,
        note=_ADAPTIVE_SPEC,
    ),
    # ------------------------------------------------------------------ encodings
    Case("one_hot", (T((2, 3), "int32", 0, 5), 5)),
    Case("one_hot", (T((2, 3), "int32", -1, 5), 5), {"axis": 0}, id="axis0-negative-ids"),
    Case("one_hot", (T((4,), "int32", 0, 3), 3), {"dtype": "int32"}, id="int32"),
    Case("one_hot", (T((2, 3), "int64", 0, 4), 4), {"axis": 1, "dtype": "bool"}, id="axis1-bool"),
    Case(
        "one_hot",
        (T((2, 3), "int32", 0, 6), 4),
        ref=_one_hot_ref,
        id="out-of-range",
        note="ids >= num_classes give zero rows as in TensorFlow/JAX; Keras's torch backend raises",
    ),
    Case(
        "multi_hot",
        (T((3, 4), "int32", 0, 6), 6),
        symbolic=False,
        note="Keras's symbolic multi_hot reports the input dtype instead of floatx",
    ),
    Case("multi_hot", (T((5,), "int32", 0, 4), 4), symbolic=False, id="1d", note="see multi_hot"),
    Case(
        "multi_hot",
        (T((2, 3, 4), "int32", 0, 5), 5),
        {"dtype": "int32"},
        symbolic=False,
        id="3d-int32",
        note="see multi_hot",
    ),
    Case(
        "multi_hot",
        (T((3, 4), "int32", 0, 6), 6),
        check_dtype=False,
        id="shape-only",
        note="symbolic shape checked; dtype differs (see multi_hot)",
    ),
    # ------------------------------------------------------------------ losses
    Case("binary_crossentropy", (LABELS, PROBS), grad=True),
    Case(
        "binary_crossentropy",
        (LABELS, T((3, 5), seed=6)),
        {"from_logits": True},
        grad=True,
        id="logits",
    ),
    Case("categorical_crossentropy", (LABELS, PROBS), grad=True),
    Case(
        "categorical_crossentropy",
        (LABELS, T((3, 5), seed=7)),
        {"from_logits": True},
        grad=True,
        id="logits",
    ),
    Case(
        "categorical_crossentropy",
        (T((4, 3), low=0, high=1), T((4, 3), low=0.1, high=1)),
        {"axis": 0},
        grad=True,
        id="axis0",
        symbolic=False,
        note="Keras's symbolic categorical_crossentropy drops the last axis whatever `axis` is",
    ),
    Case("sparse_categorical_crossentropy", (T((3,), "int32", 0, 5), PROBS), grad=True),
    Case(
        "sparse_categorical_crossentropy",
        (T((3, 1), "int32", 0, 5), T((3, 5), seed=8)),
        {"from_logits": True},
        grad=True,
        id="logits-trailing-1",
    ),
    Case(
        "sparse_categorical_crossentropy",
        (T((2, 4), "int32", 0, 3), T((2, 3, 4), seed=9)),
        {"from_logits": True, "axis": 1},
        grad=True,
        id="axis1",
    ),
    Case(
        "sparse_categorical_crossentropy",
        (T((2, 4), "int64", 0, 3), T((2, 4, 3), low=0.1, high=1.0, seed=10)),
        grad=True,
        id="3d-probs",
    ),
    Case(
        "ctc_loss",
        (
            T((2, 3), "int32", kind="values", values=(1, 2, 2, 3, 1, 0)),
            T((2, 7, 4), seed=11),
            T((2,), "int32", kind="values", values=(3, 2)),
            T((2,), "int32", kind="values", values=(7, 5)),
        ),
        grad=True,
        atol=1e-4,
    ),
    Case(
        "ctc_loss",
        (
            T((2, 2), "int32", kind="values", values=(0, 1, 2, 2)),
            T((2, 6, 4), seed=12),
            T((2,), "int32", kind="values", values=(2, 2)),
            T((2,), "int32", kind="values", values=(6, 6)),
        ),
        {"mask_index": 3},
        grad=True,
        atol=1e-4,
        id="mask-index",
    ),
    # ------------------------------------------------------------------ normalization
    Case("moments", (X, [0]), grad=True),
    Case("moments", (X, (0, 2)), {"keepdims": True}, grad=True, id="keepdims"),
    Case("moments", (X, -1), grad=True, id="int-axis"),
    Case("moments", (X16, [1, 2]), atol=1e-3, id="float16"),
    Case(
        "batch_normalization",
        (X, T((4,), seed=1), T((4,), low=0.5, high=2, seed=2), -1),
        {"offset": T((4,), seed=3), "scale": T((4,), seed=4)},
        grad=True,
    ),
    Case(
        "batch_normalization",
        (X, T((3,), seed=1), T((3,), low=0.5, high=2, seed=2), 1),
        {"epsilon": 0.1},
        grad=True,
        id="axis1",
    ),
    Case(
        "layer_normalization",
        (X,),
        {"gamma": T((4,), seed=1), "beta": T((4,), seed=2)},
        grad=True,
        atol=1e-4,
    ),
    Case("layer_normalization", (X,), {"axis": (1, 2)}, grad=True, atol=1e-4, id="two-axes"),
    Case(
        "layer_normalization",
        (X,),
        {"axis": (0, 2), "gamma": T((2, 1, 4), seed=3)},
        grad=True,
        atol=1e-4,
        id="non-contiguous",
    ),
    Case("layer_normalization", (X16,), atol=2e-3, id="float16"),
    Case(
        "layer_normalization",
        (X,),
        {"axis": 1, "gamma": T((3,), seed=1)},
        ref=_layer_norm_ref,
        atol=1e-4,
        id="middle-axis",
        note="Keras's torch backend hands a single non-trailing axis to F.layer_norm, which "
        "normalizes the trailing axis instead (or raises)",
    ),
    Case("rms_normalization", (X,), {"scale": T((4,), seed=1)}, grad=True, atol=1e-4),
    Case("rms_normalization", (X,), {"axis": (0, 2)}, grad=True, atol=1e-4, id="non-contiguous"),
    Case("rms_normalization", (X16,), {"scale": T((4,), "float16")}, atol=2e-3, id="float16"),
    Case(
        "rms_normalization",
        (X,),
        {"axis": 1},
        ref=_rms_norm_ref,
        atol=1e-4,
        id="middle-axis",
        note="as layer_normalization: Keras's torch backend normalizes the wrong axis",
    ),
    Case("normalize", (X,), grad=True),
    Case("normalize", (X,), {"axis": 0, "order": 1}, grad=True, id="order1"),
    Case("normalize", (X,), {"axis": (1, 2)}, grad=True, id="two-axes"),
    Case("normalize", (XI,), id="int32"),
    # ------------------------------------------------------------------ misc
    Case(
        "psnr",
        (T((2, 8, 8, 1), low=0, high=1), T((2, 8, 8, 1), low=0, high=1, seed=1), 1.0),
        grad=True,
    ),
    Case(
        "polar",
        (T((2, 3), low=0, high=2), T((2, 3), low=-3, high=3, seed=1)),
        symbolic=False,
        note="Keras's symbolic polar reports float32 for its complex64 output",
    ),
    Case("unfold", (T((2, 3, 6, 5)), 2), grad=True),
    Case(
        "unfold",
        (T((1, 2, 7, 7)), (3, 2)),
        {"dilation": 2, "padding": 1, "stride": (2, 1)},
        grad=True,
        id="options",
    ),
    Case("fold", (T((2, 12, 20)), (5, 6), 2), grad=True),
    Case("fold", (T((1, 8, 9)), 4, 2), {"stride": 1, "padding": 0, "dilation": 1}, id="int-size"),
    Case("depth_to_space", (T((2, 3, 4, 12)), 2), grad=True),
    Case(
        "depth_to_space",
        (T((2, 18, 2, 3)), 3),
        {"data_format": "channels_first"},
        grad=True,
        id="cf",
    ),
    Case("space_to_depth", (T((2, 4, 6, 3)), 2), grad=True),
    Case(
        "space_to_depth",
        (T((2, 3, 6, 4)), 2),
        {"data_format": "channels_first"},
        grad=True,
        id="cf",
    ),
    # ------------------------------------------------------------------ attention
    Case(
        "dot_product_attention",
        (T((2, 4, 3, 8)), T((2, 5, 3, 8), seed=1), T((2, 5, 3, 8), seed=2)),
        grad=True,
        atol=1e-5,
    ),
    Case(
        "dot_product_attention",
        (T((2, 5, 2, 4)), T((2, 5, 2, 4), seed=1), T((2, 5, 2, 4), seed=2)),
        {"is_causal": True, "scale": 0.5},
        grad=True,
        id="causal-scale",
    ),
    Case(
        "dot_product_attention",
        (T((2, 4, 3, 8)), T((2, 5, 3, 8), seed=1), T((2, 5, 3, 8), seed=2)),
        {"mask": T((2, 1, 4, 5), "bool", seed=3)},
        grad=True,
        id="mask",
    ),
    Case(
        "dot_product_attention",
        (T((1, 4, 2, 4)), T((1, 4, 2, 4), seed=1), T((1, 4, 2, 4), seed=2)),
        {"mask": T((1, 1, 4, 4), "bool", seed=4), "is_causal": True},
        grad=True,
        id="mask-causal",
    ),
    Case(
        "dot_product_attention",
        (T((2, 4, 3, 8)), T((2, 5, 3, 8), seed=1), T((2, 5, 3, 8), seed=2)),
        {"bias": T((2, 3, 4, 5), seed=5)},
        grad=True,
        id="bias",
    ),
    Case(
        "dot_product_attention",
        (T((2, 4, 4, 8)), T((2, 5, 2, 8), seed=1), T((2, 5, 2, 8), seed=2)),
        grad=True,
        id="gqa",
    ),
    Case(
        "dot_product_attention",
        (T((2, 4, 4, 8)), T((2, 5, 1, 8), seed=1), T((2, 5, 1, 8), seed=2)),
        grad=True,
        id="mqa",
    ),
    Case(
        "dot_product_attention",
        (
            T((2, 4, 2, 8), "float16"),
            T((2, 4, 2, 8), "float16", seed=1),
            T((2, 4, 2, 8), "float16", seed=2),
        ),
        atol=2e-3,
        id="float16",
    ),
    Case(
        "dot_product_attention",
        (T((2, 4, 2, 8)), T((2, 4, 2, 8), seed=1), T((2, 4, 2, 8), seed=2)),
        {"attn_logits_soft_cap": 2.0, "is_causal": True},
        ref=_capped_attention_ref,
        id="soft-cap",
        note="Keras only supports the logit soft cap with JAX on TPU; ketorch computes it",
    ),
    # ------------------------------------------------------------------ CTC decoding
    Case("ctc_decode", (T((2, 6, 5)), T((2,), "int32", kind="values", values=(6, 4)))),
    Case(
        "ctc_decode",
        (T((3, 5, 4), seed=1), T((3,), "int32", kind="values", values=(5, 2, 4))),
        {"merge_repeated": False, "mask_index": None},
        id="no-merge-last-blank",
    ),
    Case(
        "ctc_decode",
        (T((2, 6, 5), low=-3, high=3, seed=2), T((2,), "int32", kind="values", values=(6, 4))),
        {"strategy": "beam_search", "beam_width": 4, "top_paths": 2},
        id="beam",
    ),
    Case(
        "ctc_decode",
        (T((3, 7, 3), low=-2, high=2, seed=3), T((3,), "int32", kind="values", values=(7, 3, 5))),
        {"strategy": "beam_search", "beam_width": 10, "top_paths": 3, "mask_index": 2},
        id="beam-wide",
    ),
]
