"""The glibc allocator settings applied at import (``ketorch.utils.allocator``)."""

import platform
import resource
import subprocess
import sys

import pytest
import torch

import ketorch  # noqa: F401 - importing ketorch applies the settings
from ketorch.utils.allocator import allocator_tuned, tune_allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="the settings only exist in glibc")
def test_import_applies_settings():
    assert allocator_tuned()
    assert tune_allocator() is True


@pytest.mark.skipif(not GLIBC, reason="the settings only exist in glibc")
def test_large_buffers_are_reused_without_page_faults():
    # 64 MiB is above glibc's largest mmap threshold: untuned, every allocation is a fresh
    # mmap whose 16k pages fault in again when written.
    def churn():
        for _ in range(10):
            t = torch.empty(16 << 20)
            t.fill_(1.0)
            del t

    churn()  # the heap grows once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    churn()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    assert faults < 2000, faults  # untuned: about 10 x 16,384


def _tuned_in_subprocess(env_value):
    code = "import ketorch.utils.allocator as a, ketorch; print(a.allocator_tuned())"
    env = {"KETORCH_MALLOC_TUNING": env_value, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not GLIBC, reason="the settings only exist in glibc")
def test_env_var_opts_out():
    assert _tuned_in_subprocess("0") == "False"
    assert _tuned_in_subprocess("1") == "True"
