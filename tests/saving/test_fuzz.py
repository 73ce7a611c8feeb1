"""Mutated `.keras` files: the loader raises only ValueError (never crashes otherwise)."""

import json
import warnings
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ketorch
import ketorch.saving

_STATE = {}


def _valid_file(tmp_path_factory):
    if "bytes" not in _STATE:
        model = ketorch.Sequential(
            [ketorch.Input((3,)), ketorch.layers.Dense(4), ketorch.layers.Dense(1)]
        )
        model.compile("adam", "mse")
        path = tmp_path_factory.mktemp("fuzz") / "ok.keras"
        model.save(str(path))
        _STATE["bytes"] = path.read_bytes()
        with zipfile.ZipFile(path) as z:
            _STATE["config"] = json.loads(z.read("config.json"))
        _STATE["dir"] = path.parent
    return _STATE


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ketorch.saving.load_model(str(path))
        except ValueError:
            pass  # the one documented failure


_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@_SETTINGS
@given(data=st.data())
def test_fuzz_archive_bytes(tmp_path_factory, data):
    state = _valid_file(tmp_path_factory)
    raw = bytearray(state["bytes"])
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = state["dir"] / "mutated.keras"
    path.write_bytes(bytes(raw))
    _load(path)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


@_SETTINGS
@given(data=st.data())
def test_fuzz_config_values(tmp_path_factory, data):
    state = _valid_file(tmp_path_factory)
    config = json.loads(json.dumps(state["config"]))
    paths = [p for p in _paths(config) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        target = data.draw(st.sampled_from(paths))
        node = config
        try:
            for key in target[:-1]:
                node = node[key]
            node[target[-1]] = data.draw(_JSON)
        except (KeyError, IndexError, TypeError):
            continue
    path = state["dir"] / "mutated_config.keras"
    with zipfile.ZipFile(path, "w") as zout, zipfile.ZipFile(state["dir"] / "ok.keras") as zin:
        for info in zin.infolist():
            payload = zin.read(info.filename)
            if info.filename == "config.json":
                payload = json.dumps(config).encode()
            zout.writestr(info.filename, payload)
    _load(path)


pytestmark = pytest.mark.filterwarnings("ignore")
