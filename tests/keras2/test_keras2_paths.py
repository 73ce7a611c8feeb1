"""The import paths of Keras 2 (and tf.keras 2) that Keras 2 era libraries use."""

import importlib

import numpy as np
import pytest
import torch

import ketorch
import ketorch as keras
from ketorch import layers

PATHS = {
    # module path: {name: object it must be}
    "ketorch.layers.wrappers": {
        "Wrapper": layers.Wrapper,
        "Bidirectional": layers.Bidirectional,
        "TimeDistributed": layers.TimeDistributed,
    },
    "ketorch.layers.core": {
        "Dense": layers.Dense,
        "Dropout": layers.Dropout,
        "Flatten": layers.Flatten,
        "Lambda": layers.Lambda,
        "Reshape": layers.Reshape,
        "Activation": layers.Activation,
        "Masking": layers.Masking,
        "RepeatVector": layers.RepeatVector,
        "Permute": layers.Permute,
        "SpatialDropout1D": layers.SpatialDropout1D,
    },
    "ketorch.layers.recurrent": {
        "LSTM": layers.LSTM,
        "GRU": layers.GRU,
        "RNN": layers.RNN,
        "SimpleRNNCell": layers.SimpleRNNCell,
        "StackedRNNCells": layers.StackedRNNCells,
    },
    "ketorch.layers.embeddings": {"Embedding": layers.Embedding},
    "ketorch.layers.merge": {"Add": layers.Add, "concatenate": layers.concatenate},
    "ketorch.layers.advanced_activations": {"LeakyReLU": layers.LeakyReLU, "PReLU": layers.PReLU},
    "ketorch.layers.noise": {
        "GaussianNoise": layers.GaussianNoise,
        "AlphaDropout": layers.AlphaDropout,
    },
    "ketorch.layers.convolutional_recurrent": {"ConvLSTM2D": layers.ConvLSTM2D},
    "ketorch.engine": {
        "Layer": layers.Layer,
        "InputSpec": layers.InputSpec,
        "Input": layers.Input,
        "InputLayer": layers.InputLayer,
        "Model": ketorch.Model,
        "Network": ketorch.models.Functional,
    },
    "ketorch.engine.topology": {
        "Layer": layers.Layer,
        "InputSpec": layers.InputSpec,
        "Container": ketorch.models.Functional,
        "get_source_inputs": ketorch.utils.get_source_inputs,
    },
    "ketorch.engine.base_layer": {"Layer": layers.Layer, "InputSpec": layers.InputSpec},
    "ketorch.engine.training": {"Model": ketorch.Model},
    "ketorch.engine.network": {"Network": ketorch.models.Functional},
    "ketorch.engine.functional": {"Functional": ketorch.models.Functional},
    "ketorch.engine.sequential": {"Sequential": ketorch.Sequential},
    "ketorch.engine.input_layer": {"Input": layers.Input},
    "ketorch.engine.input_spec": {"InputSpec": layers.InputSpec},
    "ketorch.engine.saving": {"load_model": ketorch.models.load_model},
    "ketorch.utils.generic_utils": {
        "get_custom_objects": ketorch.saving.get_custom_objects,
        "CustomObjectScope": ketorch.saving.CustomObjectScope,
        "custom_object_scope": ketorch.saving.custom_object_scope,
        "Progbar": ketorch.utils.Progbar,
        "serialize_keras_object": ketorch.utils.legacy.serialize_keras_object,
        "deserialize_keras_object": ketorch.utils.legacy.deserialize_keras_object,
    },
    "ketorch.utils.np_utils": {"to_categorical": ketorch.utils.to_categorical},
    "ketorch.utils.data_utils": {
        "Sequence": ketorch.utils.Sequence,
        "get_file": ketorch.utils.get_file,
    },
    "ketorch.utils.layer_utils": {"get_source_inputs": ketorch.utils.get_source_inputs},
    "ketorch.utils.vis_utils": {"plot_model": ketorch.utils.plot_model},
    "ketorch.legacy.saving": {
        "serialize_keras_object": ketorch.utils.legacy.serialize_keras_object
    },
}


