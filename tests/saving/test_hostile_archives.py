"""Hostile `.keras` archives: members that lie about their size, malformed members, odd dtypes.

Each hostile file is generated here. The cases that would exhaust memory with a
reader that trusts headers run in a child process under a hard address-space
limit (``RLIMIT_AS``) and must fail cleanly within it.
"""

import bz2
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import ketorch
import ketorch.saving
from ketorch import layers
from ketorch.saving import limits

# The child may map this much beyond what it holds once ketorch is imported (~0.7 GiB with a
# CPU build of torch, so ~1.5 GiB of address space in all); every bomb below needs more.
_HEADROOM = 800 << 20
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ------------------------------------------------------------------ helpers
def _small_model():
    model = ketorch.Sequential([ketorch.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.compile("adam", "mse")
    return model


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ok.keras"
    _small_model().save(str(path))
    return path


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _compress(method, data):
    if method == zipfile.ZIP_STORED:
        return data
    if method == zipfile.ZIP_DEFLATED:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if method == zipfile.ZIP_BZIP2:
        return bz2.compress(data)
    raise AssertionError(method)


def _entry(name, data, method=zipfile.ZIP_STORED, **overrides):
    """A member: ``data`` compressed honestly, then any header field overridden."""
    entry = {
        "name": name,
        "raw": _compress(method, data),
        "method": method,
        "size": len(data),
        "crc": zlib.crc32(data),
        "flags": 0,
    }
    entry.update(overrides)
    return entry


def _write_zip(path, entries):
    """Write a zip by hand, so headers can say anything (sizes, flags, methods)."""
    out, central = bytearray(), bytearray()
    for e in entries:
        name = e["name"].encode()
        header = (e["flags"], e["method"], 0, 0x21, e["crc"], len(e["raw"]), e["size"])
        central += struct.pack(
            zipfile.structCentralDir, zipfile.stringCentralDir, 20, 3, 20, 0, *header,
            len(name), 0, 0, 0, 0, 0, len(out),
        ) + name  # fmt: skip
        out += struct.pack(
            zipfile.structFileHeader, zipfile.stringFileHeader, 20, 0, *header, len(name), 0
        )
        out += name + e["raw"]
    end = struct.pack(
        zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, len(entries), len(entries),
        len(central), len(out), 0,
    )  # fmt: skip
    path.write_bytes(bytes(out + central + end))
    return str(path)


def _bzip2_bomb(blocks):
    """One bzip2 stream of ``blocks`` blocks of 40 MB of zeros each (~32 bytes per block).

    Compressing gigabytes would take minutes, so one block is made and its bits
    repeated (bzip2 blocks are bit-aligned), with the stream CRC recomputed.
    """
    one = bz2.compress(b"\0" * 40_000_000, 9)
    bits = bin(int.from_bytes(one, "big"))[2:].zfill(len(one) * 8)
    end_magic = bin(0x177245385090)[2:].zfill(48)
    block = bits[32 : bits.rfind(end_magic)]
    block_crc = int(block[48:80], 2)
    combined = 0
    for _ in range(blocks):
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ block_crc
    stream = bits[:32] + block * blocks + end_magic + bin(combined)[2:].zfill(32)
    stream += "0" * (-len(stream) % 8)
    return int(stream, 2).to_bytes(len(stream) // 8, "big")


def _run_limited(code, args=(), timeout=300):
    """Run ``code`` in a fresh interpreter whose address space is capped (``RLIMIT_AS``)."""
    prelude = textwrap.dedent(
        f"""
        import resource
        import ketorch.saving
        vm = next(line for line in open("/proc/self/status") if line.startswith("VmSize:"))
        cap = int(vm.split()[1]) * 1024 + {_HEADROOM}
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        """
    )
    env = dict(
        os.environ,
        KERAS_BACKEND="torch",
        KETORCH_DEVICE="cpu",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        MALLOC_ARENA_MAX="2",
    )
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=_REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


_CHILD_LOAD = """
import json, resource, sys, warnings
warnings.simplefilter("ignore")
import ketorch.saving
for path in sys.argv[1:]:
    try:
        ketorch.saving.load_model(path)
        result = {"path": path, "error": None}
    except Exception as e:  # the parent checks the type and message
        result = {"path": path, "error": type(e).__name__, "is_value_error":
                  isinstance(e, ValueError), "message": str(e)[:500]}
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(result), flush=True)
"""


def _load_in_child(paths):
    return _run_limited(_CHILD_LOAD, paths)


# ------------------------------------------------------------------ lying sizes (memory-bound)
_LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs RLIMIT_AS and /proc"
)


@_LINUX_ONLY
def test_members_lying_about_size_stay_within_memory(saved, tmp_path):
    members = _members(saved)
    bomb = _bzip2_bomb(45)  # 1.8 GB once inflated, more than the child may map
    lying_weights = _write_zip(
        tmp_path / "weights_bomb.keras",
        [
            _entry("metadata.json", members["metadata.json"]),
            _entry("config.json", members["config.json"]),
            _entry("model.weights.h5", b"", zipfile.ZIP_BZIP2, raw=bomb, size=4096, crc=0),
        ],
    )
    lying_config = _write_zip(
        tmp_path / "config_bomb.keras",
        [
            _entry("config.json", b"", zipfile.ZIP_BZIP2, raw=bomb, size=300, crc=0),
            _entry("model.weights.h5", members["model.weights.h5"]),
        ],
    )
    results = _load_in_child([lying_weights, lying_config, saved])
    assert len(results) == 3
    for result, member in zip(results[:2], ["model.weights.h5", "config.json"]):
        assert result["is_value_error"], result
        assert f"'{member}'" in result["message"], result
        assert "more than the" in result["message"] and "header declares" in result["message"]
    assert results[2]["error"] is None, results[2]  # the honest file loads in the same cap


@_LINUX_ONLY
def test_padded_weights_do_not_raise_the_weight_budget(saved, tmp_path):
    """300 MB of padding after the HDF5 data (deflated: ~1 MB) must not let the config
    allocate a 1.2 GB kernel: the budget counts the datasets really in the file."""
    members = _members(saved)
    config = json.loads(members["config.json"])
    input_layer, dense = config["config"]["layers"][:2]
    input_layer["config"]["batch_shape"] = [None, 3000]
    dense["build_config"]["input_shape"] = [None, 3000]
    dense["config"]["units"] = 100_000  # a (3000, 100000) float32 kernel: 1.2 GB
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    crc, size, raw = 0, 0, bytearray()
    zeros, noise = b"\0" * (1 << 20), os.urandom(2000)  # noise keeps every stretch < 1000:1
    pieces = [members["model.weights.h5"]] + [zeros, noise] * 300
    for piece in pieces:
        crc, size = zlib.crc32(piece, crc), size + len(piece)
        raw += deflate.compress(piece)
    raw += deflate.flush()
    assert size / len(raw) < limits.MAX_EXPANSION  # passes the ratio check
    padded = _write_zip(
        tmp_path / "padded.keras",
        [
            _entry("config.json", json.dumps(config).encode()),
            _entry(
                "model.weights.h5", b"", zipfile.ZIP_DEFLATED, raw=bytes(raw), size=size, crc=crc
            ),
        ],
    )
    (result,) = _load_in_child([padded])
    assert result["error"] == "LimitError", result
    assert "more than the weights file holds" in result["message"], result


# ------------------------------------------------------------------ lying sizes (in process)
def test_member_shorter_than_its_header(saved, tmp_path):
    """A deflate stream followed by junk, whose header claims 100 MB: refused, not trusted."""
    members = _members(saved)
    weights = members["model.weights.h5"]
    raw = _compress(zipfile.ZIP_DEFLATED, weights) + os.urandom(200_000)
    bad = _write_zip(
        tmp_path / "short.keras",
        [
            _entry("config.json", members["config.json"]),
            _entry(
                "model.weights.h5", b"", zipfile.ZIP_DEFLATED, raw=raw, size=100 << 20,
                crc=zlib.crc32(weights),
            ),
        ],
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"'model.weights.h5' holds \d+ bytes but its header"):
        ketorch.saving.load_model(bad)
    model = _small_model()
    with pytest.raises(ValueError, match="'model.weights.h5'"):
        model.load_weights(bad)


def test_streaming_ratio_and_limits_name_the_member(saved, tmp_path, monkeypatch):
    members = _members(saved)
    config = members["config.json"] + b" " * (3 << 20)  # valid JSON, compresses ~1000-fold
    raw = _compress(zipfile.ZIP_DEFLATED, config)
    bad = _write_zip(
        tmp_path / "ratio.keras",
        [
            _entry(
                "config.json", b"", zipfile.ZIP_DEFLATED, raw=raw + os.urandom(1 << 20),
                size=len(config), crc=zlib.crc32(config),
            ),  # the junk makes the header's ratio look harmless (3:1)
            _entry("model.weights.h5", members["model.weights.h5"]),
        ],
    )  # fmt: skip
    ketorch.saving.load_model(bad)  # within the default limits: loads
    monkeypatch.setattr(limits, "MAX_EXPANSION", 20)
    with pytest.raises(limits.LimitError, match=r"'config.json' expands more than .*MAX_EXPANSION"):
        ketorch.saving.load_model(bad)
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 1 << 20)
    with pytest.raises(limits.LimitError, match=r"'config.json' declares .*MAX_CONFIG_BYTES"):
        ketorch.saving.load_model(bad)
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_ARCHIVE_BYTES", 2 << 20)
    with pytest.raises(limits.LimitError, match=r"'config.json' passes .*MAX_ARCHIVE_BYTES"):
        ketorch.saving.load_model(bad)
    monkeypatch.undo()
    monkeypatch.setattr(limits, "MAX_WEIGHTS_BYTES", 100)
    with pytest.raises(limits.LimitError, match=r"'model.weights.h5' declares .*MAX_WEIGHTS_BY"):
        ketorch.saving.load_model(saved)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compressed_archives_still_load(saved, tmp_path, method):
    """Honest archives re-zipped with each method zipfile writes load exactly."""
    model = ketorch.saving.load_model(str(saved))
    repacked = tmp_path / "repacked.keras"
    with zipfile.ZipFile(repacked, "w", compression=method) as z:
        for name, data in _members(saved).items():
            z.writestr(name, data)
    loaded = ketorch.saving.load_model(str(repacked))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_corrupted_compressed_member(saved, tmp_path):
    members = _members(saved)
    weights = members["model.weights.h5"]
    raw = bytearray(_compress(zipfile.ZIP_DEFLATED, weights))
    raw[len(raw) // 2] ^= 0xFF
    bad = _write_zip(
        tmp_path / "crc.keras",
        [
            _entry("config.json", members["config.json"]),
            _entry(
                "model.weights.h5", b"", zipfile.ZIP_DEFLATED, raw=bytes(raw), size=len(weights),
                crc=zlib.crc32(weights),
            ),
        ],
    )  # fmt: skip
    with pytest.raises(ValueError, match="'model.weights.h5'"):
        ketorch.saving.load_model(bad)


# ------------------------------------------------------------------ malformed members
def test_encrypted_member_is_a_value_error(saved, tmp_path):
    members = _members(saved)
    bad = _write_zip(
        tmp_path / "encrypted.keras",
        [
            _entry("config.json", members["config.json"], flags=0x1),
            _entry("model.weights.h5", members["model.weights.h5"]),
        ],
    )
    with pytest.raises(ValueError, match="'config.json' is encrypted"):
        ketorch.saving.load_model(bad)


def test_unknown_compression_method(saved, tmp_path):
    members = _members(saved)
    bad = _write_zip(
        tmp_path / "method.keras",
        [
            _entry("config.json", members["config.json"]),
            {**_entry("model.weights.h5", members["model.weights.h5"]), "method": 99},
        ],
    )
    with pytest.raises(ValueError, match="'model.weights.h5' uses zip compression method 99"):
        ketorch.saving.load_model(bad)


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"assets/a": b"x", "assets/a/b": b"y"}, "'assets/a' is a file, but 'assets/a/b'"),
        ({"assets/a/b": b"x", "assets/a//b": b"y"}, "'assets/a/b' and 'assets/a//b' name"),
    ],
)
def test_conflicting_asset_paths(saved, tmp_path, extra, message):
    members = _members(saved)
    entries = [_entry(name, data) for name, data in {**members, **extra}.items()]
    bad = _write_zip(tmp_path / "assets.keras", entries)
    with pytest.raises(ValueError, match=message):
        ketorch.saving.load_model(bad)


