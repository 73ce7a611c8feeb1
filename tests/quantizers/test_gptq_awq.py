"""GPTQ and AWQ against Keras: same float weights and calibration data, same integers."""

import warnings

import numpy as np
import pytest
import torch
from parity import keras

import ketorch

SEQ, VOCAB, DIM, HIDDEN = 8, 50, 16, 24
TEXT = ["GPTQ quantizes one column at a time and corrects the rest.", "AWQ scales channels."]


def _tokenize(s):
    return np.array([ord(c) % VOCAB for c in s], dtype=np.int64)[None]


_tokenize.tokenize = _tokenize


def _model(k):
    class Block(k.layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.d1 = k.layers.Dense(HIDDEN, activation="relu")
            self.d2 = k.layers.Dense(DIM)
            self.ln = k.layers.LayerNormalization()

        def build(self, shape):
            self.d1.build(shape)
            self.d2.build(tuple(shape[:-1]) + (HIDDEN,))
            self.ln.build(shape)

        def call(self, x):
            return self.ln(x + self.d2(self.d1(x)))

    inp = k.Input((SEQ,), dtype="int32")
    x = k.layers.Embedding(VOCAB, DIM)(inp)
    x = Block(name="b0")(x)
    x = Block(name="b1")(x)
    out = k.layers.Dense(5)(k.layers.GlobalAveragePooling1D()(x))
    return k.Model(inp, out)


def _pair():
    keras.utils.set_random_seed(3)
    km = _model(keras)
    tm = _model(ketorch)
    tm.set_weights(km.get_weights())
    return km, tm


def _config(k, model, mode, **kw):
    structure = {"pre_block_layers": [model.layers[1]], "sequential_blocks": model.layers[2:4]}
    cls = k.quantizers.GPTQConfig if mode == "gptq" else k.quantizers.AWQConfig
    base = dict(num_samples=6, sequence_length=SEQ, group_size=8)
    return cls(
        dataset=TEXT,
        tokenizer=_tokenize,
        quantization_layer_structure=structure,
        **{**base, **kw},
    )


def _quantize(model, k, mode, **kw):
    cfg = _config(k, model, mode, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The head Dense is outside the blocks: Keras would prepare it but never calibrate
        # it (and could not load its own file for it), so it is left out here.
        model.quantize(mode, config=cfg, filters=lambda layer: layer is not model.layers[-1])
    cfg.quantization_layer_structure = None  # Keras cannot serialize layers in it


def _blocks_dense(model):
    return [layer for b in model.layers[2:4] for layer in (b.d1, b.d2)]


def _x():
    return np.random.default_rng(0).integers(0, VOCAB, (4, SEQ)).astype("int32")


CASES = [
    ("gptq", {}),
    ("gptq", {"activation_order": True}),
    ("gptq", {"symmetric": True, "group_size": -1}),
    ("gptq", {"weight_bits": 8, "per_channel": False}),
    ("gptq", {"weight_bits": 3, "group_size": 16, "activation_order": True}),
    ("awq", {}),
    ("awq", {"group_size": -1, "num_grid_points": 7}),
]


@pytest.mark.parametrize("mode,kw", CASES)
def test_layer_quantization_matches_keras(mode, kw):
    """Keras's own GPTQ/AWQ objects and ketorch's, fed the same inputs, give the same weights.

    (Keras 3.15's model.quantize never feeds them: its hooks patch ``layer.call`` but a
    quantized layer runs ``quantized_call``, so its Hessians stay zero. ketorch records
    the inputs with forward pre-hooks.)
    """
    from keras.src.quantizers.awq import AWQ as KAWQ
    from keras.src.quantizers.gptq import GPTQ as KGPTQ

    from ketorch.layers.core._quantized_layers import dense_set_calibrated
    from ketorch.quantizers.awq import AWQ
    from ketorch.quantizers.gptq import GPTQ

    keras.utils.set_random_seed(5)
    x = np.random.default_rng(1).normal(size=(3, SEQ, DIM)).astype("float32")
    kl = keras.layers.Dense(HIDDEN)
    kl.build((None, DIM))
    tl = ketorch.layers.Dense(HIDDEN)
    tl.build((None, DIM))
    tl.set_weights(kl.get_weights())
    cls_k = keras.quantizers.GPTQConfig if mode == "gptq" else keras.quantizers.AWQConfig
    cls_t = ketorch.quantizers.GPTQConfig if mode == "gptq" else ketorch.quantizers.AWQConfig
    base = {"group_size": 8, **kw}
    kcfg, tcfg = cls_k(None, None, **base), cls_t(None, None, **base)
    kl.quantize(mode, config=kcfg)
    tl.quantize(mode, config=tcfg)
    kobj = (KGPTQ if mode == "gptq" else KAWQ)(kl, kcfg)
    tobj = (GPTQ if mode == "gptq" else AWQ)(tl, tcfg)
    for batch in x:
        if mode == "gptq":
            kobj.update_hessian_with_batch(keras.ops.convert_to_tensor(batch))
        else:
            kobj.update_activation_magnitudes(keras.ops.convert_to_tensor(batch))
        tobj.update(torch.from_numpy(batch))
    kobj.quantize_and_correct_layer() if mode == "gptq" else kobj.quantize_layer()
    dense_set_calibrated(tl, tobj.quantize())
    assert tl.dtype_policy.name == kl.dtype_policy.name
    kw_ = [(w.name, str(w.dtype), tuple(w.shape)) for w in kl.weights]
    tw_ = [(w.name, str(w.dtype).replace("torch.", ""), tuple(w.shape)) for w in tl.weights]
    assert tw_ == kw_
    names = ["quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"]
    names += ["awq_scales"] if mode == "awq" else []
    for name in names:
        a = keras.ops.convert_to_numpy(getattr(kl, name))
        b = getattr(tl, name).detach().cpu().numpy()
        # Same torch ops in the same order on the same device: identical results.
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=0, err_msg=name)
    np.testing.assert_allclose(
        tl(torch.from_numpy(x)).detach().numpy(),
        keras.ops.convert_to_numpy(kl(x)),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize("mode", ["gptq", "awq"])
def test_model_quantize_close_to_float(mode):
    km, tm = _pair()
    x = _x()
    ref = tm.predict(x, verbose=0)
    _quantize(km, keras, mode)
    _quantize(tm, ketorch, mode)
    for kl, tl in zip(_blocks_dense(km), _blocks_dense(tm)):
        assert tl.dtype_policy.name == kl.dtype_policy.name
        assert tl._calibrated and not hasattr(tl, "kernel")
    tc, kc = tm.layers[2].d1.get_config(), km.layers[2].d1.get_config()
    assert tc["dtype"] == kc["dtype"]
    assert tc["quantization_config"]["config"] == kc["quantization_config"]["config"]
    np.testing.assert_allclose(tm.predict(x, verbose=0), ref, atol=0.15)


@pytest.mark.parametrize("mode", ["gptq", "awq"])
def test_weight_files_move_both_ways(mode, tmp_path):
    km, tm = _pair()
    _quantize(km, keras, mode)
    _quantize(tm, ketorch, mode)
    x = _x()
    # ketorch -> Keras: ketorch writes every variable Keras's loader reads (kernel_zero too).
    tm.save_weights(tmp_path / "t.weights.h5")
    km2, _ = _pair()
    _quantize(km2, keras, mode, num_samples=1)
    km2.load_weights(tmp_path / "t.weights.h5")
    np.testing.assert_allclose(
        km2.predict(x, verbose=0), tm.predict(x, verbose=0), rtol=1e-4, atol=1e-5
    )
    # Keras -> ketorch: Keras 3.15 leaves kernel_zero out; the rest loads, with a warning.
    km.save_weights(tmp_path / "k.weights.h5")
    _, tm2 = _pair()
    _quantize(tm2, ketorch, mode, num_samples=1)
    with pytest.warns(UserWarning, match="kernel_zero"):
        tm2.load_weights(tmp_path / "k.weights.h5")
    for a, b in zip(_blocks_dense(tm2), _blocks_dense(km)):
        np.testing.assert_array_equal(
            a.quantized_kernel.numpy(), keras.ops.convert_to_numpy(b.quantized_kernel)
        )
    # ketorch -> ketorch keeps everything, kernel_zero included. (A .keras round trip of
    # this test model would rebuild the Block's Dense children from its bare config as
    # float layers, in Keras as in ketorch, so weights files are used.)
    _, tm3 = _pair()
    _quantize(tm3, ketorch, mode, num_samples=1)
    tm3.load_weights(tmp_path / "t.weights.h5")
    np.testing.assert_allclose(tm3.predict(x, verbose=0), tm.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize(
    "config,error,match",
    [
        ({"weight_bits": 4}, ValueError, "Argument `config` must be an instance"),
        (None, ValueError, "For GPTQ, you must pass a `GPTQConfig`"),
        ("no_structure", ValueError, "For mode='gptq', a valid quantization structure"),
        ("no_dataset", ValueError, "requires a dataset and a tokenizer"),
    ],
)
def test_bad_configs(config, error, match):
    for k in (keras, ketorch):
        model = k.Sequential([k.Input((5,)), k.layers.Dense(10)])
        if config == "no_structure":
            config_ = k.quantizers.GPTQConfig(dataset=["a"], tokenizer=_tokenize)
        elif config == "no_dataset":
            config_ = k.quantizers.GPTQConfig(
                dataset=None,
                tokenizer=None,
                quantization_layer_structure={"sequential_blocks": [model.layers[0]]},
            )
        else:
            config_ = config
        with pytest.raises(error, match=match), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.quantize("gptq", config=config_)


def test_filters_and_gradients():
    _, tm = _pair()
    cfg = _config(ketorch, tm, "gptq")
    target = tm.layers[2].d1
    tm.quantize("gptq", config=cfg, filters=lambda layer: layer is not target)
    assert target.quantization_mode is None and not hasattr(target, "quantized_kernel")
    assert tm.layers[2].d2.quantization_mode == "gptq"
    x = torch.randn(2, SEQ, DIM, requires_grad=True)
    tm.layers[2](x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
