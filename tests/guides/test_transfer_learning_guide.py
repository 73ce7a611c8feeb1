"""The end-to-end example of the Keras guide "Transfer learning & fine-tuning"
(keras.io/guides/transfer_learning), run on ketorch with its tf.data-style pipeline.

tests/applications/test_transfer_learning.py checks the freeze/fine-tune pattern on
arrays (MobileNetV2, parity with Keras). This test runs the guide's own data path:
an unbatched dataset of images resized in ``map``, then ``batch``/``prefetch``/
``cache`` and the augmentation layers in ``map``, and its Xception base (no
download: ``weights=None``, the smallest input Xception takes). The base's
BatchNormalization statistics must not move, frozen or fine-tuned, since the base
is called with ``training=False``.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

import ketorch as keras

SIZE = 71  # Xception's smallest input (the guide uses 150)


def _image_folder(root, per_class=2):
    rng = np.random.default_rng(1)
    for c, name in enumerate(("cat", "dog")):
        os.makedirs(root / name)
        for i in range(per_class):
            h, w = rng.integers(60, 90, 2)
            pixels = np.clip(rng.normal(70 + 110 * c, 30, (h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.jpg", format="JPEG")
    return str(root)


def _bn_stats(model):
    return {
        w.path: np.array(w.numpy())
        for w in model.weights
        if "moving_mean" in w.path or "moving_variance" in w.path
    }


def _pretend_pretrained(base):
    """Non-trivial moving statistics, as ImageNet weights would bring."""
    rng = np.random.default_rng(0)
    values = []
    for w in base.weights:
        value = np.array(w.numpy())
        if "moving_variance" in w.path:
            value = rng.uniform(0.5, 2.0, value.shape).astype("float32")
        elif "moving_mean" in w.path:
            value = rng.normal(0, 0.5, value.shape).astype("float32")
        values.append(value)
    base.set_weights(values)


def test_transfer_learning_end_to_end(tmp_path):
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    root = _image_folder(tmp_path)
    # Unbatched images of different sizes (as tfds gives them), standardized to one size.
    train_ds = keras.utils.image_dataset_from_directory(
        root, batch_size=None, image_size=(80, 80), seed=0, verbose=False
    )
    resize_fn = keras.layers.Resizing(SIZE, SIZE)
    train_ds = train_ds.map(lambda x, y: (resize_fn(x), y))
    augmentation_layers = [keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1)]

    def data_augmentation(x):
        for layer in augmentation_layers:
            x = layer(x)
        return x

    train_ds = train_ds.map(lambda x, y: (data_augmentation(x), y))
    batch_size = 4
    train_ds = train_ds.batch(batch_size).prefetch(-1).cache()
    assert train_ds.cardinality() == 1 and train_ds.class_names == ["cat", "dog"]
    images, labels = next(iter(train_ds))
    assert tuple(images.shape) == (4, SIZE, SIZE, 3) and labels.shape == (4,)

    base_model = keras.applications.Xception(
        weights=None,  # the guide loads "imagenet"
        input_shape=(SIZE, SIZE, 3),
        include_top=False,
    )
    _pretend_pretrained(base_model)
    # Freeze the base_model
    base_model.trainable = False

    # Create new model on top
    inputs = keras.Input(shape=(SIZE, SIZE, 3))
    # Pre-trained Xception weights requires that input be scaled from (0, 255) to (-1., +1.)
    scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
    x = scale_layer(inputs)
    # The base model contains batchnorm layers. We want to keep them in inference mode
    # when we unfreeze the base model for fine-tuning, so we make sure that the
    # base_model is running in inference mode here.
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)  # Regularize with dropout
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    assert len(model.trainable_weights) == 2

    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    frozen = {w.path: np.array(w.numpy()) for w in base_model.weights}
    head = [np.array(w.numpy()) for w in model.trainable_weights]
    history = model.fit(train_ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for w in base_model.weights:  # nothing in the frozen base moved
        np.testing.assert_array_equal(np.array(w.numpy()), frozen[w.path], err_msg=w.path)
    assert any(
        not np.array_equal(np.array(w.numpy()), before)
        for w, before in zip(model.trainable_weights, head)
    )

    # Unfreeze the base_model. Note that it keeps running in inference mode since we
    # passed `training=False` when calling it.
    base_model.trainable = True
    assert len(model.trainable_weights) == 2 + len(base_model.trainable_weights)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-5),  # Low learning rate
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    stats = _bn_stats(base_model)
    assert len(stats) == 2 * sum(
        isinstance(layer, keras.layers.BatchNormalization) for layer in base_model.layers
    )
    kernel = next(w for w in base_model.trainable_weights if "kernel" in w.path)
    kernel_before = np.array(kernel.numpy())
    model.fit(train_ds, epochs=1, verbose=0)
    for path, value in _bn_stats(base_model).items():  # BatchNormalization in inference mode
        np.testing.assert_array_equal(value, stats[path], err_msg=path)
    assert not np.array_equal(np.array(kernel.numpy()), kernel_before)  # the base trains
    logits = model.predict(train_ds, verbose=0)
    assert logits.shape == (4, 1) and np.isfinite(logits).all()
