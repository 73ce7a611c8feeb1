"""A training process killed with SIGKILL resumes from its backup and ends where an
uninterrupted run ends (weights, optimizer state and RNG state restored)."""

import multiprocessing
import os

import numpy as np
import pytest
from resume_job import train


def _run(out_dir, mode):
    """Run the job in a forked child (no re-import: fast); return its exit code."""
    child = multiprocessing.get_context("fork").Process(target=train, args=(str(out_dir), mode))
    child.start()
    child.join(300)
    return child.exitcode


def _weights(path):
    with np.load(path) as data:
        return [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.skipif(os.name == "nt", reason="needs fork and SIGKILL")
def test_sigkill_during_fit_then_resume_matches_uninterrupted(tmp_path):
    # The reference run happens here; it also warms up the process the children fork from.
    train(str(tmp_path), "full")
    assert _run(tmp_path, "kill_batch") == -9  # died inside epoch 3
    assert os.path.exists(tmp_path / "backup" / "latest.weights.h5")
    assert _run(tmp_path, "kill_save") == -9  # died while writing a backup
    assert _run(tmp_path, "resume") == 0
    expected = _weights(tmp_path / "final_full.npz")
    got = _weights(tmp_path / "final_resume.npz")
    assert len(expected) == len(got) == 4
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-6)
    # Training completed, so the backup files were removed.
    assert not os.path.exists(tmp_path / "backup" / "latest.weights.h5")
