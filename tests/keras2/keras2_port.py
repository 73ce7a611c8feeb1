"""Port a Keras 2 era library to ketorch the way a user would: change its import lines.

`port_packages` copies installed (or downloaded) packages into a folder and rewrites
``from tensorflow import keras``, ``import keras``, ``from keras.x import y``,
``from tensorflow.keras.x import y`` and ``keras.backend as K`` lines to ketorch.
Nothing else in the sources changes, unless the caller passes replacement files for
code that uses TensorFlow itself (not Keras).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

_RULES = [
    (re.compile(r"^(\s*)from tensorflow import keras\s*$"), r"\1import ketorch as keras"),
    (re.compile(r"^(\s*)import tensorflow\.keras as (\w+)\s*$"), r"\1import ketorch as \2"),
    (re.compile(r"^(\s*)from tensorflow(?:\.python)?\.keras(\.[\w.]+)? import "), r"\1from ketorch\2 import "),
    (re.compile(r"^(\s*)import keras\s*$"), r"\1import ketorch as keras"),
    (re.compile(r"^(\s*)import keras\.([\w.]+) as (\w+)\s*$"), r"\1import ketorch.\2 as \3"),
    (re.compile(r"^(\s*)from keras(\.[\w.]+)? import "), r"\1from ketorch\2 import "),
]  # fmt: skip


def rewrite_imports(source: str) -> str:
    """``source`` with its Keras import lines pointed at ketorch."""
    out = []
    for line in source.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        for pattern, repl in _RULES:
            if pattern.match(body):
                body = pattern.sub(repl, body)
                break
        out.append(body + line[len(line.rstrip("\r\n")) :])
    return "".join(out)


def installed_package_dir(name: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def download_packages(requirements: list[str], into: Path) -> dict[str, Path]:
    """``pip download --no-deps`` the sdists and unpack them; ``{package: folder}``.

    Raises:
        RuntimeError: If pip cannot fetch them (offline).
    """
    into.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    done = subprocess.run(
        cmd + ["-d", str(into), *requirements], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    found = {}
    for archive in into.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    for init in into.glob("*/*/__init__.py"):
        found[init.parent.name] = init.parent
    return found


def port_packages(
    names: list[str],
    dest: Path,
    sources: dict[str, Path] | None = None,
    replacements: dict[str, str] | None = None,
) -> Path:
    """Copy packages into ``dest`` with their Keras imports rewritten; returns ``dest``.

    Args:
        names: Top-level package names (``keras_bert``...).
        dest: The folder to put on ``sys.path``.
        sources: ``{name: folder}`` of unpacked sources; installed packages otherwise.
        replacements: ``{"pkg/relative/path.py": new source}`` for files whose code
            needs TensorFlow itself.
    """
    for name in names:
        src = (sources or {}).get(name) or installed_package_dir(name)
        if src is None:
            raise FileNotFoundError(f"package {name} is neither installed nor downloaded")
        shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        for path in (dest / name).rglob("*.py"):
            path.write_text(rewrite_imports(path.read_text(encoding="utf-8")), encoding="utf-8")
    for rel, text in (replacements or {}).items():
        (dest / rel).write_text(text, encoding="utf-8")
    return dest


def forget_modules(names: list[str]) -> None:
    """Drop the ported packages from ``sys.modules`` (so other tests see the originals)."""
    for key in list(sys.modules):
        if key.split(".")[0] in names:
            del sys.modules[key]


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ketorch_port_"))
