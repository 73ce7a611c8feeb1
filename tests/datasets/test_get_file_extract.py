"""`get_file(extract=True)`: Keras's folder names, safe and atomic extraction."""

import io
import os
import tarfile
import zipfile

import pytest

from ketorch.utils.archive_extraction import ArchiveError
from ketorch.utils.file_utils import get_file


def _tar(members, mode="w:gz"):
    """A tar archive of ``{name: bytes}``; a value ``("sym"|"lnk", target)`` makes a link."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(content, tuple):
                info.type = tarfile.SYMTYPE if content[0] == "sym" else tarfile.LNKTYPE
                info.linkname = content[1]
                tf.addfile(info)
            else:
                info.size = len(content)
                tf.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def _tree(folder):
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            path = os.path.join(root, f)
            out[os.path.relpath(path, folder)] = open(path, "rb").read()
    return out


GOOD = {"pack/a.txt": b"alpha", "pack/sub/b.txt": b"beta"}


@pytest.mark.parametrize(
    "fname, served, archive",
    [
        ("pack.tar.gz", "pack.tar.gz", "tar"),  # a name with a dot: <stem>_extracted/
        ("pack", "pack.tar.gz", "tar"),  # a name without: <name>/ and <name>_archive
        (None, "pack.tgz", "tar"),  # the origin's name
        ("pack.zip", "pack.zip", "zip"),
    ],
)
def test_layout_and_content_match_keras(file_server, tmp_path, fname, served, archive):
    import keras

    file_server.files[served] = _tar(GOOD) if archive == "tar" else _zip(GOOD)
    (tmp_path / "k").mkdir()
    theirs = keras.utils.get_file(fname, file_server.url(served), extract=True,
                                  cache_dir=str(tmp_path / "k"))  # fmt: skip
    ours = get_file(fname, file_server.url(served), extract=True, cache_dir=str(tmp_path / "o"))
    assert os.path.relpath(ours, tmp_path / "o") == os.path.relpath(theirs, tmp_path / "k")
    assert _tree(ours) == _tree(theirs) == {os.path.normpath(k): v for k, v in GOOD.items()}
    assert sorted(os.listdir(tmp_path / "o" / "datasets")) == sorted(
        os.listdir(tmp_path / "k" / "datasets")
    )


def test_untar_and_extracted_folder_reused(file_server, tmp_path):
    file_server.files["p.tar"] = _tar(GOOD, mode="w")
    path = get_file("p", file_server.url("p.tar"), untar=True, cache_dir=tmp_path)
    assert path == str(tmp_path / "datasets" / "p")
    with open(os.path.join(path, "pack", "a.txt"), "wb") as f:
        f.write(b"edited")  # the cached extraction is used as it is...
    assert get_file("p", file_server.url("p.tar"), untar=True, cache_dir=tmp_path) == path
    assert open(os.path.join(path, "pack", "a.txt"), "rb").read() == b"edited"
    get_file("p", file_server.url("p.tar"), untar=True, cache_dir=tmp_path, force_download=True)
    assert _tree(path) == {os.path.normpath(k): v for k, v in GOOD.items()}  # ...until refreshed
    assert file_server.hits("p.tar") == 2


def test_archive_cached_without_its_extraction_is_extracted_offline(tmp_path, dead_url):
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "pack_archive").write_bytes(_tar(GOOD))
    path = get_file("pack", f"{dead_url}/pack.tar.gz", extract=True, cache_dir=tmp_path)
    assert _tree(path) == {os.path.normpath(k): v for k, v in GOOD.items()}


@pytest.mark.parametrize(
    "members",
    [
        {"ok.txt": b"x", "../evil.txt": b"owned"},
        {"/tmp/ketorch_abs_evil.txt": b"owned"},
        {"link": ("sym", "../../outside"), "ok.txt": b"x"},
        {"link": ("sym", "/etc/passwd")},
        {"hard": ("lnk", "../../outside")},
        {"dir/link": ("sym", ".."), "dir/link/../../evil.txt": b"owned"},
    ],
    ids=["dotdot", "absolute", "symlink-out", "symlink-abs", "hardlink-out", "via-link"],
)
def test_tar_escaping_its_folder_is_refused(file_server, tmp_path, members):
    file_server.files["bad.tar.gz"] = _tar(members)
    cache = tmp_path / "cache"
    with pytest.raises(ArchiveError, match="Refusing to extract"):
        get_file("bad", file_server.url("bad.tar.gz"), extract=True, cache_dir=cache)
    assert os.listdir(cache / "datasets") == []  # no extraction, and the download is gone
    assert not (tmp_path / "evil.txt").exists() and not (cache / "evil.txt").exists()
    assert not os.path.exists("/tmp/ketorch_abs_evil.txt")


def test_zip_escaping_its_folder_is_refused(file_server, tmp_path):
    file_server.files["bad.zip"] = _zip({"fine.txt": b"x", "../../evil.txt": b"owned"})
    with pytest.raises(ArchiveError, match="evil.txt"):
        get_file("bad.zip", file_server.url("bad.zip"), extract=True, cache_dir=tmp_path / "c")
    assert os.listdir(tmp_path / "c" / "datasets") == []
    assert not (tmp_path / "evil.txt").exists()


def test_link_inside_the_archive_is_allowed(file_server, tmp_path):
    file_server.files["l.tar.gz"] = _tar({"d/a.txt": b"a", "d/alias": ("sym", "a.txt")})
    path = get_file("l", file_server.url("l.tar.gz"), extract=True, cache_dir=tmp_path)
    assert open(os.path.join(path, "d", "alias"), "rb").read() == b"a"


def test_truncated_download_of_archive_is_not_kept(file_server, tmp_path):
    whole = _tar({f"f{i}.bin": os.urandom(20000) for i in range(5)})
    file_server.files["t.tar.gz"] = whole[: len(whole) // 2]  # the server itself is wrong
    with pytest.raises(ArchiveError, match="damaged or incomplete"):
        get_file("t", file_server.url("t.tar.gz"), extract=True, cache_dir=tmp_path)
    assert os.listdir(tmp_path / "datasets") == []


def test_not_an_archive(file_server, tmp_path):
    file_server.files["page.html"] = b"<html>Sorry, moved</html>"
    with pytest.raises(ArchiveError, match="not an archive"):
        get_file("page", file_server.url("page.html"), extract=True, cache_dir=tmp_path)
    assert os.listdir(tmp_path / "datasets") == []


def test_corrupt_cached_archive_is_a_clear_error(tmp_path, dead_url):
    whole = _tar({"a.bin": os.urandom(50000)})
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "pack_archive").write_bytes(whole[:-3000])
    with pytest.raises(ArchiveError, match="force_download=True"):
        get_file("pack", f"{dead_url}/pack.tar.gz", extract=True, cache_dir=tmp_path)
    assert os.listdir(datasets) == ["pack_archive"]  # no half-extracted folder
