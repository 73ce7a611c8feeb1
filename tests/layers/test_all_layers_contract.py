"""Every public layer runs the shared contract; a new layer without an entry here fails."""

import ast
import inspect
import json
import pathlib

import numpy as np
import pytest
from layer_contract import run_layer_contract
from parity import keras

import ketorch
from ketorch import layers as L

F = "float32"
# name -> (init kwargs, input shape(s), input dtype, multi_input); "Name[variant]" runs
# another configuration of the layer ``Name``. Inputs of rank 3 carry a (batch, steps)
# mask in the contract's masking check, so most entries use them.
SPECS = {
    "Activation": ({"activation": "tanh"}, (2, 5, 3), F, None),
    "ActivityRegularization": ({"l1": 0.01}, (2, 5, 3), F, None),
    "Add": ({}, [(2, 5, 3), (2, 5, 3)], F, "list"),
    "AdditiveAttention": ({}, [(2, 3, 4), (2, 5, 4)], F, "list"),
    "Attention": ({}, [(2, 3, 4), (2, 5, 4)], F, "list"),
    "Average": ({}, [(2, 5, 3), (2, 5, 3)], F, "list"),
    "AveragePooling1D": ({"pool_size": 2}, (2, 6, 3), F, None),
    "AveragePooling2D": ({"pool_size": 2}, (2, 4, 4, 3), F, None),
    "AveragePooling3D": ({"pool_size": 2}, (2, 4, 4, 4, 3), F, None),
    "BatchNormalization": ({}, (4, 5, 3), F, None),
    "Bidirectional": ({"layer": L.LSTM(3, return_sequences=True)}, (2, 5, 4), F, None),
    "CategoryEncoding": ({"num_tokens": 6, "output_mode": "multi_hot"}, (2, 3), "int64", None),
    "Concatenate": ({}, [(2, 5, 3), (2, 5, 4)], F, "list"),
    "Conv1D": ({"filters": 2, "kernel_size": 3}, (2, 7, 3), F, None),
    "Conv1DTranspose": ({"filters": 2, "kernel_size": 3}, (2, 7, 3), F, None),
    "Conv2D": ({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), F, None),
    "Conv2DTranspose": ({"filters": 2, "kernel_size": 3, "strides": 2}, (2, 4, 4, 3), F, None),
    "Conv3D": ({"filters": 2, "kernel_size": 2}, (2, 4, 4, 4, 3), F, None),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 2), F, None),
    "Cropping1D": ({"cropping": (1, 2)}, (2, 6, 3), F, None),
    "Cropping2D": ({"cropping": ((1, 1), (0, 1))}, (2, 5, 5, 3), F, None),
    "Dense": ({"units": 3}, (2, 5, 4), F, None),
    "DepthwiseConv1D": ({"kernel_size": 3}, (2, 7, 3), F, None),
    "DepthwiseConv2D": ({"kernel_size": 3}, (2, 6, 6, 3), F, None),
    "Dot": ({"axes": 1}, [(2, 3), (2, 3)], F, "list"),
    "Dropout": ({"rate": 0.5}, (2, 5, 3), F, None),
    "ELU": ({}, (2, 5, 3), F, None),
    "Embedding": ({"input_dim": 10, "output_dim": 3}, (2, 4), "int64", None),
    "Embedding[mask_zero]": (
        {"input_dim": 10, "output_dim": 3, "mask_zero": True},
        (2, 4),
        "int64",
        None,
    ),
    "Flatten": ({}, (2, 3, 4), F, None),
    "GRU": ({"units": 3}, (2, 5, 4), F, None),
    "GaussianDropout": ({"rate": 0.3}, (2, 5, 3), F, None),
    "GaussianNoise": ({"stddev": 0.1}, (2, 5, 3), F, None),
    "GlobalAveragePooling1D": ({}, (2, 5, 3), F, None),
    "GlobalAveragePooling2D": ({}, (2, 4, 4, 3), F, None),
    "GlobalAveragePooling3D": ({}, (2, 3, 3, 3, 2), F, None),
    "GlobalMaxPool1D": ({}, (2, 5, 3), F, None),
    "GlobalMaxPool2D": ({}, (2, 4, 4, 3), F, None),
    "GlobalMaxPool3D": ({}, (2, 3, 3, 3, 2), F, None),
    "GroupNormalization": ({"groups": 2}, (2, 5, 4), F, None),
    "Identity": ({}, (2, 5, 3), F, None),
    "LSTM": ({"units": 3}, (2, 5, 4), F, None),
    "LayerNormalization": ({}, (2, 3, 4), F, None),
    "LeakyReLU": ({}, (2, 5, 3), F, None),
    "Masking": ({}, (2, 5, 3), F, None),
    "MaxPool1D": ({"pool_size": 2}, (2, 6, 3), F, None),
    "MaxPool2D": ({"pool_size": 2}, (2, 4, 4, 3), F, None),
    "MaxPool3D": ({"pool_size": 2}, (2, 4, 4, 4, 3), F, None),
    "Maximum": ({}, [(2, 5, 3), (2, 5, 3)], F, "list"),
    "Minimum": ({}, [(2, 5, 3), (2, 5, 3)], F, "list"),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 4}, [(2, 3, 6), (2, 5, 6)], F, "args"),
    "Multiply": ({}, [(2, 5, 3), (2, 5, 3)], F, "list"),
    "Normalization": ({"mean": 1.0, "variance": 4.0}, (2, 5, 3), F, None),
    "PReLU": ({"alpha_initializer": "ones"}, (2, 5, 3), F, None),
    "Permute": ({"dims": (2, 1)}, (2, 3, 4), F, None),
    "ReLU": ({"max_value": 2.0}, (2, 5, 3), F, None),
    "RepeatVector": ({"n": 3}, (2, 4), F, None),
    "RNN": ({"cell": L.SimpleRNNCell(3), "return_sequences": True}, (2, 5, 4), F, None),
    "RNN[GRUCell]": ({"cell": L.GRUCell(3)}, (2, 5, 4), F, None),
    "RNN[LSTMCell]": ({"cell": L.LSTMCell(3), "return_sequences": True}, (2, 5, 4), F, None),
    "Rescaling": ({"scale": 0.5, "offset": 1.0}, (2, 5, 3), F, None),
    "Reshape": ({"target_shape": (2, -1)}, (2, 3, 4), F, None),
    "SeparableConv1D": ({"filters": 2, "kernel_size": 3}, (2, 7, 3), F, None),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 3}, (2, 6, 6, 3), F, None),
    "SimpleRNN": ({"units": 3}, (2, 5, 4), F, None),
    "Softmax": ({}, (2, 5, 5), F, None),
    "SpatialDropout1D": ({"rate": 0.5}, (2, 5, 3), F, None),
    "SpatialDropout2D": ({"rate": 0.5}, (2, 4, 4, 3), F, None),
    "SpatialDropout3D": ({"rate": 0.5}, (2, 3, 3, 3, 2), F, None),
    "Subtract": ({}, [(2, 5, 3), (2, 5, 3)], F, "list"),
    "TimeDistributed": ({"layer": L.Dense(2)}, (2, 5, 4), F, None),
    "UnitNormalization": ({}, (2, 5, 3), F, None),
    "UpSampling1D": ({"size": 2}, (2, 3, 4), F, None),
    "UpSampling2D": ({"size": 2}, (2, 3, 3, 2), F, None),
    "ZeroPadding1D": ({"padding": 1}, (2, 3, 4), F, None),
    "ZeroPadding2D": ({"padding": 1}, (2, 3, 3, 2), F, None),
    # Layers of the Keras 3 census (issue 16).
    "AdaptiveAveragePooling1D": ({"output_size": 3}, (2, 7, 3), F, None),
    "AdaptiveAveragePooling2D": ({"output_size": (2, 3)}, (2, 5, 7, 3), F, None),
    "AdaptiveAveragePooling3D": ({"output_size": 2}, (2, 4, 5, 3, 2), F, None),
    "AdaptiveMaxPooling1D": ({"output_size": 3}, (2, 7, 3), F, None),
    "AdaptiveMaxPooling2D": ({"output_size": (2, 3)}, (2, 5, 7, 3), F, None),
    "AdaptiveMaxPooling3D": ({"output_size": 2}, (2, 4, 5, 3, 2), F, None),
    "AlphaDropout": ({"rate": 0.3}, (2, 5, 3), F, None),
    "ConvLSTM1D": (
        {"filters": 2, "kernel_size": 3, "return_sequences": True},
        (2, 4, 6, 3),
        F,
        None,
    ),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 3, 4, 4, 2), F, None),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 2}, (2, 3, 3, 3, 3, 2), F, None),
    "Cropping3D": ({"cropping": ((1, 0), (0, 1), (1, 1))}, (2, 3, 4, 5, 2), F, None),
    "EinsumDense": (
        {"equation": "abc,cd->abd", "output_shape": (None, 4), "bias_axes": "d"},
        (2, 5, 3),
        F,
        None,
    ),
    "GroupQueryAttention": (
        {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2},
        [(2, 3, 6), (2, 5, 6)],
        F,
        "args",
    ),
    "RMSNormalization": ({}, (2, 5, 3), F, None),
    "RNN[StackedRNNCells]": (
        {"cell": L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)]), "return_sequences": True},
        (2, 5, 4),
        F,
        None,
    ),
    "ReversibleEmbedding": (
        {"input_dim": 10, "output_dim": 3, "mask_zero": True},
        (2, 4),
        "int64",
        None,
    ),  # fmt: skip
    "SpectralNormalization": ({"layer": L.Dense(3)}, (2, 5, 4), F, None),
    "UpSampling3D": ({"size": 2}, (2, 2, 2, 3, 2), F, None),
    "ZeroPadding3D": ({"padding": 1}, (2, 2, 3, 2, 2), F, None),
}
# Public layers the contract cannot call as it is, each with the reason and the test
# ("path::function", relative to the repository root) that covers it instead.
_PREPROCESSING_CONTRACT = "runs the contract with image/audio inputs and a seed"
_PREPROCESSING_CONTRACT_TEST = "tests/layers/test_image_preprocessing.py::test_contract"
NOT_CONTRACT = {
    "Layer": (
        "the abstract base class",
        "tests/models/test_subclassing.py::test_custom_layer_weights_and_config",
    ),
    "InputLayer": (
        "no computation; makes the Functional API's inputs",
        "tests/layers/test_all_layers_contract.py::test_input_layer_matches_keras",
    ),
    "Lambda": (
        "wraps user code (a Python lambda needs unsafe loading)",
        "tests/layers/test_lambda_layer.py::test_contract_named_function",
    ),
    "SimpleRNNCell": (
        "a cell: call(inputs, states) for one step; runs the contract inside RNN above",
        "tests/layers/test_simple_rnn.py::test_rnn_with_builtin_cell_matches_keras_and_layer",
    ),
    "GRUCell": (
        "a cell: call(inputs, states) for one step; runs the contract inside RNN above",
        "tests/layers/test_gru.py::test_rnn_with_gru_cell_matches_gru",
    ),
    "LSTMCell": (
        "a cell: call(inputs, states) for one step; runs the contract inside RNN above",
        "tests/layers/test_lstm.py::test_rnn_with_lstm_cell_matches_keras",
    ),
    "IntegerLookup": (
        "needs a vocabulary or adapt(); state lives in assets, not weights",
        "tests/preprocessing/test_lookup_layers.py::test_integer_lookup_inside_a_model",
    ),
    "StringLookup": (
        "string inputs (NumPy arrays, not tensors)",
        "tests/preprocessing/test_lookup_layers.py::test_string_lookup_config_round_trip_and_assets",
    ),
    "TextVectorization": (
        "string inputs (NumPy arrays, not tensors)",
        "tests/preprocessing/test_text_vectorization.py::test_config_round_trip",
    ),
    "StackedRNNCells": (
        "a cell: call(inputs, states) for one step; runs the contract inside RNN above",
        "tests/layers/test_stacked_rnn_cells.py::test_rnn_with_stacked_cells_matches_keras",
    ),
    "TorchModuleWrapper": (
        "its config pickles a torch module, which safe-mode loading refuses",
        "tests/layers/test_torch_module_wrapper.py::test_wraps_module_weights_and_trains",
    ),
    "Wrapper": (
        "an abstract base class (subclasses define call)",
        "tests/layers/test_wrapper.py::test_custom_wrapper_builds_serializes_and_saves",
    ),
    # Preprocessing and augmentation layers: their contract runs (seeded, on image or audio
    # inputs, with Keras's config compared) in one parametrized test beside their parity tests.
    "AugMix": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "AutoContrast": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "CenterCrop": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "ContrastLimitedAdaptiveHistogramEqualization": (
        _PREPROCESSING_CONTRACT,
        _PREPROCESSING_CONTRACT_TEST,
    ),
    "CutMix": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "Discretization": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "Equalization": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "MaxNumBoundingBoxes": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "MelSpectrogram": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "MixUp": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandAugment": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomBrightness": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomColorDegeneration": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomColorJitter": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomContrast": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomCrop": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomElasticTransform": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomErasing": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomFlip": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomGaussianBlur": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomGrayscale": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomHue": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomInvert": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomPerspective": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomPosterization": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomRotation": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomSaturation": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomSharpness": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomShear": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomTranslation": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "RandomZoom": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "Resizing": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "STFTSpectrogram": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "Solarization": (_PREPROCESSING_CONTRACT, _PREPROCESSING_CONTRACT_TEST),
    "Hashing": (
        "string inputs (NumPy arrays, not tensors); Keras's needs TensorFlow",
        "tests/layers/test_hashing_layers.py::test_hashing_symbolic_and_config",
    ),
    "HashedCrossing": (
        "a list of string or integer features; Keras's needs TensorFlow",
        "tests/layers/test_hashing_layers.py::test_hashed_crossing_errors_and_config",
    ),
    "Pipeline": (
        "wraps other layers (any inputs they take, dicts included)",
        "tests/layers/test_audio_and_pipeline_layers.py::test_pipeline_inside_a_saved_model",
    ),
}
REPO = pathlib.Path(__file__).resolve().parents[2]


