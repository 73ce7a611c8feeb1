"""The Keras example "Image classification from scratch" (keras.io/examples/vision/
image_classification_from_scratch), run on ketorch.

The Cats vs Dogs JPEGs are replaced by a small folder of generated JPEGs (plus a
corrupted file the guide's filtering step removes); image size, widths and the
number of files are shrunk so that it runs in seconds. The model is the guide's
small Xception-like network; it is also built with real Keras and, with the same
weights, must predict the same.
"""

from __future__ import annotations

import os

import numpy as np
from parity import keras as real_keras
from PIL import Image

import ketorch as keras
from ketorch import layers

IMAGE_SIZE = (32, 32)


def _make_pet_images(root, per_class=12):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("Cat", "Dog")):
        folder = root / "PetImages" / name
        os.makedirs(folder)
        for i in range(per_class):
            h, w = rng.integers(30, 50, 2)
            base = np.zeros((h, w, 3)) + (60 if c == 0 else 190)
            pixels = np.clip(base + rng.normal(0, 30, (h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{i}.jpg", format="JPEG")
        (folder / "corrupted.jpg").write_bytes(b"not a jpeg at all")
    return root / "PetImages"


def _filter_corrupted(root):
    """The guide's step: drop files without the JFIF marker in their header."""
    skipped = 0
    for name in ("Cat", "Dog"):
        folder = os.path.join(root, name)
        for fname in os.listdir(folder):
            path = os.path.join(folder, fname)
            with open(path, "rb") as fobj:
                is_jfif = b"JFIF" in fobj.peek(10)
            if not is_jfif:
                skipped += 1
                os.remove(path)
    return skipped


def make_model(lib, input_shape, num_classes, widths=(16, 24, 32), top=48):
    L = lib.layers
    inputs = lib.Input(shape=input_shape)
    # Entry block
    x = L.Rescaling(1.0 / 255)(inputs)
    x = L.Conv2D(8, 3, strides=2, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    previous_block_activation = x  # Set aside residual
    for size in widths:
        x = L.Activation("relu")(x)
        x = L.SeparableConv2D(size, 3, padding="same")(x)
        x = L.BatchNormalization()(x)
        x = L.Activation("relu")(x)
        x = L.SeparableConv2D(size, 3, padding="same")(x)
        x = L.BatchNormalization()(x)
        x = L.MaxPooling2D(3, strides=2, padding="same")(x)
        # Project residual
        residual = L.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = L.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual
    x = L.SeparableConv2D(top, 3, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    units = 1 if num_classes == 2 else num_classes
    x = L.Dropout(0.25)(x)
    # We specify linear activation, logits
    outputs = L.Dense(units, activation=None)(x)
    return lib.Model(inputs, outputs)


def test_image_classification_from_scratch(tmp_path):
    root = _make_pet_images(tmp_path)
    assert _filter_corrupted(root) == 2

    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        str(root),
        validation_split=0.25,
        subset="both",
        seed=1337,
        image_size=IMAGE_SIZE,
        batch_size=6,
        verbose=False,
    )
    assert train_ds.class_names == val_ds.class_names == ["Cat", "Dog"]
    assert len(train_ds.file_paths) == 18 and len(val_ds.file_paths) == 6

    data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]

    def data_augmentation(images):
        for layer in data_augmentation_layers:
            images = layer(images)
        return images

    # Apply `data_augmentation` to the training images.
    train_ds = train_ds.map(
        lambda img, label: (data_augmentation(img), label), num_parallel_calls=-1
    )
    # Prefetching samples in GPU memory helps maximize GPU utilization.
    train_ds = train_ds.prefetch(-1)
    val_ds = val_ds.prefetch(-1)
    assert train_ds.cardinality() == 3 and val_ds.cardinality() == 1

    keras.utils.set_random_seed(0)
    model = make_model(keras, input_shape=IMAGE_SIZE + (3,), num_classes=2)
    checkpoint = str(tmp_path / "save_at_{epoch}.keras")
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    history = model.fit(
        train_ds,
        epochs=1,
        callbacks=[keras.callbacks.ModelCheckpoint(checkpoint)],
        validation_data=val_ds,
        verbose=0,
    )
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    assert np.isfinite(history.history["loss"][0])
    assert os.path.exists(str(tmp_path / "save_at_1.keras"))

    # Run inference on new data.
    img = keras.utils.load_img(os.path.join(root, "Cat", "3.jpg"), target_size=IMAGE_SIZE)
    img_array = keras.utils.img_to_array(img)
    img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis
    predictions = model.predict(img_array, verbose=0)
    score = float(keras.ops.sigmoid(predictions[0][0]))
    assert 0.0 < score < 1.0
    message = f"This image is {100 * (1 - score):.2f}% cat and {100 * score:.2f}% dog."
    assert message.startswith("This image is")

    # The trained weights give Keras's predictions in Keras's model.
    theirs = make_model(real_keras, input_shape=IMAGE_SIZE + (3,), num_classes=2)
    theirs.set_weights(model.get_weights())
    batch = np.asarray(img_array)
    np.testing.assert_allclose(
        model.predict(batch, verbose=0), theirs.predict(batch, verbose=0), rtol=1e-4, atol=1e-4
    )
    reloaded = keras.models.load_model(str(tmp_path / "save_at_1.keras"))
    np.testing.assert_allclose(
        reloaded.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-5
    )
