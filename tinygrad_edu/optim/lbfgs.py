"""L-BFGS: a quasi-Newton method that learns the curvature from the last few steps.

Newton's method steps by d = -H⁻¹ g (H the Hessian). BFGS never forms H: it keeps an
estimate of H⁻¹ that each step (s = x_new - x_old, y = g_new - g_old) refines, so that
H⁻¹ y = s holds ("the secant equation"). L-BFGS ("limited memory") does not even keep that
matrix: it stores the last m pairs (s_i, y_i) and applies the estimate to a vector in O(m n)
with the two-loop recursion (Nocedal & Wright, Numerical Optimization, algorithm 7.4):

    q ← -g
    for i = newest .. oldest:   α_i = ρ_i s_iᵀ q;   q ← q - α_i y_i        (ρ_i = 1 / y_iᵀ s_i)
    r ← γ q                     γ = sᵀy / yᵀy of the newest pair: the initial H⁻¹ ≈ γ I
    for i = oldest .. newest:   β_i = ρ_i y_iᵀ r;   r ← r + (α_i - β_i) s_i
    d ← r                       ≈ -H⁻¹ g

Then x ← x + t d with t = lr, or with the t that a strong-Wolfe line search finds
(algorithms 3.5 and 3.6): a t with sufficient decrease f(x + t d) <= f + c1 t gᵀd and a
small slope |g(x + t d)ᵀ d| <= c2 |gᵀd|, found by growing a bracket and then zooming in with
cubic interpolation.

The line search (`strong_wolfe`, `cubic_minimizer`) is at the bottom of this file.
All parameters are handled as ONE flat vector (their gradients concatenated), which is why
LBFGS takes a single param group. The scalars of the recursion (α, β, ρ, γ, t) are Python
floats; the vectors are tinygrad_edu tensors of the parameters' dtype (use float64 to
match PyTorch to many digits: PyTorch keeps the scalars as 0-d tensors of that dtype).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tinygrad_edu import creation
from tinygrad_edu.autograd import enable_grad, no_grad
from tinygrad_edu.movement import cat
from tinygrad_edu.optim.optimizer import Optimizer, Params
from tinygrad_edu.tensor import Tensor


class LBFGS(Optimizer):
    """L-BFGS (PyTorch's `torch.optim.LBFGS`): `step(closure)` runs up to `max_iter`
    iterations of the two-loop recursion above; the closure clears the gradients,
    recomputes the loss, calls backward and returns the loss:

        def closure():
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        optimizer.step(closure)          # returns the loss of the first evaluation

    A step stops early when the largest gradient entry is <= tolerance_grad, when the
    parameters or the loss change by less than tolerance_change, or after max_eval closure
    calls (default max_iter * 5 // 4). The history (s, y pairs) lives in the state of the
    first parameter and carries over between steps, as in PyTorch.
    """

    def __init__(self, params: Params, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ the flat vector
    def _gather_flat_grad(self) -> Tensor:
        """All gradients as one vector (zeros for a parameter without a gradient)."""
        pieces = []
        for param in self._params:
            if param.grad is None:
                pieces.append(creation.zeros(param.numel(), dtype=param.dtype,
                                             device=param.device))
            else:
                pieces.append(param.grad.reshape(-1))
        return cat(pieces, 0)

    def _add_grad(self, step_size: float, direction: Tensor) -> None:
        """x ← x + step_size * direction, the flat direction cut into parameter shapes."""
        offset = 0
        for param in self._params:
            size = param.numel()
            piece = direction[offset:offset + size].reshape(param.shape)
            param.add_(piece, alpha=step_size)
            offset += size

    def _directional_evaluate(self, closure: Callable[[], Any], start: list[Tensor],
                              t: float, direction: Tensor) -> tuple[float, Tensor]:
        """f and g at x = start + t d; the parameters are put back to `start` afterwards."""
        self._add_grad(t, direction)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._gather_flat_grad()
        for param, saved in zip(self._params, start):
            param.copy_(saved)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    @no_grad()
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Up to max_iter L-BFGS iterations; returns closure()'s first loss."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure: step(closure) re-evaluates the loss")
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evaluations = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if float(flat_grad.abs().max()) <= tolerance_grad:
            return first_loss  # already at a stationary point

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps = state.get("old_dirs"), state.get("old_stps")
        ro, h_diag = state.get("ro"), state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad  # no curvature known yet: steepest descent
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:  # keep only pairs of positive curvature (H⁻¹ stays positive)
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
            prev_flat_grad = flat_grad.clone()
            prev_loss = loss

            # the first step ever is scaled down so that it moves by at most lr in L1
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(flat_grad.abs().sum())) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))  # the slope along d
            if gtd > -tolerance_change:
                break  # d is not a descent direction (any more)

            calls = 0
            if line_search_fn is not None:
                start = [param.clone() for param in self._params]

                def along(t_try: float, start: list[Tensor] = start,
                          d: Tensor = d) -> tuple[float, Tensor]:
                    return self._directional_evaluate(closure, start, t_try, d)

                loss, flat_grad, t, calls = strong_wolfe(along, t, d, loss, flat_grad, gtd,
                                                         tolerance_change=tolerance_change)
                self._add_grad(t, d)
                converged = float(flat_grad.abs().max()) <= tolerance_grad
            else:
                self._add_grad(t, d)
                converged = False
                if n_iter != max_iter:  # the last iteration's loss is the next step's start
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    converged = float(flat_grad.abs().max()) <= tolerance_grad
                    calls = 1
            evaluations += calls
            state["func_evals"] += calls

            if n_iter == max_iter or evaluations >= max_eval or converged:
                break
            if float(d.abs().max()) * abs(t) <= tolerance_change:
                break  # the parameters hardly move
            if abs(loss - prev_loss) < tolerance_change:
                break  # the loss hardly changes

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return first_loss


def _two_loop(flat_grad: Tensor, old_dirs: list[Tensor], old_stps: list[Tensor],
              ro: list[float], h_diag: float) -> Tensor:
    """d ≈ -H⁻¹ g by the two-loop recursion (module docstring); old_dirs are the y_i,
    old_stps the s_i, ro the 1 / y_iᵀ s_i, oldest first."""
    count = len(old_dirs)
    alphas = [0.0] * count
    q = -flat_grad
    for i in range(count - 1, -1, -1):
        alphas[i] = float(old_stps[i].dot(q)) * ro[i]
        q = q - alphas[i] * old_dirs[i]
    r = q * h_diag
    for i in range(count):
        beta = float(old_dirs[i].dot(r)) * ro[i]
        r = r + (alphas[i] - beta) * old_stps[i]
    return r


# ---------------------------------------------------------------------------- line search
# The strong-Wolfe line search that LBFGS(line_search_fn="strong_wolfe") uses.
#
# Along a descent direction d from x, with φ(t) = f(x + t d) and slope φ'(t) = g(x + t d)ᵀ d,
# find a step t that satisfies the strong Wolfe conditions (Nocedal & Wright, section 3.1):
#
#     sufficient decrease   φ(t) <= φ(0) + c1 t φ'(0)        (c1 = 1e-4: a real decrease)
#     curvature             |φ'(t)| <= c2 |φ'(0)|            (c2 = 0.9: near a flat point)
#
# Two phases (N&W algorithms 3.5 and 3.6):
# 1. bracket: try t, t', ... growing; stop as soon as [t_prev, t] must contain a good step
#    (φ rose above the decrease line, or φ stopped falling, or the slope turned positive), or
#    t itself is good;
# 2. zoom: shrink the bracket, each new t the minimiser of the cubic through both ends'
#    values and slopes, kept away from the ends so the bracket really shrinks.

Evaluate = Callable[[float], tuple[float, Tensor]]  # t -> (φ(t), g(x + t d))


def cubic_minimizer(t1: float, f1: float, slope1: float, t2: float, f2: float, slope2: float,
                    bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic with these values and slopes at t1 and t2 (N&W eq. 3.59),
    clipped to `bounds` (default: between t1 and t2); their midpoint if it has none.

        d1 = φ'1 + φ'2 - 3 (φ1 - φ2) / (t1 - t2),   d2 = sqrt(d1² - φ'1 φ'2)
        t  = t2 - (t2 - t1) (φ'2 + d2 - d1) / (φ'2 - φ'1 + 2 d2)      (for t1 <= t2)
    """
    low, high = bounds if bounds is not None else (min(t1, t2), max(t1, t2))
    d1 = slope1 + slope2 - 3 * (f1 - f2) / (t1 - t2)
    d2_squared = d1 * d1 - slope1 * slope2
    if d2_squared < 0:
        return (low + high) / 2  # no real minimiser: bisect
    d2 = math.sqrt(d2_squared)
    if t1 <= t2:
        t = t2 - (t2 - t1) * ((slope2 + d2 - d1) / (slope2 - slope1 + 2 * d2))
    else:
        t = t1 - (t1 - t2) * ((slope1 + d2 - d1) / (slope1 - slope2 + 2 * d2))
    return min(max(t, low), high)


def strong_wolfe(evaluate: Evaluate, t: float, d: Tensor, f: float, g: Tensor, gtd: float,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9,
                 max_ls: int = 25) -> tuple[float, Tensor, float, int]:
    """(φ(t*), g at t*, t*, number of evaluations) for a strong-Wolfe step t* along d,
    starting from the trial t; f, g, gtd are φ(0), the gradient at x and φ'(0) < 0."""
    d_norm = float(d.abs().max())
    f_new, g_new = evaluate(t)
    calls = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    # phase 1: bracket. Each list holds the two ends: [t, φ(t), g(t), φ'(t)]
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break  # went too far: a good step lies between t_prev and t
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [[t, f_new, g_new, gtd_new]]
            done = True  # t satisfies both conditions
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break  # the slope turned: a minimum lies between t_prev and t
        # still falling: extrapolate, between a little and 10 times further
        t_next = cubic_minimizer(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                 bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        calls += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0.0, f, g, gtd], [t, f_new, g_new, gtd_new]]

    # phase 2: zoom. `low` is the end with the lower φ (the best step so far)
    insufficient_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1][0] - bracket[0][0]) * d_norm < tolerance_change:
            break  # the bracket is too small to matter
        (t_a, f_a, _, gtd_a), (t_b, f_b, _, gtd_b) = bracket
        t = cubic_minimizer(t_a, f_a, gtd_a, t_b, f_b, gtd_b)
        # keep t at least 10% of the bracket away from its ends, or it may barely shrink
        left, right = min(t_a, t_b), max(t_a, t_b)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            if insufficient_progress or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        calls += 1
        gtd_new = float(g_new.dot(d))
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new, gtd_new]  # not lower: t is the new far end
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]  # keep the minimum between low and t
            bracket[low] = [t, f_new, g_new, gtd_new]
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, calls
