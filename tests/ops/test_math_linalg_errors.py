"""Bad arguments to the math, linalg and einops ops raise errors naming the op; symbolic specs."""

from __future__ import annotations

import pytest
import torch

import ketorch as keras
from ketorch import ops
from ketorch.layers.node import KerasTensor

X = torch.arange(12, dtype=torch.float32).reshape(3, 4)
PAIR = (torch.ones(3, 8), torch.zeros(3, 8))


# ----------------------------------------------------------------------------- math
@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min", "segment_prod"])
def test_segment_errors(name):
    fn = getattr(ops, name)
    with pytest.raises(ValueError, match=f"ops.{name}.*1-D"):
        fn(X, torch.zeros(3, 1, dtype=torch.int32), num_segments=2)
    with pytest.raises(ValueError, match=f"ops.{name}.*leading dimension"):
        fn(X, torch.zeros(4, dtype=torch.int32), num_segments=2)
    with pytest.raises(TypeError, match=f"ops.{name}.*integer"):
        fn(X, torch.zeros(3), num_segments=2)


def test_segment_symbolic_and_empty_segments():
    out = ops.segment_sum(KerasTensor((None, 3)), KerasTensor((None,), "int32"), num_segments=4)
    assert out.shape == (4, 3) and out.dtype == "float32"
    out = ops.segment_max(KerasTensor((None, 3), "int32"), KerasTensor((None,), "int32"))
    assert out.shape == (None, 3) and out.dtype == "int32"
    ids = torch.tensor([0, 0, 2])
    assert ops.segment_max(torch.tensor([1, 2, 3], dtype=torch.int32), ids, 3).tolist()[1] == -(
        2**31
    )
    assert (
        ops.segment_min(torch.tensor([1, 2, 3], dtype=torch.int32), ids, 3).tolist()[1] == 2**31 - 1
    )
    assert ops.segment_prod(torch.tensor([2.0, 3.0, 4.0]), ids, 3).tolist() == [6.0, 1.0, 4.0]


def test_top_k_indices_are_int32():
    values, indices = ops.top_k(X, 2)
    assert indices.dtype == torch.int32 and indices.tolist() == [[3, 2]] * 3
    values, indices = ops.top_k(KerasTensor((None, 5)), 2)
    assert values.shape == (None, 2) and indices.dtype == "int32"
    with pytest.raises(ValueError, match="ops.top_k"):
        ops.top_k(X, 5)


def test_in_top_k_symbolic():
    out = ops.in_top_k(KerasTensor((None,), "int32"), KerasTensor((None, 5)), 2)
    assert out.shape == (None,) and out.dtype == "bool"


def test_logsumexp_axis():
    with pytest.raises(ValueError, match="ops.logsumexp"):
        ops.logsumexp(X, axis=2)


def test_cdist_errors():
    with pytest.raises(ValueError, match="ops.cdist.*rank"):
        ops.cdist(torch.ones(3), torch.ones(2, 3))
    with pytest.raises(ValueError, match="ops.cdist.*last dimension"):
        ops.cdist(torch.ones(2, 3), torch.ones(2, 4))


def test_extract_sequences_errors():
    with pytest.raises(ValueError, match="ops.extract_sequences.*sequence_length"):
        ops.extract_sequences(X, 5, 1)
    with pytest.raises(ValueError, match="ops.extract_sequences.*sequence_stride"):
        ops.extract_sequences(X, 2, 0)


@pytest.mark.parametrize("name", ["fft", "fft2", "ifft2", "irfft"])
def test_fft_pair_errors(name):
    fn = getattr(ops, name)
    with pytest.raises(ValueError, match=f"ops.{name}.*tuple"):
        fn(torch.ones(3, 8))
    with pytest.raises(ValueError, match=f"ops.{name}.*same shape"):
        fn((torch.ones(3, 8), torch.ones(3, 4)))
    with pytest.raises(ValueError, match=f"ops.{name}.*float"):
        fn((torch.ones(3, 8, dtype=torch.int32), torch.ones(3, 8, dtype=torch.int32)))
    with pytest.raises(ValueError, match=f"ops.{name}.*rank"):
        fn((torch.tensor(1.0), torch.tensor(0.0)))


