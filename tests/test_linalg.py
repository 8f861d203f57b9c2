"""tinygrad_edu.linalg's factorizations against PyTorch: cholesky, solve_triangular,
cholesky_solve, qr, householder_product, lstsq, slogdet logdet, matrix_power, multi_dot,
inv_ex solve_ex, eigh eigvalsh, svd svdvals matrix_rank: values, gradients (float64,
tight), batch dims (size-0 batches, 1 x 1 matrices), transposed (non-contiguous) inputs and
error messages.

`check` runs both libraries on the same NumPy inputs and compares every output, then the
gradients of a fixed random weighting of the outputs; `loss` picks which outputs weigh in
(eigenvectors only through sign-free products, as their signs are the algorithm's choice).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")

RNG = np.random.default_rng(7)


def spd(*shape: int) -> np.ndarray:
    """A symmetric positive-definite (..., n, n) matrix: X X^T + n I."""
    x = RNG.standard_normal(shape)
    return x @ x.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])


def well_conditioned(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 3 * np.eye(*shape[-2:])


def _leaf(value: Any, lib: Any, transpose: bool) -> tuple:
    """(the input, the leaf) for a NumPy array: a transposed view of a contiguous leaf when
    transpose, so the op sees non-contiguous strides; numbers pass through."""
    if not isinstance(value, np.ndarray):
        return value, None
    source = np.ascontiguousarray(value.swapaxes(-1, -2)) if transpose else value
    leaf = lib.tensor(source, requires_grad=value.dtype.kind == "f")
    return (leaf.transpose(-1, -2) if transpose else leaf), leaf


def _outputs(out: Any) -> list:
    return list(out) if isinstance(out, tuple) else [out]


def check(ours: Callable, theirs: Callable, *inputs: Any, transpose: tuple = (),
          rtol: float = 1e-10, atol: float = 1e-12, grad: bool = True,
          loss: Callable | None = None, compare: Callable | None = None,
          grad_mask: Callable | None = None) -> Any:
    """Compare outputs (all of them, or compare(ours, theirs)), then input gradients of
    loss(outputs, weights) (default: sum of w * the first output) through the two graphs."""
    pairs = [(_leaf(v, tg, i in transpose), _leaf(v, torch, i in transpose))
             for i, v in enumerate(inputs)]
    out = ours(*[p[0][0] for p in pairs])
    ref = theirs(*[p[1][0] for p in pairs])
    if compare is not None:
        compare(out, ref)
    else:
        for i, (o, r) in enumerate(zip(_outputs(out), _outputs(ref))):
            assert tuple(o.shape) == tuple(r.shape), f"output {i}: {o.shape} vs {r.shape}"
            assert str(o.dtype).split(".")[-1] == str(r.dtype).split(".")[-1], \
                f"output {i}: {o.dtype} vs {r.dtype}"
            np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=rtol,
                                       atol=atol, err_msg=f"output {i}")
    if not grad or not _outputs(ref)[0].requires_grad:
        return out
    first = _outputs(ref)[0]
    weights = RNG.standard_normal(tuple(first.shape))
    loss = loss or (lambda outs, w, lib: (outs[0] * lib.tensor(w)).sum())
    loss(_outputs(out), weights, tg).backward()
    loss(_outputs(ref), weights, torch).backward()
    for i, ((_, leaf), (_, ref_leaf)) in enumerate(pairs):
        if ref_leaf is None or not ref_leaf.requires_grad:
            continue
        expected = ref_leaf.grad.numpy()
        expected = grad_mask(i, expected) if grad_mask else expected
        if leaf.grad is None:  # an input the op never reads (unitriangular 1 x 1)
            assert not expected.any(), f"input {i}: no gradient"
            continue
        np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=rtol * 100,
                                   atol=atol * 100, err_msg=f"gradient of input {i}")
    return out


def raises_like(ours: Callable, theirs: Callable, *args: Any, **kwargs: Any) -> None:
    """Both raise, with the same message, for the same arguments (NumPy arrays become each
    library's tensors; a list of arrays, a list of tensors)."""
    def convert(lib: Any, value: Any) -> Any:
        if isinstance(value, list):
            return [convert(lib, v) for v in value]
        return lib.tensor(value) if isinstance(value, np.ndarray) else value

    with pytest.raises(Exception) as expected:
        theirs(*[convert(torch, a) for a in args], **kwargs)
    with pytest.raises(RuntimeError) as got:
        ours(*[convert(tg, a) for a in args], **kwargs)
    assert str(got.value) == str(expected.value)


# ---------------------------------------------------------------------------- cholesky


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_values_and_gradients(upper: bool) -> None:
    ours = functools.partial(tg.linalg.cholesky, upper=upper)
    theirs = functools.partial(torch.linalg.cholesky, upper=upper)
    check(ours, theirs, spd(2, 3, 4, 4), transpose=(0,))
    check(ours, theirs, spd(1, 1))
    check(ours, theirs, np.zeros((0, 3, 3)))
    a32 = spd(3, 5, 5).astype(np.float32)
    check(ours, theirs, a32, rtol=1e-5, atol=1e-5, grad=False)
    # only one triangle is read: a non-symmetric input factors its lower (upper) triangle
    lopsided = spd(3, 3) + np.triu(RNG.standard_normal((3, 3)), 1) * (-1 if upper else 1)
    check(ours, theirs, lopsided, rtol=1e-9, grad=False)


def test_cholesky_ex_info_and_errors() -> None:
    batch = np.stack([spd(3, 3), np.diag([1.0, -1.0, 1.0]), np.diag([1.0, 1.0, 0.0]),
                      np.eye(3)]).reshape(2, 2, 3, 3)
    ours = tg.linalg.cholesky_ex(tg.tensor(batch))
    theirs = torch.linalg.cholesky_ex(torch.tensor(batch))
    assert ours.info.dtype == tg.int32 and ours.info.tolist() == theirs.info.tolist()
    assert type(ours).__name__ == "linalg_cholesky_ex" and ours._fields == ("L", "info")
    np.testing.assert_allclose(ours.L.numpy()[0, 0], theirs.L.numpy()[0, 0], rtol=1e-12)
    for name in ["cholesky", "cholesky_ex"]:
        kwargs = {"check_errors": True} if name == "cholesky_ex" else {}
        for value in [batch, batch[1, 0], np.ones((2, 3)), np.ones(3)]:
            raises_like(getattr(tg.linalg, name), getattr(torch.linalg, name), value, **kwargs)
    raises_like(tg.linalg.cholesky, torch.linalg.cholesky, np.ones((2, 2), np.int64))


# ---------------------------------------------------------------------------- triangular


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_solve_triangular(upper: bool, left: bool, unitriangular: bool) -> None:
    options = {"upper": upper, "left": left, "unitriangular": unitriangular}
    ours = functools.partial(tg.linalg.solve_triangular, **options)
    theirs = functools.partial(torch.linalg.solve_triangular, **options)
    a = well_conditioned(2, 1, 4, 4)  # the other triangle is not read: left in on purpose
    b = RNG.standard_normal((3, 4, 2) if left else (3, 2, 4))  # batch dims broadcast
    check(ours, theirs, a, b, transpose=(0,), rtol=1e-9)
    check(ours, theirs, well_conditioned(1, 1), RNG.standard_normal((1, 3) if left else (3, 1)),
          rtol=1e-9)
    check(ours, theirs, np.zeros((0, 2, 2)), np.zeros((0, 2, 2)))


def test_solve_triangular_errors() -> None:
    for a, b in [(np.eye(2), np.ones(2)), (np.eye(2), np.ones((3, 1))),
                 (np.ones((2, 3)), np.ones((2, 1))), (np.ones((2, 2), np.int64), np.ones((2, 1)))]:
        raises_like(tg.linalg.solve_triangular, torch.linalg.solve_triangular, a, b, upper=True)
    zero = tg.linalg.solve_triangular(tg.zeros(2, 2), tg.ones(2, 1), upper=True)
    expected = torch.linalg.solve_triangular(torch.zeros(2, 2), torch.ones(2, 1), upper=True)
    assert str(zero.numpy().tolist()) == str(expected.numpy().tolist())  # [[nan], [inf]]
    mixed = tg.linalg.solve_triangular(tg.eye(2) * 2, tg.ones(2, 1, dtype=tg.float64), upper=True)
    assert mixed.dtype == tg.float64 and mixed.tolist() == [[0.5], [0.5]]  # promoted


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve(upper: bool) -> None:
    factor = np.linalg.cholesky(spd(2, 4, 4))
    factor = factor.swapaxes(-1, -2) if upper else factor
    keep = np.triu if upper else np.tril  # PyTorch's gradient off the read triangle: see doc

    check(lambda b, f: tg.cholesky_solve(b, f, upper), lambda b, f: torch.cholesky_solve(b, f,
          upper), RNG.standard_normal((2, 4, 3)), factor, transpose=(0,), rtol=1e-9,
          grad_mask=lambda i, g: keep(g) if i == 1 else g)
    for b, f in [(np.ones((3, 1)), np.eye(2)), (np.ones(3), np.eye(2)),
                 (np.ones((2, 1)), np.ones((2, 3)))]:
        raises_like(tg.cholesky_solve, torch.cholesky_solve, b, f)


# ---------------------------------------------------------------------------- qr, lstsq


def _qr_loss(outs: list, w: np.ndarray, lib: Any) -> Any:
    q, r = outs
    return (q * lib.tensor(w)).sum() + (r * r).sum() * 0.5 + r.sum()


@pytest.mark.parametrize("shape", [(2, 5, 3), (4, 4), (3, 5), (1, 1)])
def test_qr_reduced_values_and_gradients(shape: tuple) -> None:
    # reduced-mode gradients: PyTorch defines them for m >= n or for a square R block
    check(tg.linalg.qr, torch.linalg.qr, RNG.standard_normal(shape), transpose=(0,),
          rtol=1e-9, atol=1e-11, loss=_qr_loss)


def test_qr_modes_and_lapack_signs() -> None:
    for shape in [(5, 3), (3, 5), (2, 4, 4)]:
        a = RNG.standard_normal(shape)
        check(lambda x: tg.linalg.qr(x, "complete"), lambda x: torch.linalg.qr(x, "complete"),
              a, rtol=1e-9, atol=1e-11, grad=False)
        ours = tg.linalg.qr(tg.tensor(a), mode="r")
        theirs = torch.linalg.qr(torch.tensor(a), mode="r")
        assert tuple(ours.Q.shape) == tuple(theirs.Q.shape) == (0,)
        np.testing.assert_allclose(ours.R.numpy(), theirs.R.numpy(), rtol=1e-9, atol=1e-11)
    check(lambda x: tg.linalg.qr(x, "complete"), lambda x: torch.linalg.qr(x, "complete"),
          RNG.standard_normal((3, 3)), rtol=1e-9, atol=1e-11, loss=_qr_loss)
    # LAPACK reflects nothing where a column has zeros below its diagonal: Q = I, R = A,
    # negative diagonals kept; elsewhere R[k, k] = -sign(x[0]) ||x||
    for a in [[[-2.0, 1.0], [0.0, -3.0]], [[0.0, 1.0], [0.0, 3.0]], [[3.0, 1.0], [4.0, 2.0]]]:
        check(tg.linalg.qr, torch.linalg.qr, np.array(a), grad=False)
    check(tg.linalg.qr, torch.linalg.qr, np.zeros((0, 3, 2)), grad=False)
    q, _ = tg.linalg.qr(tg.tensor(RNG.standard_normal((6, 4)), dtype=tg.float32))
    assert q.dtype == tg.float32
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(4), atol=1e-5)
    raises_like(tg.linalg.qr, torch.linalg.qr, np.ones((3, 2)), mode="x")
    raises_like(tg.linalg.qr, torch.linalg.qr, np.ones(3))


