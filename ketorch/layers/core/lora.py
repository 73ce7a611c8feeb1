"""LoRA (low-rank adaptation) shared by Dense, EinsumDense, Embedding and Conv layers.

With LoRA enabled the base weight (``kernel`` or ``embeddings``) is frozen and two new
trainable float32 weights ``<prefix>_a`` of shape ``base.shape[:-1] + (rank,)`` and
``<prefix>_b`` of shape ``(rank, base.shape[-1])`` add a low-rank update:
``effective = base + (lora_alpha / lora_rank) * (a @ b)``.

Saving follows Keras: the file holds the merged base weight (and the other own weights),
never the LoRA factors; loading writes the base weight and resets both factors to zero, so
the loaded layer computes exactly what was saved and can be fine-tuned again.
"""

from __future__ import annotations

import torch

from ... import initializers


class LoRAMixin:
    """Adds ``enable_lora`` and Keras's LoRA saving to a layer with one base weight.

    A class sets ``_lora_base`` (the base weight's attribute), ``_lora_prefix`` (the
    factors' names) and ``_lora_penalty``/``_lora_projection`` (the attributes holding
    the base weight's regularizer and constraint); it calls :meth:`_init_lora` in its
    constructor and :meth:`_build_lora` at the end of ``build``.
    """

    _lora_base = "kernel"
    _lora_prefix = "lora_kernel"
    _lora_penalty = "kernel_regularizer"
    _lora_projection = "kernel_constraint"
    lora_enabled = False

    def _init_lora(self, lora_rank, lora_alpha) -> None:
        if lora_rank is not None and (
            not isinstance(lora_rank, int) or isinstance(lora_rank, bool) or lora_rank <= 0
        ):
            raise ValueError(
                f"Argument `lora_rank` of {type(self).__name__} must be a positive integer or "
                f"None. Received: lora_rank={lora_rank!r}"
            )
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _build_lora(self) -> None:
        if self.lora_rank and not self.lora_enabled:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def enable_lora(
        self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"
    ) -> None:
        """Freeze the base weight and add trainable low-rank factors (once per layer).

        Args:
            rank: Positive int, the inner dimension of the two factors.
            lora_alpha: Scale numerator: the update is ``(lora_alpha / rank) * a @ b``;
                defaults to ``rank`` (scale 1).
            a_initializer: Initializer of the first factor.
            b_initializer: Initializer of the second factor (zeros: the layer's output
                is unchanged until training moves it).

        Raises:
            ValueError: If the layer has a kernel constraint, is not built, or already
                has LoRA enabled.

        Example:
            >>> from ketorch.layers import Dense
            >>> layer = Dense(4)
            >>> layer.build((None, 8))
            >>> layer.enable_lora(2)
            >>> [w.name for w in layer.trainable_weights]
            ['bias', 'lora_kernel_a', 'lora_kernel_b']
            >>> layer.get_config()["lora_rank"]
            2
        """
        if getattr(self, self._lora_projection, None) is not None:
            raise ValueError(
                f"Layer '{self.name}': LoRA cannot be combined with a constraint on "
                f"`{self._lora_base}`; remove the `{self._lora_projection}` argument to "
                "enable it."
            )
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' must be built before `enable_lora()` (its weights do "
                "not exist yet)."
            )
        if self.lora_enabled:
            raise ValueError(f"Layer '{self.name}' already has LoRA enabled; enable it once.")
        if not isinstance(rank, int) or isinstance(rank, bool) or rank <= 0:
            raise ValueError(f"`rank` must be a positive integer. Received: rank={rank!r}")
        base = getattr(self, self._lora_base)
        penalty = getattr(self, self._lora_penalty, None)
        factors = []
        for suffix, shape, init in (
            ("a", (*base.shape[:-1], rank), a_initializer),
            ("b", (rank, base.shape[-1]), b_initializer),
        ):
            w = self.add_weight(
                name=f"{self._lora_prefix}_{suffix}",
                shape=shape,
                initializer=initializers.get(init),
                dtype="float32",  # low-rank factors stay float32 under mixed precision
                regularizer=penalty,
            )
            if w.device != base.device:
                w.data = w.data.to(base.device)
            factors.append(w)
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lora_factors(self):
        return (
            getattr(self, f"{self._lora_prefix}_a"),
            getattr(self, f"{self._lora_prefix}_b"),
        )

    def _lora_scale(self) -> float:
        return self.lora_alpha / self.lora_rank

    def _lora_merged(self) -> torch.Tensor:
        """The base weight plus the scaled low-rank update (the weight the layer applies)."""
        base = getattr(self, self._lora_base)
        a, b = self._lora_factors()
        return (base + self._lora_scale() * torch.matmul(a, b)).to(base.dtype)

    def _lora_config(self, config: dict) -> dict:
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config

    @property
    def trainable_weights(self):
        """As the base layer's, without the base weight while LoRA freezes it."""
        weights = super().trainable_weights
        if not self.lora_enabled:
            return weights
        base = getattr(self, self._lora_base)
        return [w for w in weights if w is not base or base.requires_grad]

    trainable_variables = trainable_weights

    @property
    def weights(self):
        """Own weights in creation order (the frozen base first, as Keras), then sublayers'."""
        out = self._own_weights()
        seen = {id(w) for w in out}
        for layer in self._sublayers():
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    variables = weights

    # Saving hooks read by ketorch.saving.h5_io (Keras's save_own_variables semantics).
    def _own_weights(self) -> list:
        out, seen = [], set()
        for w in (*self._trainable_weights, *self._non_trainable_weights):
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    def _saved_variable_values(self) -> list:
        """What the weights file stores: own weights, the base merged, no LoRA factors."""
        if not self.lora_enabled:
            return self._own_weights()
        base = getattr(self, self._lora_base)
        factors = {id(w) for w in self._lora_factors()}
        with torch.no_grad():
            merged = self._lora_merged()
        return [merged if w is base else w for w in self._own_weights() if id(w) not in factors]

    def _variables_to_load(self):
        """``(variables the file fills, (variable, value) pairs set after them)``."""
        if not self.lora_enabled:
            return self._own_weights(), []
        factors = self._lora_factors()
        ids = {id(w) for w in factors}
        targets = [w for w in self._own_weights() if id(w) not in ids]
        return targets, [(w, torch.zeros_like(w)) for w in factors]
