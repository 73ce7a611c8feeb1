"""The one owner of "steps": how many batches an epoch (or an evaluation) takes.

Without ``steps`` an epoch is one full pass over the adapter. With ``steps`` the
iterator keeps its place between epochs (the next epoch continues where the last
one stopped, as Keras does); a re-iterable input restarts when a pass ends, a
one-pass generator that runs dry ends training with a warning.
"""

from __future__ import annotations

import warnings


class EpochIterator:
    """Batches of successive epochs from a :class:`DataAdapter`.

    Args:
        adapter: The data adapter.
        steps: Batches per epoch (``steps_per_epoch``/``validation_steps``/``steps``),
            ``None`` for one full pass.
        step_cap: An upper bound on batches per epoch (``ketorch.config`` test limit).
    """

    def __init__(self, adapter, steps=None, step_cap=None):
        self.adapter = adapter
        self.steps = None if steps is None else int(steps)
        self.step_cap = step_cap
        self.exhausted = False
        self._current = None  # the pass in progress when ``steps`` spans passes

    @property
    def num_batches(self):
        """Batches in one epoch (for the progress bar), ``None`` while unknown."""
        n = self.steps if self.steps is not None else self.adapter.num_batches
        if self.step_cap is not None:
            n = self.step_cap if n is None else min(n, self.step_cap)
        return n

    def _limit(self):
        limit = self.steps
        if self.step_cap is not None:
            limit = self.step_cap if limit is None else min(limit, self.step_cap)
        return limit

    def __iter__(self):
        """The batches of one epoch."""
        limit = self._limit()
        if self.steps is None:
            yield from self._one_pass(limit)
        else:
            yield from self._continuing(limit)
        self.adapter.on_epoch_end()

    def _one_pass(self, limit):
        produced = 0
        iterator = self.adapter.epoch()
        try:
            for batch in iterator:
                yield batch
                produced += 1
                if limit is not None and produced >= limit:
                    return
        finally:
            iterator.close()
            self.adapter.close()
        if self.adapter.num_batches is None:
            self.adapter.num_batches = produced

    def _continuing(self, limit):
        produced = 0
        restarted = False
        while produced < limit:
            if self._current is None:
                self._current = self.adapter.epoch()
            batch = next(self._current, None)
            if batch is None:
                self._current = None
                if self.adapter.reiterable and (produced > 0 or not restarted):
                    restarted = produced == 0
                    continue
                self.exhausted = True
                warnings.warn(
                    "Your input ran out of data; interrupting training. Make sure that your "
                    "dataset or generator can generate at least `steps_per_epoch * epochs` "
                    f"batches (here it stopped after {produced} of {limit} steps in this "
                    "epoch). You may need to use `.repeat()` or a `while True:` generator.",
                    stacklevel=4,
                )
                return
            restarted = False
            produced += 1
            yield batch

    def groups(self, size):
        """``(first_step, last_step, batches)`` for runs of up to ``size`` batches of one epoch.

        ``steps_per_execution``: the loops call batch callbacks once per run.
        """
        if size == 1:
            for step, batch in enumerate(self):
                yield step, step, (batch,)
            return
        group, first = [], 0
        for step, batch in enumerate(self):
            group.append(batch)
            if len(group) == size:
                yield first, step, group
                group, first = [], step + 1
        if group:
            yield first, first + len(group) - 1, group

    def close(self):
        if self._current is not None:
            self._current.close()
            self._current = None
        self.adapter.close()
