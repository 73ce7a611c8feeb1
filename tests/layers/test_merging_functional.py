import torch

import ketorch
from ketorch.layers import merging


def test_function_forms_build_the_layers():
    a, b = ketorch.Input((3,)), ketorch.Input((3,))
    cases = {
        "add": merging.Add,
        "subtract": merging.Subtract,
        "multiply": merging.Multiply,
        "average": merging.Average,
        "maximum": merging.Maximum,
        "minimum": merging.Minimum,
        "concatenate": merging.Concatenate,
    }
    for fname, cls in cases.items():
        out = getattr(merging, fname)([a, b], name=f"f_{fname}")
        layer = out._keras_history[0]
        assert isinstance(layer, cls) and layer.name == f"f_{fname}"
    out = merging.dot([a, b], axes=1, normalize=True, name="f_dot")
    layer = out._keras_history[0]
    assert isinstance(layer, merging.Dot) and layer.normalize and layer.axes == 1


def test_function_forms_eager():
    x, y = torch.tensor([[1.0, 4.0]]), torch.tensor([[3.0, 2.0]])
    assert merging.add([x, y]).tolist() == [[4.0, 6.0]]
    assert merging.subtract([x, y]).tolist() == [[-2.0, 2.0]]
    assert merging.multiply([x, y]).tolist() == [[3.0, 8.0]]
    assert merging.average([x, y]).tolist() == [[2.0, 3.0]]
    assert merging.maximum([x, y]).tolist() == [[3.0, 4.0]]
    assert merging.minimum([x, y]).tolist() == [[1.0, 2.0]]
    assert merging.concatenate([x, y], axis=0).shape == (2, 2)
    assert merging.dot([x, y], axes=-1).tolist() == [[11.0]]


def test_model_with_merges_trains_and_saves(tmp_path):
    a, b = ketorch.Input((4,)), ketorch.Input((4,))
    h = merging.concatenate([merging.add([a, b]), merging.multiply([a, b])])
    out = ketorch.layers.Dense(1)(h)
    model = ketorch.Model([a, b], out)
    model.compile(optimizer="sgd", loss="mse")
    xs = [torch.randn(16, 4), torch.randn(16, 4)]
    model.fit(xs, torch.randn(16, 1), epochs=1, verbose=0)
    # custom_objects keeps this test independent of the ketorch.layers exports.
    objs = {"Add": merging.Add, "Multiply": merging.Multiply, "Concatenate": merging.Concatenate}
    clone = ketorch.Model.from_config(model.get_config(), custom_objects=objs)
    clone.set_weights(model.get_weights())
    assert torch.allclose(clone(xs), model(xs), atol=1e-6)
