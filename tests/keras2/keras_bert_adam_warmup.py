"""AdamWarmup for ketorch: keras-bert's warm-up-then-linear-decay Adam.

keras-bert's own `warmup_v2.py` subclasses TensorFlow's OptimizerV2 internals
(`tensorflow.python.ops.state_ops`), which no Keras 3 backend offers; this is the
same schedule written against the Keras optimizer API: Adam with a learning-rate
schedule, and decoupled weight decay on the variables named by `weight_decay_pattern`.
"""

import ketorch as keras

__all__ = ["AdamWarmup"]


class _WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, learning_rate, decay_steps, warmup_steps, min_lr=0.0):
        self.learning_rate = float(learning_rate)
        self.decay_steps = float(decay_steps)
        self.warmup_steps = float(warmup_steps)
        self.min_lr = float(min_lr)

    def __call__(self, step):
        t = keras.ops.cast(step, "float32") + 1.0
        warm = self.learning_rate * t / self.warmup_steps
        decay = self.min_lr + (self.learning_rate - self.min_lr) * (
            1.0 - keras.ops.minimum(t, self.decay_steps) / self.decay_steps
        )
        return keras.ops.where(t <= self.warmup_steps, warm, decay)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
            "min_lr": self.min_lr,
        }


class AdamWarmup(keras.optimizers.Adam):
    def __init__(
        self,
        decay_steps,
        warmup_steps,
        min_lr=0.0,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        weight_decay=0.0,
        weight_decay_pattern=None,
        amsgrad=False,
        name="AdamWarmup",
        **kwargs,
    ):
        kwargs.pop("learning_rate", None)
        learning_rate = kwargs.pop("lr", learning_rate)
        self.decay_steps, self.warmup_steps, self.min_lr = decay_steps, warmup_steps, min_lr
        self.initial_learning_rate = learning_rate
        self.weight_decay_pattern = weight_decay_pattern
        schedule = _WarmupLinearDecay(learning_rate, decay_steps, warmup_steps, min_lr)
        super().__init__(
            learning_rate=schedule,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay or None,
            name=name,
            **kwargs,
        )

    def build(self, var_list):
        var_list = list(var_list)
        if self.weight_decay_pattern is not None:
            # keras-bert decays only the variables whose name holds one of the patterns.
            def decayed(v):
                name = getattr(v, "path", None) or getattr(v, "name", "")
                return any(pattern in name for pattern in self.weight_decay_pattern)

            self.exclude_from_weight_decay(var_list=[v for v in var_list if not decayed(v)])
        super().build(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
            "min_lr": self.min_lr,
            "learning_rate": self.initial_learning_rate,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "weight_decay": self.weight_decay or 0.0,
            "weight_decay_pattern": self.weight_decay_pattern,
            "amsgrad": self.amsgrad,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
