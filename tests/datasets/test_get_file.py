"""`get_file`: Keras's cache layout, hash checks, atomic and resumable downloads, offline errors."""

import hashlib
import os

import pytest

import ketorch
from ketorch.utils.download import DownloadError
from ketorch.utils.file_utils import get_file, hash_file, validate_file

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB, several read chunks


def _listing(folder):
    """Every file below `folder`, hidden ones included, as relative paths."""
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, f), folder) for f in files]
    return sorted(out)


def test_public_name():
    assert ketorch.utils.get_file is get_file


def test_downloads_into_keras_cache_once(file_server, keras_home):
    file_server.files["data.bin"] = PAYLOAD
    path = get_file("data.bin", origin=file_server.url("data.bin"))
    assert path == str(keras_home / "datasets" / "data.bin")
    assert open(path, "rb").read() == PAYLOAD
    assert _listing(keras_home) == ["datasets/data.bin"]  # no temporary file left
    assert get_file("data.bin", origin=file_server.url("data.bin")) == path
    assert file_server.hits("data.bin") == 1  # the second call used the cache


def test_name_from_origin_cache_dir_and_subdir(file_server, tmp_path):
    file_server.files["nested/table.csv"] = b"a,b\n1,2\n"
    path = get_file(
        origin=file_server.url("nested/table.csv"), cache_dir=tmp_path, cache_subdir="x"
    )
    assert path == str(tmp_path / "x" / "table.csv")
    absolute = tmp_path / "elsewhere"
    path = get_file("t.csv", file_server.url("nested/table.csv"), cache_dir=tmp_path,
                    cache_subdir=str(absolute))  # fmt: skip
    assert path == str(absolute / "t.csv")


@pytest.mark.parametrize("algorithm", ["sha256", "md5"])
def test_hash_checked_after_download(file_server, keras_home, algorithm):
    file_server.files["data.bin"] = PAYLOAD
    good = hashlib.new(algorithm, PAYLOAD).hexdigest()
    path = get_file("data.bin", origin=file_server.url("data.bin"), file_hash=good)
    assert validate_file(path, good) and hash_file(path, algorithm) == good
    bad = "0" * len(good)
    with pytest.raises(ValueError, match=f"hash is {good}, expected {bad}"):
        get_file("other.bin", origin=file_server.url("data.bin"), file_hash=bad)
    assert _listing(keras_home) == ["datasets/data.bin"]  # the bad download was not kept


def test_md5_hash_argument(file_server, tmp_path):
    file_server.files["f"] = PAYLOAD
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    assert os.path.isfile(get_file("f", file_server.url("f"), md5_hash=md5, cache_dir=tmp_path))
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("f", file_server.url("f"), file_hash=md5, hash_algorithm="sha1")


def test_stale_cached_file_is_downloaded_again(file_server, keras_home):
    target = keras_home / "datasets" / "data.bin"
    target.parent.mkdir()
    target.write_bytes(b"an older, truncated copy")
    file_server.files["data.bin"] = PAYLOAD
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    assert get_file("data.bin", file_server.url("data.bin"), file_hash=sha) == str(target)
    assert target.read_bytes() == PAYLOAD and file_server.hits("data.bin") == 1


def test_stale_cached_file_offline_is_a_clear_error(keras_home, dead_url):
    target = keras_home / "datasets" / "data.bin"
    target.parent.mkdir()
    target.write_bytes(b"wrong bytes")
    with pytest.raises(DownloadError, match="wrong hash") as info:
        get_file("data.bin", f"{dead_url}/data.bin", file_hash="a" * 64)
    assert str(target) in str(info.value)
    assert target.read_bytes() == b"wrong bytes"  # a failed refresh does not destroy it


def test_offline_without_cached_file_names_file_url_and_place(keras_home, dead_url):
    origin = f"{dead_url}/mnist.npz"
    with pytest.raises(DownloadError) as info:
        get_file("mnist.npz", origin=origin)
    message = str(info.value)
    assert "'mnist.npz'" in message and origin in message
    assert str(keras_home / "datasets" / "mnist.npz") in message
    assert _listing(keras_home) == []