def test_householder_product() -> None:
    check(tg.linalg.householder_product, torch.linalg.householder_product,
          RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 2)), rtol=1e-9, atol=1e-11)
    raises_like(tg.linalg.householder_product, torch.linalg.householder_product,
                np.ones((3, 2)), np.ones(3))


@pytest.mark.parametrize("shapes", [((6, 3), (6, 2)), ((2, 6, 3), (2, 6)),
                                    ((3, 5), (3, 2)), ((2, 4, 4), (2, 4, 1))])
def test_lstsq(shapes: tuple) -> None:
    a, b = (RNG.standard_normal(s) for s in shapes)
    out = check(tg.linalg.lstsq, torch.linalg.lstsq, a, b, transpose=(0,), rtol=1e-9,
                atol=1e-11)
    assert out._fields == ("solution", "residuals", "rank", "singular_values")
    assert out.rank.dtype == tg.int64


def test_lstsq_errors() -> None:
    for a, b, driver in [(np.ones((3, 2)), np.ones((2, 1)), None),
                         (np.ones((3, 2)), np.ones((3, 1)), "foo")]:
        raises_like(tg.linalg.lstsq, torch.linalg.lstsq, a, b, driver=driver)
    raises_like(tg.linalg.lstsq, torch.linalg.lstsq, np.ones((3, 2), np.float32),
                np.ones((3, 1)))
    raises_like(tg.linalg.lstsq, torch.linalg.lstsq, np.ones((4, 2)), np.ones(3))


