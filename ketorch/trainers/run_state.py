"""Which ``fit``/``evaluate``/``predict`` runs of a model are in progress, and in which thread.

One model may be used by several runs at once: ``evaluate``/``predict`` from a callback of a
running ``fit`` (same thread, a common Keras pattern), or ``predict``/``evaluate`` in other threads
(a model served while it trains). What keeps them apart:

- Layer-call state (the ``training`` flag, ``add_loss`` collectors) is per thread, in the
  backend's call context.
- Metric state: the first run claims the model's own metric objects (what ``model.metrics``
  shows afterwards); a run that starts while another holds them gets private copies, seen
  only by its thread (:class:`RunLocal` attributes), so it never resets or updates the
  running ``fit``'s loss tracker and metrics.
- The torch module mode (``model.training``, read by plain ``torch.nn`` sublayers such as
  ``nn.Dropout``): a running ``fit`` owns it; inference runs in other threads leave it alone,
  and concurrent inference runs switch it to eval once and back once.
- A second ``fit`` of the same model while one runs (nested from a callback, or from another
  thread) raises instead of corrupting the first.

All of this happens when a run starts and ends; the training step itself takes no lock.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import warnings

_get_ident = threading.get_ident
_REGISTRY_LOCK = threading.Lock()


class RunLocal:
    """A trainer attribute (metric containers, custom-step logs) that a run holding private
    metric copies sees replaced in its own thread.

    The usual case (no such run anywhere) costs a descriptor call and a dict lookup, well
    under a microsecond, on the few accesses a training step makes.
    """

    def __set_name__(self, owner, name):
        self.name = name
        self.key = "_own" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        d = obj.__dict__
        overrides = d.get("_run_overrides")
        if overrides:
            private = overrides.get(_get_ident())
            if private is not None:
                return private[self.name]
        return d.get(self.key)

    def __set__(self, obj, value):
        d = obj.__dict__
        overrides = d.get("_run_overrides")
        if overrides:
            private = overrides.get(_get_ident())
            if private is not None:
                private[self.name] = value
                return
        d[self.key] = value


def own(model, name):
    """The model's own value of the :class:`RunLocal` attribute ``name``, whatever the calling
    thread's run uses. The compiled training step reads its metric containers this way: it runs
    only for a run holding them (see :func:`has_private_metrics`), and a trace must not depend
    on which thread is calling."""
    return model.__dict__.get("_own" + name)


def has_private_metrics(model) -> bool:
    """Whether the calling thread's run uses private metric copies (see metrics_scope)."""
    overrides = model.__dict__.get("_run_overrides")
    return bool(overrides) and _get_ident() in overrides


class RunState:
    """Per model: the runs in progress. Touched only when a run starts or ends."""

    def __init__(self):
        self.lock = threading.Lock()
        self.fit_thread = None  # ident of the thread running fit(), if any
        self.metrics_owner = None  # ident of the thread whose run holds the model's metrics
        self.eval_users = 0  # inference runs that switched the module mode to eval
        self.saved_mode = True


def run_state(model) -> RunState:
    state = model.__dict__.get("_run_state")
    if state is None:
        with _REGISTRY_LOCK:
            state = model.__dict__.get("_run_state")
            if state is None:
                state = model.__dict__["_run_state"] = RunState()
    return state


def _thread_name(ident):
    for t in threading.enumerate():
        if t.ident == ident:
            return t.name
    return str(ident)


@contextlib.contextmanager
def fit_scope(model):
    """Marks ``model`` as training; a second ``fit`` of it meanwhile raises ``RuntimeError``."""
    state = run_state(model)
    me = _get_ident()
    with state.lock:
        running = state.fit_thread
        if running is None:
            state.fit_thread = me
    if running is not None:
        if running == me:
            raise RuntimeError(
                f"fit() of model '{model.name}' was called while fit() of the same model is "
                "already running in this thread (from one of its callbacks?). A nested fit "
                "would reset and overwrite the running one's metrics, optimizer steps and "
                "History. Train another model there, or call fit() again after the outer "
                "fit() returns; evaluate() and predict() are fine inside callbacks."
            )
        raise RuntimeError(
            f"fit() of model '{model.name}' was called while fit() of the same model is "
            f"already running in thread '{_thread_name(running)}'. One model trains in one "
            "fit() at a time: wait for it to return, or train a copy "
            "(keras.models.clone_model)."
        )
    try:
        yield
    finally:
        with state.lock:
            state.fit_thread = None


