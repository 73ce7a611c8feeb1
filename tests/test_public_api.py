"""The public API: names users import. A removal shows up here."""

import ketorch


def test_top_level_names():
    for name in ["Input", "Model", "Sequential", "layers", "models", "utils", "optimizers", "losses",
                 "metrics", "callbacks", "activations", "initializers", "regularizers", "constraints",
                 "preprocessing", "config"]:  # fmt: skip
        assert hasattr(ketorch, name), name


def test_keras_import_paths():
    from ketorch.callbacks import Callback, History, ProgbarLogger, TerminateOnNaN  # noqa: F401
    from ketorch.layers import (  # noqa: F401
        LSTM,
        Activation,
        Conv2D,
        Dense,
        Dropout,
        Embedding,
        Flatten,
        Input,
        InputLayer,
        Layer,
        MaxPooling2D,
    )
    from ketorch.models import Model, Sequential  # noqa: F401
    from ketorch.preprocessing.sequence import pad_sequences
    from ketorch.utils import pad_sequences as pad2
    from ketorch.utils import plot_history, set_random_seed, to_categorical  # noqa: F401

    assert pad_sequences is pad2
    for opt in ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam"]:
        assert hasattr(ketorch.optimizers, opt)


def test_models_are_torch_modules():
    import torch

    assert issubclass(ketorch.Model, torch.nn.Module)
    assert issubclass(ketorch.layers.Layer, torch.nn.Module)