def test_cached_file_is_used_without_network(keras_home, dead_url):
    target = keras_home / "datasets" / "notes.txt"
    target.parent.mkdir()
    target.write_text("cached")
    sha = hashlib.sha256(b"cached").hexdigest()
    assert get_file("notes.txt", f"{dead_url}/notes.txt", file_hash=sha) == str(target)


def test_interrupted_download_leaves_nothing(file_server, keras_home):
    file_server.files["big.bin"] = PAYLOAD
    file_server.modes["big.bin"] = "drop_always"
    with pytest.raises(DownloadError, match="connection closed after"):
        get_file("big.bin", origin=file_server.url("big.bin"))
    assert _listing(keras_home) == []


def test_dropped_connection_resumes_with_range(file_server, keras_home):
    file_server.files["big.bin"] = PAYLOAD
    file_server.modes["big.bin"] = "drop_once"
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    path = get_file("big.bin", origin=file_server.url("big.bin"), file_hash=sha)
    assert open(path, "rb").read() == PAYLOAD
    assert file_server.requests == [("big.bin", None), ("big.bin", f"bytes={len(PAYLOAD) // 2}-")]
    assert _listing(keras_home) == ["datasets/big.bin"]


def test_resume_refused_by_server_restarts(file_server, tmp_path):
    file_server.files["big.bin"] = PAYLOAD
    file_server.modes["big.bin"] = "drop_once_no_range"
    path = get_file("big.bin", origin=file_server.url("big.bin"), cache_dir=tmp_path)
    assert open(path, "rb").read() == PAYLOAD and file_server.hits("big.bin") == 2


def test_http_error_is_reported(file_server, keras_home):
    with pytest.raises(DownloadError, match="HTTP error 404"):
        get_file("missing.bin", origin=file_server.url("missing.bin"))
    assert _listing(keras_home) == []


def test_force_download_replaces_cached_copy(file_server, keras_home):
    file_server.files["data.bin"] = b"first"
    path = get_file("data.bin", origin=file_server.url("data.bin"))
    file_server.files["data.bin"] = b"second"
    assert open(get_file("data.bin", origin=file_server.url("data.bin")), "rb").read() == b"first"
    get_file("data.bin", origin=file_server.url("data.bin"), force_download=True)
    assert open(path, "rb").read() == b"second"
    assert _listing(keras_home) == ["datasets/data.bin"]


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="origin"):
        get_file("a.txt", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="not a path"):
        get_file(os.path.join("sub", "a.txt"), origin="http://127.0.0.1:1/a", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="pass `fname`"):
        get_file(origin="http://127.0.0.1:1/", cache_dir=tmp_path)


def test_same_file_as_keras_get_file(file_server, tmp_path):
    import keras

    file_server.files["data.bin"] = PAYLOAD
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    (tmp_path / "k").mkdir()  # Keras falls back to /tmp/.keras for a missing cache_dir
    theirs = keras.utils.get_file("data.bin", file_server.url("data.bin"), file_hash=sha,
                                  cache_dir=str(tmp_path / "k"))  # fmt: skip
    ours = get_file("data.bin", file_server.url("data.bin"), file_hash=sha,
                    cache_dir=str(tmp_path / "o"))  # fmt: skip
    assert os.path.relpath(theirs, tmp_path / "k") == os.path.relpath(ours, tmp_path / "o")
    assert open(theirs, "rb").read() == open(ours, "rb").read()


def test_keyboard_interrupt_mid_download_leaves_nothing(file_server, keras_home, monkeypatch):
    from ketorch.utils import download

    def interrupt(state, done):
        raise KeyboardInterrupt

    file_server.files["big.bin"] = PAYLOAD
    monkeypatch.setattr(download, "_show", interrupt)
    with pytest.raises(KeyboardInterrupt):
        get_file("big.bin", origin=file_server.url("big.bin"))
    assert _listing(keras_home) == []