@contextlib.contextmanager
def metrics_scope(model):
    """The run in this block updates the model's metrics if no other run holds them, else
    private copies visible only to this thread (and dropped at the end)."""
    state = run_state(model)
    me = _get_ident()
    with state.lock:
        owner = state.metrics_owner is None
        if owner:
            state.metrics_owner = me
    if owner:
        try:
            yield
        finally:
            with state.lock:
                state.metrics_owner = None
        return
    private = _private_metrics(model)
    d = model.__dict__
    overrides = d.get("_run_overrides")
    if overrides is None:
        with _REGISTRY_LOCK:
            overrides = d.setdefault("_run_overrides", {})
    outer = overrides.get(me)  # a run nested in one that has private metrics already
    overrides[me] = private
    try:
        yield
    finally:
        if outer is None:
            del overrides[me]
        else:
            overrides[me] = outer


def _private_metrics(model):
    """Copies of the model's metric containers with fresh metric states, sharing no state with
    them. Only Metric objects (and not-yet-resolved metric specs) are deep-copied: loss
    functions are stateless and are shared."""
    memo = {id(model): model}  # a metric referring to the model keeps referring to it

    def fresh(metric):
        if metric is None:
            return None
        try:
            new = copy.deepcopy(metric, memo)
        except Exception:  # noqa: BLE001 - e.g. a user metric holding a lock or a file
            try:
                new = type(metric).from_config(metric.get_config())
            except Exception:  # noqa: BLE001
                warnings.warn(
                    f"The metric '{getattr(metric, 'name', metric)}' can be neither copied nor "
                    "rebuilt from its config, so this run shares it with the run in progress "
                    "(their values mix). Give it a get_config()/from_config() pair.",
                    RuntimeWarning,
                    stacklevel=6,
                )
                return metric
        new.reset_state()
        return new

    closs = model._compile_loss
    if closs is not None:
        closs = copy.copy(closs)
        closs.trackers = [fresh(t) for t in closs.trackers]
    cm = model._compile_metrics
    if cm is not None:
        cm = copy.copy(cm)
        if cm.built:
            cm.entries = [(i, fresh(m), weighted) for i, m, weighted in cm.entries]
        else:  # metric instances in the specs would be resolved to the same objects
            cm._spec = copy.deepcopy(cm._spec, memo)
            cm._weighted_spec = copy.deepcopy(cm._weighted_spec, memo)
    return {
        "_loss_tracker": fresh(model._loss_tracker),
        "_compile_loss": closs,
        "_compile_metrics": cm,
        "_custom_logs": None,
    }


@contextlib.contextmanager
def inference_mode(model):
    """``model.eval()`` for the block and the previous mode after.

    A running ``fit`` owns the mode: inside its thread (callbacks) the block switches and
    switches back; in other threads it leaves the mode alone. Without a ``fit``, concurrent
    inference runs switch to eval once and the last one out switches back.
    """
    state = run_state(model)
    me = _get_ident()
    with state.lock:
        fit_thread = state.fit_thread
        if fit_thread is None:
            if state.eval_users == 0:
                state.saved_mode = model.training
                model.eval()
            elif model.training:  # a fit ran meanwhile and left it training
                model.eval()
            state.eval_users += 1
    if fit_thread is not None:
        if fit_thread != me:
            yield
            return
        previous = model.training
        model.eval()
        try:
            yield
        finally:
            model.train(previous)
        return
    try:
        yield
    finally:
        with state.lock:
            state.eval_users -= 1
            if state.eval_users == 0 and state.fit_thread is None:
                model.train(state.saved_mode)
