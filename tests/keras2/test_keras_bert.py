"""keras-bert, a BERT library written for Keras 2 (tf.keras), runs on ketorch.

Its sources and those of its seven companion packages are copied with their Keras
import lines changed to ketorch (see keras2_port.py); nothing else changes, except:

- ``keras_bert/optimizers/warmup_v2.py`` (AdamWarmup) subclasses TensorFlow's
  OptimizerV2 internals (``tensorflow.python.ops.state_ops``), which no Keras 3
  backend offers; ``keras_bert_adam_warmup.py`` is the same warm-up-then-linear-decay
  Adam written against the Keras optimizer API;
- ``keras_bert/loader.py`` imports TensorFlow to read Google's checkpoints (not used
  here); that import is dropped;
- Keras 2 merged masks by AND (``Add`` of the masked token embedding and the unmasked
  segment embedding keeps the padding mask, which keras-bert's ``Masked`` layer needs):
  ``ketorch.config.enable_keras2_mask_merging()`` selects that rule.

The packages come from the environment (the ``test`` extra installs them: they depend
only on NumPy) or, failing that, from ``pip download``; offline, the tests skip.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import ketorch as keras

sys.path.insert(0, str(Path(__file__).parent))
import keras2_port  # noqa: E402

PACKAGES = [
    "keras_bert",
    "keras_transformer",
    "keras_multi_head",
    "keras_self_attention",
    "keras_layer_normalization",
    "keras_position_wise_feed_forward",
    "keras_pos_embd",
    "keras_embed_sim",
]
REQUIREMENTS = [
    "keras-bert==0.89.0",
    "keras-transformer==0.40.0",
    "keras-multi-head==0.29.0",
    "keras-self-attention==0.51.0",
    "keras-layer-normalization==0.16.0",
    "keras-position-wise-feed-forward==0.8.0",
    "keras-pos-embd==0.13.0",
    "keras-embed-sim==0.10.0",
]
SENTENCE_PAIRS = [
    [["all", "work", "and", "no", "play"], ["makes", "jack", "a", "dull", "boy"]],
    [["from", "the", "day", "forth"], ["my", "arm", "changed"]],
    [["and", "a", "voice", "echoed"], ["power", "give", "me", "more", "power"]],
]


def _sources(tmp: Path):
    if all(keras2_port.installed_package_dir(name) for name in PACKAGES):
        return None
    try:
        return keras2_port.download_packages(REQUIREMENTS, tmp / "downloads")
    except Exception as e:  # noqa: BLE001 - offline, or pip refused
        pytest.skip(f"keras-bert is not installed and could not be downloaded: {e}")


@pytest.fixture(scope="module")
def keras_bert(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras_bert")
    sources = _sources(tmp)
    here = Path(__file__).parent
    replacement = (here / "keras_bert_adam_warmup.py").read_text()
    dest = keras2_port.port_packages(
        PACKAGES,
        tmp / "ported",
        sources=sources,
        replacements={"keras_bert/optimizers/warmup_v2.py": replacement},
    )
    loader = dest / "keras_bert" / "loader.py"
    loader.write_text(loader.read_text().replace("import tensorflow as tf\n", "tf = None\n"))
    keras2_port.forget_modules(PACKAGES)
    sys.path.insert(0, str(dest))
    keras.config.enable_keras2_mask_merging()
    try:
        import keras_bert as module

        yield module
    finally:
        keras.config.disable_keras2_mask_merging()
        sys.path.remove(str(dest))
        keras2_port.forget_modules(PACKAGES)


def test_port_changes_only_import_lines(keras_bert):
    ported = Path(keras_bert.__file__).parent.parent
    leftovers = []
    for path in ported.rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import keras", "from keras.", "from keras ")) or (
                "tensorflow" in stripped and stripped.startswith(("import", "from"))
            ):
                leftovers.append(f"{path.name}: {stripped}")
    assert not leftovers
    # The Keras 2 import paths the libraries use resolve to ketorch's classes.
    assert keras.layers.wrappers.Wrapper is keras.layers.Wrapper
    assert keras.utils.generic_utils.object_list_uid([1]) == str(id(1))


def _token_dict(keras_bert):
    token_dict = keras_bert.get_base_dict()
    for first, second in SENTENCE_PAIRS:
        for token in first + second:
            token_dict.setdefault(token, len(token_dict))
    return token_dict


def test_pretrain_save_and_reload(keras_bert, tmp_path):
    np.random.seed(1)
    token_dict = _token_dict(keras_bert)
    token_list = list(token_dict)
    model = keras_bert.get_model(
        token_num=len(token_dict),
        head_num=2,
        transformer_num=2,
        embed_dim=16,
        feed_forward_dim=32,
        seq_len=20,
        pos_num=20,
        dropout_rate=0.05,
    )
    # As its README, with a warm-up short enough for a few hundred steps.
    keras_bert.compile_model(model, learning_rate=1e-3, warmup_steps=10, decay_steps=10000)
    assert [layer.name for layer in model.layers][:3] == [
        "Input-Token",
        "Input-Segment",
        "Embedding-Token",
    ]

    def generator():
        while True:
            yield keras_bert.gen_batch_inputs(
                SENTENCE_PAIRS,
                token_dict,
                token_list,
                seq_len=20,
                mask_rate=0.3,
                swap_sentence_rate=1.0,
            )

    with pytest.warns(DeprecationWarning, match="fit_generator"):
        history = model.fit_generator(
            generator=generator(),
            steps_per_epoch=20,
            epochs=3,
            validation_data=generator(),
            validation_steps=3,
            callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)],
            verbose=0,
        )
    losses = history.history["loss"]
    assert len(losses) == 3 and np.all(np.isfinite(losses))
    assert losses[-1] < losses[0] - 0.1, losses
    assert history.history["MLM_loss"][-1] < history.history["MLM_loss"][0], history.history

    inputs, targets = keras_bert.gen_batch_inputs(
        SENTENCE_PAIRS, token_dict, token_list, seq_len=20, mask_rate=0.3
    )
    expected = model.predict(inputs, verbose=0)
    for name in ("bert.keras", "bert.h5"):
        path = tmp_path / name
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects=keras_bert.get_custom_objects())
        got = loaded.predict(inputs, verbose=0)
        for a, b in zip(expected, got):
            np.testing.assert_array_equal(a, b)
        assert type(loaded.optimizer).__name__ == "AdamWarmup"
        assert loaded.optimizer.get_config()["warmup_steps"] == 10
    # The reloaded model (with its optimizer state) trains on.
    assert np.all(np.isfinite(loaded.train_on_batch(inputs, targets)))


def test_feature_extraction_model(keras_bert):
    token_dict = _token_dict(keras_bert)
    inputs, output = keras_bert.get_model(
        token_num=len(token_dict),
        head_num=2,
        transformer_num=2,
        embed_dim=16,
        feed_forward_dim=32,
        seq_len=20,
        pos_num=20,
        training=False,
        output_layer_num=2,
    )
    model = keras.Model(inputs, output)
    tokenizer = keras_bert.Tokenizer(token_dict)
    ids, segments = tokenizer.encode(first="all work", second="and no play", max_len=20)
    features = model.predict([np.array([ids]), np.array([segments])], verbose=0)
    assert features.shape == (1, 20, 32)
    assert model.get_layer("Encoder-Output").output.shape == (None, 20, 32)