@pytest.mark.parametrize("module", sorted(PATHS))
def test_module_path_resolves(module):
    mod = importlib.import_module(module)
    for name, obj in PATHS[module].items():
        assert getattr(mod, name) is obj, f"{module}.{name}"


def test_attribute_access_without_import():
    # `keras.layers.wrappers.Wrapper`, `keras.engine.Layer` with only `import keras`.
    assert keras.layers.wrappers.Wrapper is layers.Wrapper
    assert keras.engine.topology.Layer is layers.Layer
    assert keras.utils.generic_utils.to_list(1) == [1]
    assert keras.utils.conv_utils.normalize_tuple(2, 2, "strides") == (2, 2)
    assert keras.legacy.interfaces.legacy_dense_support(len) is len
    with pytest.raises(AttributeError):
        keras.layers.not_a_module  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'Conv'"):
        keras.layers.core.Conv  # noqa: B018


def test_generic_utils_helpers():
    gu = keras.utils.generic_utils
    a, b = object(), object()
    assert gu.object_list_uid([a, b]) == f"{abs(id(a))}, {abs(id(b))}"
    assert gu.to_list((1, 2)) == [(1, 2)] and gu.to_list((1, 2), allow_tuple=True) == [1, 2]
    assert gu.unpack_singleton([5]) == 5 and gu.unpack_singleton([5, 6]) == [5, 6]
    assert gu.is_all_none([None, None]) and not gu.is_all_none([None, 1])
    assert gu.has_arg(lambda x, training=None: x, "training")
    assert gu.has_arg(lambda x, **kw: x, "mask", accept_all=True)
    assert gu.to_snake_case("MultiHeadAttention") == "multi_head_attention"
    assert gu.make_batches(5, 2) == [(0, 2), (2, 4), (4, 5)]
    arrays = [np.arange(5), None]
    assert (
        gu.slice_arrays(arrays, 1, 3)[0].tolist() == [1, 2]
        and gu.slice_arrays(arrays, 1, 3)[1] is None
    )
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        gu.validate_kwargs({"bad": 1}, {"good"})

    def scaled(x, factor=2):
        return x * factor

    code = gu.func_dump(scaled)
    assert gu.func_load(code)(3) == 6


def test_conv_utils_like_keras2():
    cu = keras.utils.conv_utils
    assert cu.conv_output_length(10, 3, "same", 2) == 5
    assert cu.conv_output_length(10, 3, "full", 1) == 12
    assert cu.conv_output_length(None, 3, "valid", 1) is None
    assert cu.conv_input_length(4, 3, "valid", 2) == 9
    assert cu.deconv_output_length(4, 3, "valid", stride=2) == 9
    assert cu.normalize_padding("SAME") == "same"
    assert cu.normalize_data_format(None) == "channels_last"
    kernel = np.arange(8).reshape(2, 2, 1, 2)
    np.testing.assert_array_equal(cu.convert_kernel(kernel), kernel[::-1, ::-1])
    with pytest.raises(ValueError, match="must be a tuple of 2 integers"):
        cu.normalize_tuple((1, 2, 3), 2, "kernel_size")


class _KerasTwoStyleWrapper(keras.layers.wrappers.Wrapper):
    """A Keras 2 style wrapper: attributes before `super().__init__`, list-returning call."""

    def __init__(self, layer, **kwargs):
        self.supports_masking = True
        self.scale = 2.0
        super().__init__(layer, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return mask

    def call(self, inputs, mask=None):
        return self.layer(inputs) * self.scale


def test_keras2_style_custom_layers_in_a_model():
    inputs = keras.layers.Input((5,), dtype="int32")
    embedded = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    wrapped = _KerasTwoStyleWrapper(keras.layers.Dense(3))(embedded)
    pooled = keras.layers.GlobalAveragePooling1D()(wrapped)
    model = keras.models.Model(inputs, pooled)
    x = np.array([[1, 2, 0, 0, 0]])
    out = model(torch.as_tensor(x))
    dense = model.layers[2].layer
    emb = model.layers[1](torch.as_tensor(x))
    expected = (2 * dense(emb))[:, :2].mean(dim=1)  # the mask reaches the pooling
    torch.testing.assert_close(out, expected)
    assert model.layers[2].supports_masking