# ---------------------------------------------------------------------------- slogdet, powers


def test_slogdet_and_logdet() -> None:
    a = RNG.standard_normal((3, 4, 4))  # signs of det vary
    check(tg.linalg.slogdet, torch.linalg.slogdet, a, transpose=(0,),
          loss=lambda outs, w, lib: (outs[1] * lib.tensor(w)).sum())
    check(tg.slogdet, torch.slogdet, RNG.standard_normal((1, 1)),
          loss=lambda outs, w, lib: (outs[1] * lib.tensor(w)).sum())
    check(tg.logdet, torch.logdet, spd(2, 3, 3))
    check(tg.logdet, torch.logdet, np.stack([np.diag([-1.0, 2.0]), np.diag([2.0, 3.0]),
                                             np.zeros((2, 2))]), grad=False)  # nan, ., -inf
    check(tg.linalg.slogdet, torch.linalg.slogdet, np.array([[1.0, 2.0], [2.0, 4.0]]),
          grad=False)  # singular: (0, -inf)
    check(tg.linalg.slogdet, torch.linalg.slogdet, np.zeros((2, 0, 0)), grad=False)
    raises_like(tg.linalg.slogdet, torch.linalg.slogdet, np.ones((2, 3)))
    raises_like(tg.linalg.slogdet, torch.linalg.slogdet, np.ones((2, 2), np.int64))


