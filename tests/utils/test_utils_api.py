"""The smaller public names of keras.utils: behaviour equal to Keras's."""

import numpy as np
import pytest
from parity import keras

import ketorch
from ketorch import utils


def test_every_keras_utils_name_exists():
    excluded = {"bounding_boxes"}  # docs/api_exclusions.txt gives the reason
    ours = set(dir(utils)) | {n for n in dir(keras.utils) if hasattr(utils, n)}
    missing = {n for n in dir(keras.utils) if not n.startswith("_")} - ours - excluded
    assert not missing
    for module in ("models", "saving"):
        theirs = {n for n in dir(getattr(keras, module)) if not n.startswith("_")}
        assert not {n for n in theirs if not hasattr(getattr(ketorch, module), n)} - {
            "KerasFileEditor"
        }


def test_config_like_keras():
    for cls in (utils.Config, keras.utils.Config):
        config = cls(learning_rate=0.1, layers=2)
        config.optimizer = "adam"
        config["momentum"] = 0.9
        assert list(config) == ["layers", "learning_rate", "momentum", "optimizer"]
        assert config.as_dict()["optimizer"] == "adam" and "layers" in config
        assert len(config) == 4 and config.get("missing", 5) == 5
        config.freeze()
        assert config.frozen
        with pytest.raises(ValueError, match="config is frozen"):
            config.layers = 3
        with pytest.raises(ValueError, match="config is frozen"):
            del config["layers"]
        config.unfreeze()
        config.update(layers=4)
        assert config.pop("layers") == 4
        with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
            config.momentun  # noqa: B018
    assert utils.Config(a=[1]).to_json() == keras.utils.Config(a=[1]).to_json()


@pytest.mark.parametrize(
    "args",
    [(1,), ((1, 2),), ([1, 2],), (1, 2), (1, 2, 3), (1, None, 3)],
)
def test_pack_unpack_like_keras(args):
    assert utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)
    packed = keras.utils.pack_x_y_sample_weight(*args)
    assert utils.unpack_x_y_sample_weight(packed) == keras.utils.unpack_x_y_sample_weight(packed)
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def _diamond(lib):
    a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
    shared = lib.layers.Dense(3)
    left = shared(a)
    right = lib.layers.Dense(3)(lib.layers.add([shared(b), a]))
    return [a, b], lib.layers.concatenate([left, right])


def test_get_source_inputs_like_keras():
    (a, b), out = _diamond(ketorch)
    (ka, kb), kout = _diamond(keras)
    ours = [t.name for t in utils.get_source_inputs(out)]
    theirs = [t.name for t in keras.utils.get_source_inputs(kout)]
    assert ours == theirs == ["a", "b"]
    assert utils.get_source_inputs(a) == [a]
    assert utils.get_source_inputs(3) == 3


def test_registration_names():
    assert utils.custom_object_scope is ketorch.saving.custom_object_scope
    assert utils.CustomObjectScope is ketorch.saving.CustomObjectScope
    assert utils.get_custom_objects() is ketorch.saving.get_custom_objects()

    @utils.register_keras_serializable(package="UtilsTest")
    def halve(x):
        return x / 2

    assert utils.get_registered_name(halve) == "UtilsTest>halve"
    assert utils.get_registered_object("UtilsTest>halve") is halve
    with utils.custom_object_scope({"halve2": halve}):
        assert ketorch.activations.get("halve2") is halve
    dense = utils.deserialize_keras_object(utils.serialize_keras_object(ketorch.layers.Dense(2)))
    assert dense.units == 2


def test_custom_object_wins_over_builtin_name_as_in_keras2():
    def gelu(x):
        return x

    with utils.custom_object_scope({"gelu": gelu}):
        assert (
            ketorch.layers.Dense.from_config({"units": 2, "activation": "gelu"}).activation is gelu
        )
    assert ketorch.activations.get("gelu") is not gelu


def test_legacy_serialization_like_keras():
    dense = ketorch.layers.Dense(2, activation="relu", name="d")
    ours = utils.legacy.serialize_keras_object(dense)
    theirs = keras.utils.legacy.serialize_keras_object(
        keras.layers.Dense(2, activation="relu", name="d")
    )
    assert ours["class_name"] == theirs["class_name"] == "Dense"
    assert set(ours) == {"class_name", "config"}
    assert ours["config"]["units"] == 2 and ours["config"]["activation"] == "relu"
    assert utils.legacy.serialize_keras_object(ketorch.activations.relu) == "relu"
    rebuilt = utils.legacy.deserialize_keras_object(
        theirs, module_objects={"Dense": ketorch.layers.Dense}
    )
    assert isinstance(rebuilt, ketorch.layers.Dense) and rebuilt.units == 2
    assert ketorch.legacy.saving.serialize_keras_object is utils.legacy.serialize_keras_object
    with pytest.raises(ValueError, match="Unknown layer: 'Dense2'"):
        utils.legacy.deserialize_keras_object(
            {"class_name": "Dense2", "config": {}}, printable_module_name="layer"
        )


def test_small_reexports():
    x = np.array([[3.0, 4.0]])
    np.testing.assert_allclose(utils.normalize(x), keras.utils.normalize(x))
    assert isinstance(utils.Progbar(3), ketorch.utils.progbar.Progbar)
    assert utils.standardize_dtype(float) == keras.utils.standardize_dtype(float)
    assert utils.is_keras_tensor(ketorch.Input((2,)))
    utils.disable_interactive_logging()
    assert not utils.is_interactive_logging_enabled()
    utils.enable_interactive_logging()
    ketorch.layers.Dense(1, name="taken")
    utils.clear_session()
    assert ketorch.layers.Dense(1).name == "dense"