def _public_layer_classes():
    out = {}
    for name in ketorch.layers.__all__:
        obj = getattr(ketorch.layers, name)
        if inspect.isclass(obj) and issubclass(obj, ketorch.layers.Layer):
            out.setdefault(obj, name)
    return {name: cls for cls, name in out.items()}


def _class_name(spec_name):
    return spec_name.split("[")[0]


def test_every_public_layer_is_covered():
    public = _public_layer_classes()
    covered = {_class_name(n) for n in SPECS} | set(NOT_CONTRACT)
    missing = sorted(set(public) - covered)
    assert not missing, f"public layers without a contract entry: {missing}"
    stale = sorted(set(NOT_CONTRACT) - set(public))
    assert not stale, f"exclusions for names that are not public layers: {stale}"


@pytest.mark.parametrize("name", sorted(NOT_CONTRACT))
def test_exclusion_points_at_a_real_test(name):
    reason, ref = NOT_CONTRACT[name]
    assert reason
    path, func = ref.split("::")
    source = REPO / path
    assert source.is_file(), f"{name}: {path} does not exist"
    tree = ast.parse(source.read_text())
    tests = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert func.startswith("test_") and func in tests, f"{name}: no test {func} in {path}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_layer_contract(name):
    kwargs, shape, dtype, multi = SPECS[name]
    cls = getattr(ketorch.layers, _class_name(name))
    # Wrapped layers and cells must be fresh per test.
    for key in ("layer", "cell"):
        if key in kwargs:
            inner = kwargs[key]
            kwargs = dict(kwargs, **{key: type(inner).from_config(inner.get_config())})
    run_layer_contract(cls, kwargs, shape, input_dtype=dtype, multi_input=multi, int_high=5)


def test_input_layer_matches_keras(tmp_path):
    ours = L.InputLayer(shape=(4,), name="x")
    theirs = keras.layers.InputLayer(shape=(4,), name="x")
    assert json.loads(json.dumps(ours.get_config())) == json.loads(json.dumps(theirs.get_config()))
    assert L.InputLayer.from_config(ours.get_config()).get_config() == ours.get_config()
    assert tuple(ours.output.shape) == tuple(theirs.output.shape) == (None, 4)
    assert ours.output.dtype == "float32"
    assert not ours.weights
    # As the first layer of a Sequential model it defines the inputs and is not listed.
    model = ketorch.Sequential([L.InputLayer(shape=(4,)), L.Dense(2)])
    assert [type(lay).__name__ for lay in model.layers] == ["Dense"]
    assert tuple(model.inputs[0].shape) == (None, 4)
    path = tmp_path / "m.keras"
    model.save(path)
    x = np.ones((3, 4), "float32")
    np.testing.assert_allclose(
        ketorch.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0)
    )