@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power(n: int) -> None:
    check(lambda a: tg.linalg.matrix_power(a, n), lambda a: torch.linalg.matrix_power(a, n),
          well_conditioned(2, 3, 3) / 3, transpose=(0,), rtol=1e-9, atol=1e-12)
    if n >= 0:
        ints = RNG.integers(-3, 4, (3, 3))
        check(lambda a: tg.matrix_power(a, n), lambda a: torch.matrix_power(a, n), ints)


def test_matrix_power_errors() -> None:
    for a, n in [(np.ones((2, 3)), 2), (np.ones(3), 2), (np.zeros((2, 2)), -1),
                 (np.ones((2, 2), dtype=np.int64), -1)]:
        raises_like(tg.linalg.matrix_power, torch.linalg.matrix_power, a, n)


def test_multi_dot() -> None:
    shapes = [(3,), (3, 10), (10, 2), (2, 5), (5,)]
    check(lambda *t: tg.linalg.multi_dot(t), lambda *t: torch.linalg.multi_dot(t),
          *[RNG.standard_normal(s) for s in shapes], rtol=1e-10)
    check(lambda *t: tg.linalg.multi_dot(t), lambda *t: torch.linalg.multi_dot(t),
          *[RNG.standard_normal(s) for s in [(4, 3), (3, 6), (6, 2)]], transpose=(1,))
    for tensors in [[np.ones((2, 2))], [np.ones((2, 2, 2)), np.ones((2, 2))],
                    [np.ones((2, 3)), np.ones((2, 2))],
                    [np.ones((2, 3)), np.ones((3, 2, 3)), np.ones(3)],
                    [np.ones((2, 3), np.float32), np.ones(3)]]:
        raises_like(tg.linalg.multi_dot, torch.linalg.multi_dot, tensors)


