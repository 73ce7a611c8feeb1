"""Objects that exist when ketorch finishes importing are frozen out of the cyclic garbage
collector (``ketorch.utils.gc_freeze``); later objects are collected as usual."""

import os
import subprocess
import sys

_PROBE = """
import gc, weakref
import ketorch
from ketorch.utils.gc_freeze import imported_objects_frozen

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a reference cycle created after the import
probe = weakref.ref(a)
del a, b
gc.collect()
print(gc.get_freeze_count() > 1000, imported_objects_frozen(), probe() is None)
"""


def _probe(env_value=None):
    env = dict(os.environ)
    env.pop("KETORCH_GC_FREEZE", None)
    if env_value is not None:
        env["KETORCH_GC_FREEZE"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_import_freezes_and_later_cycles_are_still_collected():
    assert _probe() == ["True", "True", "True"]


def test_opt_out_leaves_the_collector_alone():
    assert _probe("0") == ["False", "False", "True"]
