"""Distiller: a model that trains a student to match a frozen teacher and the labels."""

from __future__ import annotations

import torch

from .. import metrics as metrics_mod
from .. import tree
from ..models.model import Model
from ..models.sequential import Sequential
from .distillation_loss import to_loss_function


class Distiller(Model):
    """Knowledge distillation: ``fit`` trains ``student``; ``teacher`` is frozen.

    The training loss is ``student_loss_weight * student_loss + (1 - student_loss_weight) *
    distillation_loss``, where the student loss is the ``loss`` given to :meth:`compile` on
    the labels and the distillation loss is the weighted sum of ``distillation_losses``
    comparing teacher and student. Calling the distiller calls the student. The logs hold
    ``loss``, the compiled metrics, ``student_loss``, ``distillation_loss`` and ``total_loss``.

    Args:
        teacher: The trained ``Model`` to imitate (set to ``trainable=False``).
        student: The ``Model`` to train; its inputs and outputs must match the teacher's.
        distillation_losses: A :class:`DistillationLoss` or a list of them.
        distillation_loss_weights: One weight per distillation loss (all ``1.0`` by default).
        student_loss_weight: The weight of the student loss, in ``[0, 1]``.
        name: The model name.

    Raises:
        ValueError: For models that are not ``Model``\\ s or do not match, a missing
            distillation loss, a weight count mismatch, or a weight outside ``[0, 1]``.

    Example:
        >>> import numpy as np
        >>> import ketorch as keras
        >>> teacher = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> student = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> distiller = keras.distillation.Distiller(
        ...     teacher, student, keras.distillation.LogitsDistillation(temperature=2.0)
        ... )
        >>> distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        >>> x, y = np.ones((8, 4), "float32"), np.zeros((8,), "int64")
        >>> sorted(distiller.fit(x, y, epochs=1, verbose=0).history)
        ['distillation_loss', 'loss', 'student_loss', 'total_loss']
    """

    def __init__(
        self,
        teacher,
        student,
        distillation_losses,
        distillation_loss_weights=None,
        student_loss_weight: float = 0.5,
        name: str = "distiller",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if isinstance(student_loss_weight, bool) or not isinstance(
            student_loss_weight, (int, float)
        ):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}"
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}"
            )
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                "LogitsDistillation or FeatureDistillation) or a list of distillation losses."
            )
        if not isinstance(distillation_losses, (list, tuple)):
            distillation_losses, distillation_loss_weights = [distillation_losses], [1.0]
        elif distillation_loss_weights is None:
            distillation_loss_weights = [1.0] * len(distillation_losses)
        elif len(distillation_loss_weights) != len(distillation_losses):
            raise ValueError(
                f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) must "
                f"match number of distillation_losses ({len(distillation_losses)})"
            )
        # Plain lists set through object.__setattr__: the losses are not layers to track.
        object.__setattr__(self, "distillation_losses", list(distillation_losses))
        object.__setattr__(self, "distillation_loss_weights", list(distillation_loss_weights))
        for loss in self.distillation_losses:
            loss.validate_model_compatibility(teacher, student)
        extractors = (
            _feature_extractor(teacher, _layer_names(self.distillation_losses, "teacher")),
            _feature_extractor(student, _layer_names(self.distillation_losses, "student")),
        )
        object.__setattr__(self, "_teacher_feature_extractor", extractors[0])
        object.__setattr__(self, "_student_feature_extractor", extractors[1])
        self.teacher.trainable = False
        object.__setattr__(
            self,
            "_distill_trackers",
            [
                metrics_mod.Mean(name="student_loss"),
                metrics_mod.Mean(name="distillation_loss"),
                metrics_mod.Mean(name="total_loss"),
            ],
        )
        self.student_loss_tracker, self.distillation_loss_tracker, self.total_loss_tracker = (
            self._distill_trackers
        )

    # ------------------------------------------------------------ validation
    def _validate_models(self, teacher, student):
        for role, model in (("Teacher", teacher), ("Student", student)):
            if not isinstance(model, Model):
                raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
        t_in, s_in = getattr(teacher, "inputs", None), getattr(student, "inputs", None)
        t_out, s_out = getattr(teacher, "outputs", None), getattr(student, "outputs", None)
        for context, t, s in (("input", t_in, s_in), ("output", t_out, s_out)):
            if t is None or s is None:
                continue
            for a, b in zip(tree.flatten(t), tree.flatten(s)):
                _check_shapes(a.shape, b.shape, context)
        for context, t, s in (("input", t_in, s_in), ("output", t_out, s_out)):
            if t is None or s is None:
                break
            for a, b in zip(tree.flatten(t), tree.flatten(s)):
                if a.dtype != b.dtype:
                    raise ValueError(
                        f"Teacher and student {context} dtypes must match. Teacher: "
                        f"{a.dtype}, Student: {b.dtype}."
                    )

    # ------------------------------------------------------------ training API
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Compile with the student's ``loss`` (required) on the labels.

        Raises:
            ValueError: If ``loss`` is ``None`` or ``metrics`` is not a list or tuple.
        """
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        object.__setattr__(self, "_student_loss", tree.map_structure(to_loss_function, loss))
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted total of the student loss and the distillation losses (a scalar);
        updates the ``student_loss``, ``distillation_loss`` and ``total_loss`` trackers."""
        if y_pred is None:
            y_pred = self(x, training=training)
        w = self.student_loss_weight
        student_loss = torch.zeros(())
        if w > 0.0 and y is not None:
            values = tree.flatten(
                tree.map_structure(lambda fn, t, p: fn(t, p), self._student_loss, y, y_pred)
            )
            student_loss = torch.stack(values).sum() if len(values) > 1 else values[0]
            if student_loss.ndim > 0:
                student_loss = student_loss.mean()
        distillation_loss = torch.zeros(())
        if w < 1.0:
            teacher_features = self._teacher_features(x)
            student_features = self._student_features(x, y_pred)
            for loss_fn, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                if getattr(loss_fn, "teacher_layer_name", None) is not None:
                    teacher_out = _feature(teacher_features, loss_fn.teacher_layer_name, loss_fn)
                    student_out = _feature(student_features, loss_fn.student_layer_name, loss_fn)
                else:
                    teacher_out, student_out = teacher_features["final_output"], y_pred
                loss_fn.validate_outputs(teacher_out, student_out)
                value = loss_fn.compute_loss(teacher_out, student_out)
                if getattr(value, "ndim", 0) > 0:
                    raise ValueError(
                        f"Distillation loss {type(loss_fn).__name__} returned a non-scalar loss "
                        f"with shape {tuple(value.shape)}. The compute_loss method must return "
                        "a scalar tensor."
                    )
                distillation_loss = distillation_loss.to(value.device) + weight * value
        device = distillation_loss.device if w < 1.0 else student_loss.device
        total = w * student_loss.to(device) + (1.0 - w) * distillation_loss.to(device)
        self.student_loss_tracker.update_state(student_loss.detach())
        self.distillation_loss_tracker.update_state(distillation_loss.detach())
        self.total_loss_tracker.update_state(total.detach())
        return total

    def train_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        self._record_loss(loss, x)
        opt = self.optimizer
        opt.zero_grad(set_to_none=True)
        if loss.requires_grad:
            loss.backward()
            self._apply_optimizer_step()
        return self._distill_logs(y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = _unpack(data)
        with torch.no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._record_loss(loss, x)
        return self._distill_logs(y, y_pred, sample_weight)

    @property
    def metrics(self):
        return [*super().metrics, *self._distill_trackers]

    def reset_metrics(self):
        super().reset_metrics()
        for m in self._distill_trackers:
            m.reset_state()

    # ------------------------------------------------------------ internals
    def _teacher_features(self, x):
        if self._teacher_feature_extractor is not None:
            return self._teacher_feature_extractor(x, training=False)
        return {"final_output": self.teacher(x, training=False)}

    def _student_features(self, x, y_pred):
        if self._student_feature_extractor is not None:
            return self._student_feature_extractor(x, training=True)
        return {"final_output": y_pred}

    @torch.no_grad()
    def _record_loss(self, loss, x):
        tracker = self._loss_tracker
        batch = tree.flatten(x)[0].shape[0]
        tracker.update_state(loss.detach(), sample_weight=batch)

    @torch.no_grad()
    def _distill_logs(self, y, y_pred, sample_weight):
        cm = self._compile_metrics
        if cm is not None and y is not None:
            ys = y if isinstance(y, (list, tuple)) else [y]
            preds = self._flat_outputs(y_pred)
            if not cm.built:
                cm.build(self._data_output_names(), list(ys), preds)
            cm.update_state(list(ys), preds, sample_weight)
        logs = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[m.name] = result
        return logs


def _unpack(data):
    if not isinstance(data, tuple):
        return data, None, None
    return (tuple(data) + (None, None))[:3]


def _check_shapes(teacher_shape, student_shape, context):
    if len(teacher_shape) != len(student_shape) or any(
        a is not None and b is not None and a != b for a, b in zip(teacher_shape, student_shape)
    ):
        raise ValueError(
            f"Teacher and student {context} shapes are incompatible. Teacher: {teacher_shape}, "
            f"Student: {student_shape}. All dimensions must match."
        )


def _layer_names(distillation_losses, role):
    names = []
    for loss in distillation_losses:
        name = getattr(loss, f"{role}_layer_name", None)
        if name and name not in names:
            names.append(name)
    return names


def _feature_extractor(model, layer_names):
    """A Functional model giving ``{"final_output": ..., <layer name>: <its output>}``."""
    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(
            f"Cannot create feature extractor for {model.name}. The model has no symbolic "
            "inputs attribute."
        )
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {"final_output": final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")


def _feature(features, layer_name, loss_fn):
    key = layer_name or "final_output"
    if key not in features:
        raise RuntimeError(
            f"Failed to extract features for {type(loss_fn).__name__}: layer '{key}' not found "
            f"in extracted features. Available: {list(features)}"
        )
    return features[key]