def test_inv_ex_and_solve_ex() -> None:
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    both = np.stack([well_conditioned(3, 3), singular])
    ours, theirs = tg.linalg.inv_ex(tg.tensor(both)), torch.linalg.inv_ex(torch.tensor(both))
    assert ours.info.dtype == tg.int32 and ours.info.tolist() == theirs.info.tolist() == [0, 3]
    np.testing.assert_allclose(ours.inverse.numpy()[0], theirs.inverse.numpy()[0], rtol=1e-10)
    b = RNG.standard_normal((2, 3))
    ours = tg.linalg.solve_ex(tg.tensor(both), tg.tensor(b))
    theirs = torch.linalg.solve_ex(torch.tensor(both), torch.tensor(b))
    assert ours.info.tolist() == theirs.info.tolist()
    np.testing.assert_allclose(ours.result.numpy()[0], theirs.result.numpy()[0], rtol=1e-10)
    check(lambda a: tg.linalg.inv_ex(a), lambda a: torch.linalg.inv_ex(a),
          well_conditioned(2, 4, 4), transpose=(0,))
    check(lambda a, b: tg.linalg.solve_ex(a, b, left=False),
          lambda a, b: torch.linalg.solve_ex(a, b, left=False),
          well_conditioned(2, 4, 4), RNG.standard_normal((2, 3, 4)), rtol=1e-9)
    for name, args in [("inv_ex", (both,)), ("solve_ex", (both, b))]:
        raises_like(getattr(tg.linalg, name), getattr(torch.linalg, name), *args,
                    check_errors=True)


# ---------------------------------------------------------------------------- eigh


def _eigh_compare(ours: Any, theirs: Any) -> None:
    """Eigenvalues equal; eigenvectors equal up to the sign of each column."""
    np.testing.assert_allclose(ours[0].detach().numpy(), theirs[0].detach().numpy(),
                               rtol=1e-10, atol=1e-12, err_msg="eigenvalues")
    assert str(ours[1].dtype).split(".")[-1] == str(theirs[1].dtype).split(".")[-1]
    np.testing.assert_allclose(np.abs(ours[1].detach().numpy()),
                               np.abs(theirs[1].detach().numpy()), rtol=1e-8, atol=1e-10,
                               err_msg="|eigenvectors|")


def _eigh_loss(outs: list, w: np.ndarray, lib: Any) -> Any:
    """w . eigenvalues + a weighting of V diag(f) V^T: free of the eigenvector signs."""
    values, vectors = outs
    f = lib.tensor(np.linspace(1.0, 2.0, values.shape[-1]))
    projector = (vectors * f) @ vectors.transpose(-2, -1)
    return (values * lib.tensor(w)).sum() + (projector * projector).sum()