def test_stft_errors():
    x = torch.randn(2, 64)
    with pytest.raises(TypeError, match="ops.stft.*float32"):
        ops.stft(x.to(torch.int32), 16, 4, 16)
    with pytest.raises(ValueError, match="ops.stft.*fft_length"):
        ops.stft(x, 16, 4, 8)
    with pytest.raises(ValueError, match="ops.stft.*window"):
        ops.stft(x, 16, 4, 16, window="blackman")
    with pytest.raises(ValueError, match="ops.stft.*window"):
        ops.stft(x, 16, 4, 16, window=torch.ones(8))
    with pytest.raises(ValueError, match="ops.stft.*sequence_stride"):
        ops.stft(x, 16, 0, 16)


def test_istft_errors_and_round_trip():
    x = torch.randn(2, 64, dtype=torch.float64)
    real, imag = ops.stft(x, 16, 4, 16)
    back = ops.istft((real, imag), 16, 4, 16, length=64)
    torch.testing.assert_close(back, x)
    with pytest.raises(ValueError, match="ops.istft.*sequence_stride"):
        ops.istft((real, imag), 16, 32, 16)
    with pytest.raises(ValueError, match="ops.istft.*window"):
        ops.istft((real, imag), 16, 4, 16, window="kaiser")


def test_stft_symbolic():
    real, imag = ops.stft(KerasTensor((None, 64)), 16, 4, 32)
    assert real.shape == (None, 17, 17) and imag.dtype == "float32"
    out = ops.istft((KerasTensor((None, 17, 9)), KerasTensor((None, 17, 9))), 16, 4, 16)
    assert out.shape == (None, 64)


def test_view_as_complex_and_logdet_errors():
    with pytest.raises(ValueError, match="ops.view_as_complex.*size 2"):
        ops.view_as_complex(torch.ones(3, 3))
    with pytest.raises(ValueError, match="ops.logdet.*square"):
        ops.logdet(torch.ones(2, 3))


def test_view_as_real_of_real_input():
    out = ops.view_as_real(torch.tensor([1.0, 2.0]))
    assert out.tolist() == [[1.0, 0.0], [2.0, 0.0]]


