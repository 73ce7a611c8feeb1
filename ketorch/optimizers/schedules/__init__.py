"""Learning-rate schedules for `learning_rate=` of any optimizer, as in `keras.optimizers.schedules`."""

from __future__ import annotations

from typing import Any

from ketorch.optimizers.schedules.learning_rate_schedule import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]

ALL_OBJECTS: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """Returns the Keras object dict of a schedule.

    Args:
        learning_rate_schedule: A `LearningRateSchedule` instance.

    Returns:
        `{"module", "class_name", "config", "registered_name"}`, as Keras writes it.

    Example:
        >>> serialize(ExponentialDecay(0.1, 10, 0.9))["class_name"]
        'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "`serialize` expects a `LearningRateSchedule`. "
            f"Received: learning_rate_schedule={learning_rate_schedule!r}"
        )
    cls = type(learning_rate_schedule)
    builtin = ALL_OBJECTS.get(cls.__name__) is cls
    registered = None
    if not builtin:
        from ketorch.saving import object_registration  # import cycle

        registered = object_registration.get_registered_name(cls)
    return {
        "module": "keras.optimizers.schedules" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": registered,
    }


def deserialize(
    config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> LearningRateSchedule:
    """Rebuilds a schedule from its object dict (Keras 3 or tf.keras 2 form).

    Args:
        config: A dict with `class_name` and `config`.
        custom_objects: Optional mapping from class names to schedule classes.

    Returns:
        A new schedule.

    Example:
        >>> s = deserialize({"class_name": "InverseTimeDecay",
        ...                  "config": {"initial_learning_rate": 0.1, "decay_steps": 1,
        ...                             "decay_rate": 0.5}})
        >>> type(s).__name__
        'InverseTimeDecay'
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "`deserialize` expects a dict with `class_name` and `config` keys. "
            f"Received: config={config!r}"
        )
    name = config["class_name"]
    custom = custom_objects or {}
    cls = custom.get(name) or custom.get(config.get("registered_name")) or ALL_OBJECTS.get(name)
    if cls is None:
        from ketorch.saving import object_registration  # import cycle

        cls = object_registration.get_registered_object(config.get("registered_name") or name)
    if cls is None:
        raise ValueError(
            f"Unknown learning rate schedule: expected one of {sorted(ALL_OBJECTS)} or a class "
            f"passed in `custom_objects`. Received: class_name={name!r}"
        )
    return cls.from_config(dict(config.get("config") or {}))