@pytest.mark.parametrize("shape", [(2, 5, 5), (4, 4), (3, 3, 3), (1, 1)])
def test_eigh_values_and_gradients(shape: tuple) -> None:
    x = RNG.standard_normal(shape)  # A = (X + X^T) / 2: a symmetric change for both

    def symmetric(lib_fn: Callable) -> Callable:
        return lambda x: lib_fn((x + x.transpose(-2, -1)) * 0.5)

    check(symmetric(tg.linalg.eigh), symmetric(torch.linalg.eigh), x, compare=_eigh_compare,
          loss=_eigh_loss, rtol=1e-9, atol=1e-11)
    check(symmetric(tg.linalg.eigvalsh), symmetric(torch.linalg.eigvalsh), x, rtol=1e-9,
          atol=1e-11)


def test_eigh_reads_one_triangle_and_edges() -> None:
    a = RNG.standard_normal((2, 4, 4))  # not symmetric: UPLO picks the triangle read
    for uplo in ["L", "U"]:
        check(functools.partial(tg.linalg.eigh, UPLO=uplo),
              functools.partial(torch.linalg.eigh, UPLO=uplo), a, transpose=(0,),
              compare=_eigh_compare, grad=False)
    check(tg.linalg.eigvalsh, torch.linalg.eigvalsh, spd(2, 4, 4), rtol=1e-9)  # symmetric grad
    values, vectors = tg.linalg.eigh(tg.tensor(spd(3, 5, 5)))
    a_np = spd(5, 5).astype(np.float32)
    w, v = tg.linalg.eigh(tg.tensor(a_np))
    assert w.dtype == tg.float32 and v.dtype == tg.float32
    np.testing.assert_allclose(a_np @ v.numpy(), v.numpy() * w.numpy(), atol=1e-4)
    np.testing.assert_allclose(v.numpy().T @ v.numpy(), np.eye(5), atol=1e-5)
    v64 = vectors.numpy()
    np.testing.assert_allclose(v64.swapaxes(-1, -2) @ v64, np.broadcast_to(np.eye(5), v64.shape),
                               atol=1e-12)
    assert np.all(np.diff(values.numpy(), axis=-1) >= 0), "eigenvalues not ascending"
    empty = tg.linalg.eigh(tg.zeros(0, 3, 3))
    assert tuple(empty.eigenvalues.shape) == (0, 3), empty.eigenvalues.shape
    assert tuple(empty.eigenvectors.shape) == (0, 3, 3), empty.eigenvectors.shape
    repeated = tg.linalg.eigvalsh(tg.eye(3, dtype=tg.float64) * 2)
    assert repeated.tolist() == [2.0, 2.0, 2.0]
    for args in [(np.ones((2, 3)),), (np.ones(3),), (np.eye(2), "X"),
                 (np.ones((2, 2), dtype=np.int64),)]:
        raises_like(tg.linalg.eigh, torch.linalg.eigh, *args)
        raises_like(tg.linalg.eigvalsh, torch.linalg.eigvalsh, *args)


# ---------------------------------------------------------------------------- svd