# ------------------------------------------------------------------ valid numpy dtypes
_DTYPES = [">f4", ">f8", "<f8", ">f2", "<f2"]


@pytest.mark.parametrize("dtype", _DTYPES)
def test_other_byte_orders_and_float_widths_load(tmp_path, dtype):
    model = _small_model()
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    path = tmp_path / "w.weights.h5"
    model.save_weights(str(path))
    with h5py.File(path, "a") as f:
        datasets = []
        f.visititems(
            lambda name, obj: datasets.append(name) if isinstance(obj, h5py.Dataset) else None
        )
        for name in datasets:
            data = f[name][()]
            target = np.dtype(dtype) if data.dtype.kind == "f" else data.dtype.newbyteorder(">")
            del f[name]
            f.create_dataset(name, data=np.asarray(data).astype(target))
        assert f["layers/dense/vars/0"].dtype == np.dtype(dtype)
        assert f["optimizer/vars/0"].dtype.byteorder == ">"
    fresh = _small_model()
    fresh.fit(np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32"), epochs=2, verbose=0)
    fresh.load_weights(str(path))
    tol = 1e-3 if dtype.endswith("2") else 0
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=tol, rtol=tol)
    assert int(fresh.optimizer.iterations) == int(model.optimizer.iterations)
    # The same weights inside a .keras archive, and in a legacy .h5 file.
    archive = tmp_path / "m.keras"
    model.save(str(archive))
    with zipfile.ZipFile(archive) as z:
        rest = {n: z.read(n) for n in z.namelist() if n != "model.weights.h5"}
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in rest.items():
            z.writestr(name, data)
        z.write(path, "model.weights.h5")
    loaded = ketorch.saving.load_model(str(archive))
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=tol * 10, rtol=tol
    )


def test_big_endian_legacy_h5_loads(tmp_path):
    model = _small_model()
    path = tmp_path / "m.h5"
    with pytest.warns(UserWarning, match="legacy"):
        model.save(str(path))
    with h5py.File(path, "a") as f:
        names = []
        f["model_weights"].visititems(
            lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None
        )
        for name in names:
            data = f["model_weights"][name][()]
            del f["model_weights"][name]
            f["model_weights"].create_dataset(name, data=data.astype(">f8"))
    fresh = _small_model()
    fresh.load_weights(str(path))
    fresh.load_weights(str(path), by_name=True)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    loaded = ketorch.saving.load_model(str(path))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
