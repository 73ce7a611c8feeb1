"""keras.distillation: Distiller training parity with Keras, and the losses' semantics."""

import numpy as np
import pytest
import torch
from parity import keras

import ketorch


def _models(lib):
    dense = lib.layers.Dense
    teacher = lib.Sequential(
        [lib.Input((4,)), dense(8, activation="relu", name="th"), dense(3, name="tout")]
    )
    student = lib.Sequential(
        [lib.Input((4,)), dense(8, activation="relu", name="sh"), dense(3, name="sout")]
    )
    return teacher, student


def _distiller(lib, teacher, student):
    distiller = lib.distillation.Distiller(
        teacher,
        student,
        [
            lib.distillation.LogitsDistillation(temperature=2.0, loss=lib.losses.KLDivergence()),
            lib.distillation.FeatureDistillation(
                loss="mse", teacher_layer_name="th", student_layer_name="sh"
            ),
        ],
        distillation_loss_weights=[1.0, 0.5],
        student_loss_weight=0.3,
    )
    distiller.compile(
        optimizer=lib.optimizers.SGD(0.1),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return distiller


def test_fit_and_evaluate_match_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.integers(0, 3, size=(16,)).astype("int64")
    t_ours, s_ours = _models(ketorch)
    t_keras, s_keras = _models(keras)
    t_keras.set_weights(t_ours.get_weights())
    s_keras.set_weights(s_ours.get_weights())
    ours, theirs = _distiller(ketorch, t_ours, s_ours), _distiller(keras, t_keras, s_keras)
    h_ours = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h_keras = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    assert sorted(h_ours) == sorted(h_keras)
    for key in h_keras:
        np.testing.assert_allclose(h_ours[key], h_keras[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(s_ours.get_weights(), s_keras.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    for a, b in zip(t_ours.get_weights(), t_keras.get_weights()):  # the teacher is frozen
        np.testing.assert_array_equal(a, b)
    e_ours = ours.evaluate(x, y, verbose=0, return_dict=True)
    e_keras = theirs.evaluate(x, y, verbose=0, return_dict=True)
    for key in e_keras:
        np.testing.assert_allclose(e_ours[key], e_keras[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0),
        keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
        atol=1e-5,
    )


def test_logits_loss_default_matches_keras():
    rng = np.random.default_rng(1)
    t = rng.normal(size=(5, 4)).astype("float32")
    s = rng.normal(size=(5, 4)).astype("float32")
    for loss in ("kl_divergence", "categorical_crossentropy", "__kl_object__"):
        ours = ketorch.distillation.LogitsDistillation(
            3.0, ketorch.losses.KLDivergence() if loss == "__kl_object__" else loss
        )
        theirs = keras.distillation.LogitsDistillation(
            3.0, keras.losses.KLDivergence() if loss == "__kl_object__" else loss
        )
        got = float(ours.compute_loss(torch.tensor(t), torch.tensor(s)))
        expected = float(theirs.compute_loss(t, s))
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    feat_ours = ketorch.distillation.FeatureDistillation(loss=["mse", None])
    feat_keras = keras.distillation.FeatureDistillation(loss=["mse", None])
    got = float(feat_ours.compute_loss([torch.tensor(t)] * 2, [torch.tensor(s)] * 2))
    np.testing.assert_allclose(got, float(feat_keras.compute_loss([t, t], [s, s])), rtol=1e-5)


def test_argument_errors_match_keras():
    for lib in (ketorch, keras):
        teacher, student = _models(lib)
        kd = lib.distillation.LogitsDistillation()
        with pytest.raises(ValueError, match="temperature must be positive"):
            lib.distillation.LogitsDistillation(temperature=0.0)
        with pytest.raises(ValueError, match="non-`None`"):
            lib.distillation.FeatureDistillation(loss=None)
        with pytest.raises(ValueError, match="between 0.0 and 1.0"):
            lib.distillation.Distiller(teacher, student, kd, student_loss_weight=1.5)
        with pytest.raises(ValueError, match="cannot be `None`"):
            lib.distillation.Distiller(teacher, student, None)
        with pytest.raises(ValueError, match="must match"):
            lib.distillation.Distiller(teacher, student, [kd], distillation_loss_weights=[1, 2])
        with pytest.raises(ValueError, match="In teacher model"):
            lib.distillation.Distiller(
                teacher, student, lib.distillation.FeatureDistillation(teacher_layer_name="zz")
            )
        with pytest.raises(ValueError, match="'loss' cannot be"):
            lib.distillation.Distiller(teacher, student, kd).compile(optimizer="sgd")
        wide = lib.Sequential([lib.Input((4,)), lib.layers.Dense(5)])
        with pytest.raises(ValueError, match="output shapes are incompatible"):
            lib.distillation.Distiller(teacher, wide, kd)