def _svd_compare(ours: Any, theirs: Any) -> None:
    """S equal; U and Vh equal up to the sign of each singular pair; U, Vh orthonormal."""
    u, s, vh = (t.detach().numpy() for t in ours)
    np.testing.assert_allclose(s, theirs.S.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, mine, ref in [("U", u, theirs.U), ("Vh", vh, theirs.Vh)]:
        assert mine.shape == tuple(ref.shape), f"{name}: {mine.shape} vs {tuple(ref.shape)}"
        k = s.shape[-1]  # the columns of U (rows of Vh) past k are a basis of free signs
        mine, ref = (mine[..., :k], ref.detach().numpy()[..., :k]) if name == "U" else (
            mine[..., :k, :], ref.detach().numpy()[..., :k, :])
        np.testing.assert_allclose(np.abs(mine), np.abs(ref), rtol=1e-8, atol=1e-10,
                                   err_msg=name)
    np.testing.assert_allclose(u.swapaxes(-1, -2) @ u, np.broadcast_to(
        np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2), atol=1e-12, err_msg="U^T U")


def _svd_loss(outs: list, w: np.ndarray, lib: Any) -> Any:
    """A weighting of S and of U Vh: free of the singular vectors' signs (w, shaped as U,
    is not used)."""
    u, s, vh = outs
    product = u @ vh
    fixed = np.cos(np.arange(product.numel())).reshape(tuple(product.shape))
    return (s * lib.tensor(np.linspace(1.0, 2.0, s.shape[-1]))).sum() + (
        product * lib.tensor(fixed)).sum()


@pytest.mark.parametrize("shape", [(2, 5, 3), (4, 4), (3, 6), (1, 1), (0, 3, 2)])
def test_svd_values_and_gradients(shape: tuple) -> None:
    a = RNG.standard_normal(shape)
    reduced = functools.partial(tg.linalg.svd, full_matrices=False)
    check(reduced, functools.partial(torch.linalg.svd, full_matrices=False), a,
          transpose=(0,), compare=_svd_compare, loss=_svd_loss, rtol=1e-9, atol=1e-11)
    check(tg.linalg.svd, torch.linalg.svd, a, compare=_svd_compare, grad=False)
    check(tg.linalg.svdvals, torch.linalg.svdvals, a, rtol=1e-9, atol=1e-11)


def test_matrix_rank_and_svd_errors() -> None:
    low_rank = RNG.standard_normal((3, 5, 2)) @ RNG.standard_normal((3, 2, 4))
    for kwargs in [{}, {"atol": 1.0, "rtol": 0.5}, {"atol": 1e-3}, {"hermitian": False}]:
        ours = tg.linalg.matrix_rank(tg.tensor(low_rank), **kwargs)
        theirs = torch.linalg.matrix_rank(torch.tensor(low_rank), **kwargs)
        assert ours.dtype == tg.int64 and ours.tolist() == theirs.tolist(), kwargs
    for fn, theirs, value in [(tg.linalg.svd, torch.linalg.svd, np.ones(3)),
                              (tg.linalg.svd, torch.linalg.svd, np.ones((3, 2), np.int64)),
                              (tg.linalg.matrix_rank, torch.linalg.matrix_rank, np.ones(3))]:
        raises_like(fn, theirs, value)


def test_grad_fn_names() -> None:
    a = tg.tensor(spd(3, 3), requires_grad=True)
    assert tg.linalg.cholesky(a).grad_fn.name() == "LinalgCholeskyExBackward0"
    assert tg.linalg.qr(a).Q.grad_fn.name() == "LinalgQrBackward0"
    assert tg.linalg.eigh(a).eigenvalues.grad_fn.name() == "LinalgEighBackward0"
    assert tg.linalg.slogdet(a).logabsdet.grad_fn.name() == "LinalgSlogdetBackward0"
    assert tg.linalg.svd(a).S.grad_fn.name() == "LinalgSvdBackward0"


@pytest.mark.parametrize("device", DEVICES)
def test_factorizations_on_device(device: str) -> None:
    """The same compositions run on every device (small: the CUDA simulator is slow)."""
    a = spd(2, 2)
    outputs = [tg.linalg.cholesky, lambda x: tg.linalg.qr(x).R, tg.linalg.eigvalsh,
               lambda x: tg.linalg.slogdet(x).logabsdet]
    for i, fn in enumerate(outputs):
        got = fn(tg.tensor(a, device=device))
        assert got.device.type == device.split(":")[0], f"output {i} on {got.device}"
        np.testing.assert_allclose(got.cpu().numpy(), fn(tg.tensor(a)).numpy(), rtol=1e-12,
                                   atol=1e-12, err_msg=f"output {i}")


def test_tensor_methods_match_pytorch():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3))
    spd = a @ a.T + 3 * np.eye(3)
    rhs = rng.standard_normal((3, 2))
    results = []
    for library in (tg, torch):
        x, b = library.tensor(spd), library.tensor(rhs)
        factor = library.linalg.cholesky(x)
        results.append([x.slogdet()[1].item(), x.logdet().item(),
                        x.matrix_power(3).numpy(), b.cholesky_solve(factor).numpy()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
