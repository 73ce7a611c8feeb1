"""The wrapper tests train many tiny models: one torch thread is faster for them.

With several threads, each small matmul pays the thread pool's hand-off (and on a busy
machine, its spinning), which made a single sklearn check take seconds instead of 0.1 s.
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
