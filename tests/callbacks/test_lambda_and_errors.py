"""LambdaCallback hooks, stop_training, and a callback that raises inside fit."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import numpy as np
import pytest
from cb_parity import regression_data, twin_models

import ketorch


def _model():
    (x, y), (vx, vy) = regression_data()
    model, _ = twin_models()
    model.compile(ketorch.optimizers.SGD(0.01), "mse")
    return model, x, y, vx, vy


def test_lambda_callback_calls_every_hook():
    model, x, y, vx, vy = _model()
    calls = []
    cb = ketorch.callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_batch_begin=lambda batch, logs: calls.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {sorted(logs)}"),
        on_predict_batch_end=lambda batch, logs: calls.append(f"predict_batch_end {batch}"),
        extra_attribute=5,
    )
    assert cb.extra_attribute == 5
    model.fit(x, y, batch_size=24, epochs=2, verbose=0, validation_data=(vx, vy), callbacks=[cb])
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch_begin 0",
        "batch_end 0 ['loss']",
        "batch_begin 1",
        "batch_end 1 ['loss']",
        "epoch_end 0 ['loss', 'val_loss']",
        "epoch_begin 1",
        "batch_begin 0",
        "batch_end 0 ['loss']",
        "batch_begin 1",
        "batch_end 1 ['loss']",
        "epoch_end 1 ['loss', 'val_loss']",
        "train_end",
    ]
    calls.clear()
    model.predict(x, batch_size=24, verbose=0, callbacks=[cb])
    assert calls == ["predict_batch_end 0", "predict_batch_end 1"]


def test_lambda_callback_keras2_batch_alias():
    model, x, y, _, _ = _model()
    seen = []
    cb = ketorch.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[cb])
    assert seen == [0, 1, 2]


def test_lambda_callback_can_stop_training():
    model, x, y, _, _ = _model()

    def stop(batch, logs):
        if batch == 1:
            model.stop_training = True

    history = model.fit(
        x, y, batch_size=8, epochs=5, verbose=0,
        callbacks=[ketorch.callbacks.LambdaCallback(on_train_batch_end=stop)],
    )  # fmt: skip
    assert history.epoch == [0]


class _Boom(RuntimeError):
    pass


@pytest.mark.parametrize("hook", ["on_epoch_end", "on_train_batch_end", "on_train_begin"])
def test_callback_exception_stops_fit_and_model_stays_usable(hook):
    model, x, y, vx, vy = _model()

    def explode(*args):
        raise _Boom(f"raised in {hook}")

    before = model.predict(vx, verbose=0)
    with pytest.raises(_Boom, match=f"raised in {hook}"):
        model.fit(x, y, epochs=3, verbose=0, validation_data=(vx, vy),
                  callbacks=[ketorch.callbacks.LambdaCallback(**{hook: explode})])  # fmt: skip
    # The model still predicts, evaluates and trains.
    out = model.predict(vx, verbose=0)
    assert out.shape == before.shape and np.isfinite(out).all()
    assert np.isfinite(model.evaluate(vx, vy, verbose=0))
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(vx, vy))
    assert history.epoch == [0, 1]
    assert np.all(np.isfinite(history.history["loss"]))


def test_remote_monitor_posts_epoch_logs():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_port}"
        model, x, y, _, _ = _model()
        model.fit(x, y, epochs=2, verbose=0,
                  callbacks=[ketorch.callbacks.RemoteMonitor(root=root)])  # fmt: skip
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[ketorch.callbacks.RemoteMonitor(root=root, path="/j",
                                                             send_as_json=True)])  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 3
    path, ctype, body = received[0]
    assert path == "/publish/epoch/end/" and ctype == "application/x-www-form-urlencoded"
    data = json.loads(parse_qs(body)["data"][0])
    assert data["epoch"] == 0 and isinstance(data["loss"], float)
    path, ctype, body = received[2]
    assert path == "/j" and ctype == "application/json"
    assert sorted(json.loads(body)) == ["epoch", "loss"]


def test_remote_monitor_unreachable_warns():
    model, x, y, _, _ = _model()
    cb = ketorch.callbacks.RemoteMonitor(root="http://127.0.0.1:9")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