# ----------------------------------------------------------------------------- linalg
@pytest.mark.parametrize("name", ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv"])
def test_square_matrix_ops(name):
    fn = getattr(ops.linalg, name)
    with pytest.raises(ValueError, match=f"ops.{name}.*rank >= 2"):
        fn(torch.ones(3))
    with pytest.raises(ValueError, match=f"ops.{name}.*square"):
        fn(torch.ones(2, 3))


def test_cholesky_not_positive_definite():
    with pytest.raises(ValueError, match="ops.cholesky"):
        ops.cholesky(torch.tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_qr_svd_errors():
    with pytest.raises(ValueError, match="ops.qr.*mode"):
        ops.qr(X, mode="r")
    with pytest.raises(ValueError, match="ops.svd.*rank"):
        ops.svd(torch.ones(3))


@pytest.mark.parametrize("name", ["solve", "solve_triangular"])
def test_solve_errors(name):
    fn = getattr(ops, name)
    a = torch.eye(3)
    with pytest.raises(ValueError, match=f"ops.{name}.*incompatible"):
        fn(a, torch.ones(4))
    with pytest.raises(ValueError, match=f"ops.{name}.*incompatible"):
        fn(a, torch.ones(4, 2))
    with pytest.raises(ValueError, match=f"ops.{name}.*square"):
        fn(torch.ones(3, 2), torch.ones(3))
    with pytest.raises(ValueError, match=f"ops.{name}.*`b`"):
        fn(a, torch.tensor(1.0))


def test_lstsq_errors_and_symbolic():
    with pytest.raises(ValueError, match="ops.lstsq.*`b`"):
        ops.lstsq(torch.ones(5, 3), torch.ones(4))
    out = ops.lstsq(KerasTensor((5, 3)), KerasTensor((5, 2)))
    assert out.shape == (3, 2) and out.dtype == "float32"
    out = ops.lstsq(KerasTensor((5, 3), "int32"), KerasTensor((5,), "int32"))
    assert out.shape == (3,) and out.dtype == "float32"


def test_norm_errors():
    with pytest.raises(ValueError, match="ops.norm.*ord"):
        ops.norm(X, ord="max")
    with pytest.raises(ValueError, match="ops.norm.*vector norm"):
        ops.norm(X, ord="fro", axis=1)
    with pytest.raises(ValueError, match="ops.norm.*matrix norm"):
        ops.norm(X, ord=3, axis=(0, 1))
    with pytest.raises(ValueError, match="ops.norm.*axis"):
        ops.norm(X, axis=2)
    with pytest.raises(ValueError, match="ops.norm.*axis"):
        ops.norm(torch.ones(2, 3, 4), axis=(0, 1, 2))
    with pytest.raises(ValueError, match="ops.norm.*1-D or 2-D"):
        ops.norm(torch.ones(2, 3, 4), ord=1)


def test_jvp_errors_and_symbolic():
    with pytest.raises(ValueError, match="ops.jvp.*same length"):
        ops.jvp(torch.sin, (X,), (X, X))
    with pytest.raises(TypeError, match="ops.jvp.*primals"):
        ops.jvp(torch.sin, X, X)
    out, tangent = ops.jvp(torch.sin, (KerasTensor((None, 3)),), (KerasTensor((None, 3)),))
    assert out.shape == (None, 3) and tangent.shape == (None, 3)


# ----------------------------------------------------------------------------- einops
@pytest.mark.parametrize(
    "pattern, kwargs, match",
    [
        ("a b c", {}, "left -> right"),
        ("a b -> a c", {}, "same axes"),
        ("a a -> a", {}, "more than once"),
        ("a b c -> a b c", {}, "rank 2"),
        ("(a b) c -> a b c", {}, "infer"),
        ("(a b) c -> a b c", {"a": 5}, "cannot be split"),
        ("a b -> b a", {"z": 2}, "not in the pattern"),
        ("a b -> b a", {"a": 4}, "does not match"),
        ("((a b)) c -> a b c", {}, "nested"),
        ("(a b c -> a b c", {}, "unbalanced"),
        ("(a ...) -> a ...", {}, "ellipsis"),
        ("a 2 -> a", {}, "anonymous"),
        ("a b- -> a b-", {}, "not a valid axis name"),
    ],
)
def test_rearrange_errors(pattern, kwargs, match):
    with pytest.raises(ValueError, match=f"ops.rearrange.*{match}"):
        ops.rearrange(X, pattern, **kwargs)


def test_rearrange_patterns():
    x = torch.arange(2 * 6 * 4 * 3).reshape(2, 6, 4, 3)
    out = ops.rearrange(x, "b (h p) (w q) c -> (b h w) (p q c)", p=2, q=2)
    assert torch.equal(out, x.reshape(2, 3, 2, 2, 2, 3).permute(0, 1, 3, 2, 4, 5).reshape(12, 12))
    assert torch.equal(ops.rearrange(x, "b ... -> b (...)"), x.reshape(2, -1))
    assert torch.equal(ops.rearrange(x, "... c -> c ..."), x.permute(3, 0, 1, 2))
    assert ops.rearrange(x, "b h w c -> b h w c", b=2) is x
    assert ops.rearrange(x[:, :1], "b () w c -> b w c").shape == (2, 4, 3)
    stacked = ops.rearrange([torch.zeros(2, 3), torch.ones(2, 3)], "n h w -> h (n w)")
    assert stacked.shape == (2, 6)


def test_rearrange_in_a_model():
    inputs = keras.Input((6, 4))
    outputs = ops.rearrange(inputs, "b (h p) w -> b h (p w)", p=2)
    assert outputs.shape == (None, 3, 8)
    model = keras.Model(inputs, outputs)
    x = torch.randn(3, 6, 4)
    torch.testing.assert_close(model(x), x.reshape(3, 3, 8))
    rebuilt = keras.Model.from_config(model.get_config())
    torch.testing.assert_close(rebuilt(x), x.reshape(3, 3, 8))
