"""The first eager fit does not load torch's compiler (torch._dynamo takes seconds to import)."""

import subprocess
import sys

SCRIPT = """
import sys
import numpy as np
import ketorch as keras
x = np.random.rand(64, 8).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, 64), 3)
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
model.evaluate(x, y, verbose=0)
model.predict(x, verbose=0)
model.optimizer.add_param_group  # still torch's API
print("dynamo loaded:", "torch._dynamo" in sys.modules)
"""


def test_eager_fit_evaluate_predict_do_not_import_dynamo():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300, check=True
    )
    assert "dynamo loaded: False" in out.stdout, out.stdout + out.stderr
