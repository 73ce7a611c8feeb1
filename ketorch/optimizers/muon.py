"""Muon: orthogonalised momentum for matrices, AdamW for everything else."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from ketorch.optimizers._helpers import Scalar, f32, to_scalar
from ketorch.optimizers.optimizer import Optimizer


class Muon(Optimizer):
    """Muon matching `keras.optimizers.Muon`.

    Each 2-D weight gets the Muon step: momentum `m = momentum * m + g`, the
    (Nesterov) direction `g + momentum * m` orthogonalised by `ns_steps` quintic
    Newton-Schulz iterations with coefficients `(muon_a, muon_b, muon_c)`, scaled by
    `sqrt(max(rows, cols)) * rms_rate` (unless `rms_rate` is None) and by `lr`. Every
    other weight (not 2-D, an embedding when `exclude_embeddings`, or a path matching
    a regular expression in `exclude_layers`) gets an AdamW step at
    `lr * adam_lr_ratio`. Decoupled weight decay uses `weight_decay` for Muon weights
    and `adam_weight_decay` for AdamW ones.

    Slots: `momentum` for every weight and `velocity` for the AdamW ones only,
    interleaved per weight as Keras creates them. Weights are matched by their Keras
    `path` (e.g. `"dense/kernel"`).

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        adam_beta_1: AdamW first-moment decay. Defaults to 0.9.
        adam_beta_2: AdamW second-moment decay. Defaults to 0.999.
        adam_weight_decay: Weight decay of the AdamW weights (None for none).
            Defaults to 0.004.
        epsilon: AdamW's epsilon. Defaults to 1e-7.
        weight_decay: Weight decay of the Muon weights. Defaults to 0.004.
        exclude_layers: Regular expressions; weights whose path matches one use AdamW.
        exclude_embeddings: Whether weights with "embedding" in their path use AdamW.
            Defaults to True.
        muon_a: First Newton-Schulz coefficient. Defaults to 3.4445.
        muon_b: Second Newton-Schulz coefficient. Defaults to -4.7750.
        muon_c: Third Newton-Schulz coefficient. Defaults to 2.0315.
        adam_lr_ratio: AdamW learning rate as a multiple of `learning_rate`. Defaults to 1.
        momentum: Momentum of the Muon steps. Defaults to 0.95.
        ns_steps: Number of Newton-Schulz iterations. Defaults to 5.
        nesterov: Whether to use Nesterov momentum. Defaults to True.
        rms_rate: Scale matching the update RMS to AdamW's (Moonlight); None turns it
            off. Defaults to 0.2.
        **kwargs: The base optimizer arguments (see `Optimizer`).

    Example:
        >>> import torch
        >>> kernel, bias = torch.nn.Parameter(torch.ones(4, 3)), torch.nn.Parameter(torch.ones(3))
        >>> opt = Muon()
        >>> opt.build([kernel, bias])
        >>> sorted(opt.state[kernel]), sorted(opt.state[bias])  # the bias takes AdamW steps
        (['momentum'], ['momentum', 'velocity'])
    """

    _default_name = "muon"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        exclude_layers: list[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, p: torch.Tensor) -> bool:
        """Whether `p` takes AdamW steps rather than Muon steps."""
        if p.dim() != 2:
            return True
        path = getattr(p, "path", None) or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def _own_slot_groups(self) -> list[tuple[tuple[str, ...], float]]:
        return [(("momentum", "velocity"), 0.0)]

    def _create_slot(self, p: torch.Tensor, name: str, initial_value: float) -> torch.Tensor | None:
        if name == "velocity" and not self._should_use_adamw(p):
            return None
        return super()._create_slot(p, name, initial_value)

    def _apply_weight_decay(
        self, params: list[torch.Tensor], weight_decay: float | None, lr: Scalar
    ) -> None:
        by_rate: dict[float, list[torch.Tensor]] = {}
        for p in params:
            if not self._use_weight_decay(p):
                continue
            # The AdamW weights are the ones with a `velocity` (decided once, at build).
            rate = self.adam_weight_decay if "velocity" in self.state[p] else weight_decay
            if rate is not None:
                by_rate.setdefault(rate, []).append(p)
        lr = to_scalar(f32(lr))
        for rate, decayed in by_rate.items():
            # w - w * wd * lr, in Keras's operation order
            torch._foreach_sub_(decayed, torch._foreach_mul(torch._foreach_mul(decayed, rate), lr))

    def _prepare_update(self, count: int) -> dict[str, Any]:
        t = np.float32(count + 1)
        one = np.float32(1)
        beta_1_power = np.float32(self.adam_beta_1) ** t
        beta_2_power = np.float32(self.adam_beta_2) ** t
        return {"adam_sqrt": np.sqrt(one - beta_2_power), "adam_correction": one - beta_1_power}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: Scalar,
        scalars: dict[str, Any],
    ) -> None:
        lr = f32(lr)
        adam = [
            (p, g, m, v)
            for p, g, m, v in zip(params, grads, slots["momentum"], slots["velocity"])
            if v is not None
        ]
        if adam:
            self._adamw_step(*map(list, zip(*adam)), lr * f32(self.adam_lr_ratio), scalars)
        for p, g, m, v in zip(params, grads, slots["momentum"], slots["velocity"]):
            if v is None:
                self._muon_step(p, g, m, to_scalar(lr))

    def _adamw_step(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        momentums: list[torch.Tensor],
        velocities: list[torch.Tensor],
        lr: Any,
        scalars: dict[str, Any],
    ) -> None:
        alpha = to_scalar(lr * scalars["adam_sqrt"] / scalars["adam_correction"])
        torch._foreach_add_(
            momentums,
            torch._foreach_mul(torch._foreach_sub(grads, momentums), 1 - self.adam_beta_1),
        )
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(squares, velocities)
        torch._foreach_add_(velocities, torch._foreach_mul(squares, 1 - self.adam_beta_2))
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_sub_(
            params, torch._foreach_div(torch._foreach_mul(momentums, alpha), denominators)
        )

    def _muon_step(self, p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, lr: Scalar) -> None:
        m.add_(g + m * (self.momentum - 1))
        direction = g + self.momentum * m if self.nesterov else m
        update = lr * self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        if self.rms_rate is not None:
            scale = float(np.sqrt(np.float32(max(update.shape[0], update.shape[1]))))
            update = update * scale * self.rms_rate
        p.sub_(update)

    def zeropower_via_newtonschulz5(self, x: torch.Tensor, steps: int) -> torch.Tensor:
        """Approximately orthogonalises `x` (rank >= 2) by quintic Newton-Schulz steps.

        The result is close to `U V^T` from the SVD `x = U S V^T`, with the singular
        values pushed towards 1 rather than set to it, which trains as well.

        Args:
            x: A matrix, or a batch of matrices in its last two axes.
            steps: The number of iterations.

        Returns:
            A tensor of the shape of `x`.
        """
        if x.dim() < 2:
            raise ValueError(
                "Expected a gradient or momentum with at least 2 dimensions. "
                f"Received: shape={tuple(x.shape)}"
            )
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = x.transpose(-2, -1)
        x = x / (torch.linalg.norm(x, dim=(-2, -1), keepdim=True) + 1e-7)
        for _ in range(steps):
            gram = x @ x.transpose(-2, -1)
            poly = b * gram + (c * gram) @ gram
            x = a * x + poly @ x
        return x.transpose(-2, -1) if tall else x

    def _own_config(self) -> dict[str, Any]:
        return {
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
