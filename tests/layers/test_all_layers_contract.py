"""Every public layer runs the shared contract; a new layer without an entry here fails."""

import inspect

import pytest
from layer_contract import run_layer_contract

import ketorch
from ketorch import layers as L

F = "float32"
# name -> (init kwargs, input shape(s), input dtype, multi_input)
SPECS = {
    "Activation": ({"activation": "tanh"}, (2, 3), F, None),
    "ActivityRegularization": ({"l1": 0.01}, (2, 3), F, None),
    "Add": ({}, [(2, 3), (2, 3)], F, "list"),
    "AdditiveAttention": ({}, [(2, 3, 4), (2, 5, 4)], F, "list"),
    "Attention": ({}, [(2, 3, 4), (2, 5, 4)], F, "list"),
    "Average": ({}, [(2, 3), (2, 3)], F, "list"),
    "AveragePooling1D": ({"pool_size": 2}, (2, 6, 3), F, None),
    "AveragePooling2D": ({"pool_size": 2}, (2, 4, 4, 3), F, None),
    "AveragePooling3D": ({"pool_size": 2}, (2, 4, 4, 4, 3), F, None),
    "BatchNormalization": ({}, (4, 3), F, None),
    "Bidirectional": ({"layer": L.LSTM(3, return_sequences=True)}, (2, 5, 4), F, None),
    "CategoryEncoding": ({"num_tokens": 6, "output_mode": "multi_hot"}, (2, 3), "int64", None),
    "Concatenate": ({}, [(2, 3), (2, 4)], F, "list"),
    "Conv1D": ({"filters": 2, "kernel_size": 3}, (2, 7, 3), F, None),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 3}, (2, 7, 3), F, None),
    "Conv2D": ({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), F, None),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2}, (2, 4, 4, 3), F, None),
    "Conv3D": ({"filters": 2, "kernel_size": 2}, (2, 4, 4, 4, 3), F, None),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 2), F, None),
    "Cropping1D": ({"cropping": (1, 2)}, (2, 6, 3), F, None),
    "Cropping2D": ({"cropping": ((1, 1), (0, 1))}, (2, 5, 5, 3), F, None),
    "Dense": ({"units": 3}, (2, 4), F, None),
    "DepthwiseConv1D": ({"kernel_size": 3}, (2, 7, 3), F, None),
    "DepthwiseConv2D": ({"kernel_size": 3}, (2, 6, 6, 3), F, None),
    "Dot": ({"axes": 1}, [(2, 3), (2, 3)], F, "list"),
    "Dropout": ({"rate": 0.5}, (2, 3), F, None),
    "ELU": ({}, (2, 3), F, None),
    "Embedding": ({"input_dim": 10, "output_dim": 3}, (2, 4), "int64", None),
    "Flatten": ({}, (2, 3, 4), F, None),
    "GRU": ({"units": 3}, (2, 5, 4), F, None),
    "GaussianDropout": ({"rate": 0.3}, (2, 3), F, None),
    "GaussianNoise": ({"stddev": 0.1}, (2, 3), F, None),
    "GlobalAveragePooling1D": ({}, (2, 5, 3), F, None),
    "GlobalAveragePooling2D": ({}, (2, 4, 4, 3), F, None),
    "GlobalAveragePooling3D": ({}, (2, 3, 3, 3, 2), F, None),
    "GlobalMaxPool1D": ({}, (2, 5, 3), F, None),
    "GlobalMaxPool2D": ({}, (2, 4, 4, 3), F, None),
    "GlobalMaxPool3D": ({}, (2, 3, 3, 3, 2), F, None),
    "GroupNormalization": ({"groups": 2}, (2, 5, 4), F, None),
    "Identity": ({}, (2, 3), F, None),
    "LSTM": ({"units": 3}, (2, 5, 4), F, None),
    "LayerNormalization": ({}, (2, 3, 4), F, None),
    "LeakyReLU": ({}, (2, 3), F, None),
    "Masking": ({}, (2, 5, 3), F, None),
    "MaxPool1D": ({"pool_size": 2}, (2, 6, 3), F, None),
    "MaxPool2D": ({"pool_size": 2}, (2, 4, 4, 3), F, None),
    "MaxPool3D": ({"pool_size": 2}, (2, 4, 4, 4, 3), F, None),
    "Maximum": ({}, [(2, 3), (2, 3)], F, "list"),
    "Minimum": ({}, [(2, 3), (2, 3)], F, "list"),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 4}, [(2, 3, 6), (2, 5, 6)], F, "args"),
    "Multiply": ({}, [(2, 3), (2, 3)], F, "list"),
    "Normalization": ({"mean": 1.0, "variance": 4.0}, (2, 3), F, None),
    "PReLU": ({"alpha_initializer": "ones"}, (2, 3), F, None),
    "Permute": ({"dims": (2, 1)}, (2, 3, 4), F, None),
    "ReLU": ({"max_value": 2.0}, (2, 3), F, None),
    "RepeatVector": ({"n": 3}, (2, 4), F, None),
    "Rescaling": ({"scale": 0.5, "offset": 1.0}, (2, 3), F, None),
    "Reshape": ({"target_shape": (2, -1)}, (2, 3, 4), F, None),
    "SeparableConv1D": ({"filters": 2, "kernel_size": 3}, (2, 7, 3), F, None),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), F, None),
    "SimpleRNN": ({"units": 3}, (2, 5, 4), F, None),
    "Softmax": ({}, (2, 3), F, None),
    "SpatialDropout1D": ({"rate": 0.5}, (2, 5, 3), F, None),
    "SpatialDropout2D": ({"rate": 0.5}, (2, 4, 4, 3), F, None),
    "SpatialDropout3D": ({"rate": 0.5}, (2, 3, 3, 3, 2), F, None),
    "Subtract": ({}, [(2, 3), (2, 3)], F, "list"),
    "TimeDistributed": ({"layer": L.Dense(2)}, (2, 5, 4), F, None),
    "UnitNormalization": ({}, (2, 3), F, None),
    "UpSampling1D": ({"size": 2}, (2, 3, 4), F, None),
    "UpSampling2D": ({"size": 2}, (2, 3, 3, 2), F, None),
    "ZeroPadding1D": ({"padding": 1}, (2, 3, 4), F, None),
    "ZeroPadding2D": ({"padding": 1}, (2, 3, 3, 2), F, None),
}
# Public layers covered elsewhere, with the reason.
NOT_CONTRACT = {
    "Layer": "the abstract base class",
    "InputLayer": "no computation; covered by tests/models",
    "Lambda": "wraps user code; tests/layers/test_lambda.py",
    "RNN": "needs a cell object; tests/layers/test_simple_rnn.py",
    "LSTMCell": "a cell (state-passing call); tests/layers/test_lstm.py",
    "GRUCell": "a cell; tests/layers/test_gru.py",
    "SimpleRNNCell": "a cell; tests/layers/test_simple_rnn.py",
    "IntegerLookup": "needs a vocabulary or adapt(); tests/preprocessing",
    "StringLookup": "string input; tests/preprocessing",
    "TextVectorization": "string input; tests/preprocessing",
}


def _public_layer_classes():
    out = {}
    for name in ketorch.layers.__all__:
        obj = getattr(ketorch.layers, name)
        if inspect.isclass(obj) and issubclass(obj, ketorch.layers.Layer):
            out.setdefault(obj, name)
    return {name: cls for cls, name in out.items()}


def test_every_public_layer_is_covered():
    public = _public_layer_classes()
    missing = sorted(set(public) - set(SPECS) - set(NOT_CONTRACT))
    assert not missing, f"public layers without a contract entry: {missing}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_layer_contract(name):
    kwargs, shape, dtype, multi = SPECS[name]
    cls = getattr(ketorch.layers, name)
    # Wrapped layers must be fresh per instance.
    if "layer" in kwargs:
        inner = kwargs["layer"]
        kwargs = dict(kwargs, layer=type(inner).from_config(inner.get_config()))
    run_layer_contract(cls, kwargs, shape, input_dtype=dtype, multi_input=multi, int_high=5)
