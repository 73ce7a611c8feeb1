import io
import os
import re
import sys
import time

import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402

from ketorch.utils import Progbar  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeStdout(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


class FakeClock:
    def __init__(self, step=0.001):
        self.now = 1000.0
        self.step = step

    def __call__(self):
        return self.now

    def tick(self, seconds=None):
        self.now += self.step if seconds is None else seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(time, "time", fake)
    return fake


def _run(monkeypatch, clock, make_bar, steps=25, tty=True, values=None, tick=0.001):
    out = FakeStdout(tty)
    monkeypatch.setattr(sys, "stdout", out)
    bar = make_bar()
    for i in range(steps):
        clock.tick(tick)
        vals = values(i) if values else [("accuracy", 0.3025), ("loss", 1.13869)]
        bar.update(i + 1, vals)
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    return out.getvalue()


def _last_line(text):
    return ANSI.sub("", text.rstrip("\n").split("\r")[-1])


def test_tty_output_is_byte_identical_to_keras(monkeypatch, clock):
    ours = _run(monkeypatch, clock, lambda: Progbar(25), tick=0.02)
    ref = _run(monkeypatch, clock, lambda: keras.utils.Progbar(25, stateful_metrics=()), tick=0.02)
    # Keras averages the values itself here, but they are constant, so the text must agree
    # byte for byte, redraw prefixes and colours included.
    assert ours == ref
    assert ours.endswith("\n")


def test_final_line_format(monkeypatch, clock):
    text = _run(monkeypatch, clock, lambda: Progbar(25))
    assert "\x1b[32m" in text and "\x1b[1m25/25\x1b[0m" in text
    line = _last_line(text)
    assert re.fullmatch(
        r"25/25 ━{20} \d+s \d+(s|ms|us)/step - accuracy: 0\.3025 - loss: 1\.1387", line
    ), line


def test_eta_while_running_and_long_eta_format(monkeypatch, clock):
    out = FakeStdout(True)
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(1000)
    clock.tick(1.0)
    bar.update(1)
    clock.tick(2.0)
    bar.update(2)  # 2 s/step after the first step -> 998 * 2 s = 0:33:16
    line = _last_line(out.getvalue())
    assert re.fullmatch(r"   2/1000 ━{20} 33:16 2s/step", line), line
    clock.tick(10.0)
    bar.update(3)  # 6 s/step -> 997 * 6 s = 1:39:42
    assert _last_line(out.getvalue()).startswith("   3/1000 ━━━━━━━━━━━━━━━━━━━━ 1:39:42 6s/step")


def test_shorter_line_erases_longer_one(monkeypatch, clock):
    out = FakeStdout(True)
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(10)
    clock.tick(1.0)
    bar.update(1, [("loss", 1.0), ("long_metric_name", 2.0)])
    first_width = len(_last_line(out.getvalue()))
    clock.tick(1.0)
    bar.update(2, [("loss", 1.0)], finalize=True)
    text = out.getvalue()
    second = text.split("\r")[-1]
    assert text.count("\b") >= first_width
    assert len(ANSI.sub("", second.rstrip("\n"))) == first_width


def test_non_tty_prints_one_line_per_epoch(monkeypatch, clock):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    text = ""
    for _ in range(2):
        text += _run(monkeypatch, clock, lambda: Progbar(25), tty=False, tick=0.5)
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 3
    assert "\r" not in text and "\b" not in text and "\x1b" not in text
    assert re.fullmatch(
        r"25/25 ━{20} \d+s \d+ms/step - accuracy: 0\.3025 - loss: 1\.1387", lines[0]
    ), lines[0]


def test_non_tty_early_stop_finalize(monkeypatch, clock):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    out = FakeStdout(False)
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(10)
    for i in range(4):
        clock.tick(0.1)
        bar.update(i + 1)
    assert out.getvalue() == ""
    bar.update(4, finalize=True)
    assert out.getvalue().startswith(" 4/10 ━━━━━━━━────────────")


def test_verbose_2_single_line(monkeypatch, clock):
    text = _run(
        monkeypatch,
        clock,
        lambda: Progbar(3, verbose=2),
        steps=3,
        tick=0.4,
        values=lambda i: [("accuracy", 0.4625), ("loss", 0.7187), ("val_loss", 0.00001)],
    )
    assert text.count("\n") == 1
    assert re.fullmatch(
        r"3/3 - 1s - 400ms/step - accuracy: 0\.4625 - loss: 0\.7187 - val_loss: 1\.0000e-05\n",
        text,
    ), text


def test_verbose_2_matches_keras(monkeypatch, clock):
    vals = lambda i: [("loss", 0.5), ("mse", 2.0)]  # noqa: E731
    ours = _run(monkeypatch, clock, lambda: Progbar(30, verbose=2), steps=30, values=vals)
    ref = _run(
        monkeypatch, clock, lambda: keras.utils.Progbar(30, verbose=2), steps=30, values=vals
    )
    assert ours == ref


def test_verbose_0_is_silent(monkeypatch, clock):
    assert _run(monkeypatch, clock, lambda: Progbar(5, verbose=0), steps=5) == ""


def test_unknown_target(monkeypatch, clock):
    out = FakeStdout(True)
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(None)
    for _ in range(3):
        clock.tick(0.1)
        bar.add(1, [("loss", 0.25)])
    line = _last_line(out.getvalue())
    assert re.fullmatch(r"      3/Unknown \d+s 100ms/step - loss: 0\.2500", line), line
    assert not out.getvalue().endswith("\n")
    bar.update(3, finalize=True)
    assert out.getvalue().endswith("\n")


def test_tensor_values_and_small_values(monkeypatch, clock):
    text = _run(
        monkeypatch,
        clock,
        lambda: Progbar(4),
        steps=4,
        values=lambda i: [("loss", torch.tensor(0.12345)), ("tiny", torch.tensor(-0.0002))],
    )
    assert _last_line(text).endswith("- loss: 0.1235 - tiny: -2.0000e-04")


def test_values_shown_as_given_and_stateless_opt_in(monkeypatch, clock):
    vals = lambda i: [("a", float(i + 1)), ("b", float(i + 1))]  # noqa: E731
    text = _run(
        monkeypatch, clock, lambda: Progbar(4, stateless_metrics=["b"]), steps=4, values=vals
    )
    # "a" is the last value; "b" is averaged by the bar: (1+2+3+4)/4, but the final update
    # resets the average to the final value like Keras does.
    assert _last_line(text).endswith("- a: 4.0000 - b: 4.0000")
    out = FakeStdout(True)
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(10, stateless_metrics=["b"], interval=0.0)
    for i in range(4):
        clock.tick(0.1)
        bar.update(i + 1, [("b", float(i + 1))])
    assert _last_line(out.getvalue()).endswith("- b: 2.5000")


def test_tensors_read_only_when_drawing(monkeypatch, clock):
    class Counting:
        reads = 0

        def detach(self):
            return self

        def numel(self):
            return 1

        def __float__(self):
            Counting.reads += 1
            return 0.5

    out = FakeStdout(True)
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(1000)
    value = Counting()
    for i in range(1000):
        clock.tick(0.001)  # 1 ms per step, redraw every 50 ms
        bar.update(i + 1, [("loss", value)])
    assert Counting.reads <= 25


def test_invalid_verbose():
    with pytest.raises(ValueError, match="Received: verbose=3"):
        Progbar(3, verbose=3)
