"""Sample-trained iResNets on the Laplace prior against the slope-bounded divergence optimum.

Usage: `python experiments/laplace_slope_bounded.py [--blocks B] [--seeds 0,1,2,3,4]
[--method fixed-sample] [--samples 65536] [--sampling sobol] [--activation softclip] [--width 1]
[--start near-identity] [--radius 0.1] [--steps 10000] [--batch 512] [--learning-rate 1e-2]
[--out FILE.json]`

Laplace(0, 1), a = 1, delta = 0.5, the z-form divergence loss, IResNet(1, B, width) with
Lip(g_k) <= L = 0.8, trained by one of three methods:

- ``adam``: Adam on fresh minibatches (``--steps`` of ``--batch``, learning rate decaying
  geometrically to 1/100 of its start);
- ``fixed-sample`` (the default): sample-average approximation. One fixed sample of
  ``--samples`` pairs (x, z), scrambled Sobol points (``--sampling sobol``, the seed draws the
  scrambling) or independent draws (``iid``) mapped through the inverse CDFs of the prior and
  the noise; the empirical loss on it is minimised by L-BFGS-B in window coordinates, in which
  the Lipschitz constraint of a width-1 block is a box (:func:`fit_fixed_sample`);
- ``adam-then-fixed-sample``: the Adam run, then the fixed-sample fit from its end point.

Per seed: the distances (RMS over the central 98% of the data, in units of
d(PM, MAP)) of the learned inverse to the slope-bounded optimum (claim
``laplace-slope-bounded-divergence``, the projection onto slopes in [(1 - L)^B, (1 + L)^B]),
the PM and the MAP, and the dead-zone slope (the learned inverse's difference quotient over
[-kappa/2, kappa/2], kappa = delta^2/b) against the derived (1 + L)^(-B); over several seeds
(independent samples), the mean slope error and the mean margins d(learned, PM) -
d(learned, optimum) and d(learned, MAP) - d(learned, optimum), each with its standard error
over the seeds. docs/sparsity.md ("Sample-trained networks with slope bounds") quotes them.
"""

import argparse
import json
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import ndtri
from scipy.stats import qmc

from invlin.losses import Loss
from invlin.models import IResNet
from invlin.prediction import evaluate
from invlin.priors import Laplace
from invlin.problem import LinearInverseProblem
from invlin.training import train
from invlin.verify.checks._discrimination import data_grid, references, rms
from theory import claims

L, A, DELTA, SCALE = 0.8, 1.0, 0.5, 1.0
KAPPA = DELTA**2 / SCALE  # the MAP's threshold: the dead zone is |z| < kappa
# The box of the clip level lambda = W1 W2 in window coordinates: |lambda| <= L (1 - 1e-9). The
# certified bound of IResNet.project inflates |W1| |W2| by a few units of rounding (~1e-15
# relative), so this margin keeps project() from rescaling the blocks the fit sets; it lowers
# the attainable slope 1 + lambda by under 1e-9 relative.
LAMBDA_MAX = L * (1.0 - 1e-9)
# fit_fixed_sample restarts L-BFGS-B (memory cleared) while its projected gradient (max-norm) is
# above this and the last run decreased the loss: 100 times the 1e-12 that the well-started fits
# reach; a run that ends near the optimum above it (1e-10 to 5e-9 after a wide start: the loss,
# ~0.3, no longer decreases in floating point) ends the fit, which then moves the slope by
# under 1e-8 relative.
RESTART_TOL = 1e-10
METHODS = ("adam", "fixed-sample", "adam-then-fixed-sample")
SAMPLINGS = ("sobol", "iid")


def near_identity_start(model, radius=0.1):
    """Set every unit of ``model`` (a 1-D IResNet) centred at 0 (b1 = 0) with the active window
    |x| < radius (W1 = +-1/(radius sqrt(m)), signs from the model's own initialisation), W2
    aligned with W1 and the branch at its Lipschitz bound: with the soft clip a block of one
    unit starts as x + L clip(x, -radius, radius), near the identity. The radius 0.1 is of the
    order of the dead zone kappa = 0.25, not one of the theory's breakpoints."""
    theta = model.get_parameters()
    W1, b1, W2, b2 = model._views(theta)
    sign = np.where(W1[:, :, 0] < 0.0, -1.0, 1.0)
    scale = 1.0 / np.sqrt(model.width)
    W1[:, :, 0] = sign * scale / radius
    b1[...] = 0.0
    W2[:, 0, :] = sign * scale * model.lipschitz_bound * radius
    b2[...] = 0.0
    model.set_parameters(theta)
    model.project()
    return model


def _check_window_model(model):
    if not isinstance(model, IResNet) or model.dim != 1 or model.width != 1:
        raise ValueError("window coordinates need a 1-D IResNet of width 1 (one unit per "
                         f"block), got {model!r}")
    if model.activation not in ("softclip", "tanh"):
        raise ValueError(f"window coordinates need an odd activation, got {model.activation!r}")


def window_coordinates(model):
    r"""The parameters of a 1-D IResNet of width 1 in window coordinates.

    Parameters
    ----------
    model : IResNet
        ``dim == 1``, ``width == 1``, an odd activation (``"softclip"`` or ``"tanh"``), and
        W1 != 0 in every block.

    Returns
    -------
    ndarray, shape (4 B,)
        ``[log r (B), c (B), lambda (B), b2 (B)]``.

    Notes
    -----
    Block k's branch :math:`g(x) = W_2 \sigma(W_1 x + b_1) + b_2` with an odd
    :math:`\sigma` equals :math:`\lambda r \sigma((x - c)/r) + b_2` with window
    :math:`r = 1/|W_1|`, centre :math:`c = -b_1/W_1` and clip level
    :math:`\lambda = W_1 W_2`; its certified Lipschitz bound is :math:`|W_1| |W_2| = |\lambda|`,
    so the constraint :math:`\mathrm{Lip}(g) \le L` is the box :math:`|\lambda| \le L`, and
    the window enters through :math:`\log r`, the scale on which the optimum's windows are
    spread (geometrically: 0.033, 0.053, 0.087, 0.14 at B = 4).
    """
    _check_window_model(model)
    W1, b1, W2, b2 = (v.reshape(model.blocks) for v in model._views(model.get_parameters()))
    if np.any(W1 == 0.0):
        raise ValueError("window coordinates need W1 != 0 in every block")
    return np.concatenate([-np.log(np.abs(W1)), -b1 / W1, W1 * W2, b2])


def set_window_coordinates(model, p):
    """Set ``model`` (as in :func:`window_coordinates`) to the window coordinates ``p``
    (W1 = 1/r > 0, b1 = -c/r, W2 = lambda r); the inverse of :func:`window_coordinates` up to
    the sign of W1, which leaves the map unchanged. Returns the flat parameters set."""
    _check_window_model(model)
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (4 * model.blocks,) or not np.all(np.isfinite(p)):
        raise ValueError(f"p must be {4 * model.blocks} finite numbers, got shape {p.shape}")
    log_r, centre, level, b2 = p.reshape(4, model.blocks)
    r = np.exp(log_r)
    theta = np.concatenate([1.0 / r, -centre / r, level * r, b2])
    model.set_parameters(theta)
    return theta


def fixed_sample(n_samples, seed, sampling="sobol"):
    r"""One fixed sample of ``n_samples`` pairs (x, z) of the experiment's problem.

    Parameters
    ----------
    n_samples : int
        A power of 2 for ``"sobol"`` (the balance properties of the Sobol sequence).
    seed : int
        Seed of the ``numpy.random.default_rng`` that draws the scrambling (``"sobol"``) or the
        sample (``"iid"``).
    sampling : {"sobol", "iid"}
        Scrambled Sobol points in [0, 1)^2 (Owen scrambling, scipy.stats.qmc.Sobol), or
        independent uniforms; mapped through the inverse CDFs of Laplace(0, b) and N(0, 1).

    Returns
    -------
    x, z : ndarray, shape (n_samples, 1)
        x ~ Laplace(0, b), z = a (a x + delta eta): each pair is a draw of (x, z) (the scrambled
        points are uniform on the unit square one by one), so every sample is a sample of the
        training law; with Sobol points the sample's averages of smooth functions have a much
        smaller error than with independent points.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    rng = np.random.default_rng(seed)
    if sampling == "sobol":
        if n_samples & (n_samples - 1):
            raise ValueError(f"Sobol sampling needs a power of 2, got {n_samples}")
        u = qmc.Sobol(2, scramble=True, seed=rng).random(n_samples)
    else:
        u = rng.random((n_samples, 2))
    # the open unit square: a coordinate exactly 0 (probability ~2^-53 per point) would map to
    # an infinite quantile
    u = np.clip(u, 2.0**-60, 1.0 - 2.0**-53)
    half = u[:, 0] - 0.5
    x = -SCALE * np.sign(half) * np.log1p(-2.0 * np.abs(half))
    z = A * (A * x + DELTA * ndtri(u[:, 1]))
    return x[:, None], z[:, None]


def fixed_sample_objective(model, problem, x, z):
    """``objective(p) -> (value, grad)``: the z-form divergence loss of ``model`` on the fixed
    sample (x, z) and its exact gradient, as functions of the window coordinates ``p``
    (:func:`window_coordinates`; each call sets the model to ``p``). See
    :func:`fit_fixed_sample` for the chain rule."""
    _check_window_model(model)
    loss = Loss("divergence", form="z")
    loss.check_compatible(model, problem)
    x = np.ascontiguousarray(x, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 1 or z.shape != x.shape or not (
            np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
        raise ValueError(f"x and z must be finite arrays of one shape (N, 1), got {x.shape} "
                         f"and {z.shape}")
    blocks = model.blocks

    def objective(p):
        theta = set_window_coordinates(model, p)
        value, grad = loss.value_and_grad_unchecked(model, x, z, problem)
        W1, b1, W2, _ = theta.reshape(4, blocks)
        gW1, gb1, gW2, gb2 = grad.reshape(4, blocks)
        return value, np.concatenate([-W1 * gW1 - b1 * gb1 + W2 * gW2, -gb1 * W1, gW2 / W1,
                                      gb2])

    return objective


def fit_fixed_sample(model, problem, x, z, *, max_iter=5000):
    r"""Minimise the z-form divergence loss on the fixed sample (x, z) by L-BFGS-B in window
    coordinates.

    Parameters
    ----------
    model : IResNet
        1-D, width 1, odd activation (:func:`window_coordinates`); trained in place from its
        current parameters (clip levels beyond the box are clipped into it first).
    problem : LinearInverseProblem
        Sets the loss weight c = 2 delta^2.
    x, z : ndarray, shape (N, 1)
        The fixed sample (:func:`fixed_sample`).
    max_iter : int, default 5000
        Cap on the L-BFGS-B iterations.

    Returns
    -------
    dict
        ``iterations`` and ``evaluations`` (over all runs), ``restarts`` (of L-BFGS-B, see
        Notes), ``loss`` (the empirical loss at the end),
        ``projected_gradient`` (max-norm of the projected gradient in window coordinates) and
        ``message`` (L-BFGS-B's reason to stop).

    Notes
    -----
    Adam moves every parameter by about the same step, whatever the loss's curvature in it;
    the B = 4 optimum's windows differ by a factor (1 + L)^3 ~ 6, and the loss is flat in them
    (it gains ~4e-4 from the geometric windows over equal ones), so minibatch Adam equalises
    the windows (docs/sparsity.md). On a fixed sample the loss is a deterministic smooth
    function, and L-BFGS-B builds its curvature; in window coordinates
    (:func:`window_coordinates`) the constraint Lip(g_k) <= L is the box
    :math:`|\lambda_k| \le L (1 - 10^{-9})`, which L-BFGS-B keeps exactly, so no projection is
    needed. The gradient is the engine's exact one, by the chain rule
    :math:`\partial_{\log r} = -W_1 \partial_{W_1} - b_1 \partial_{b_1} + W_2 \partial_{W_2}`,
    :math:`\partial_c = -\partial_{b_1}/r`, :math:`\partial_\lambda = r \partial_{W_2}`.
    The stopping tests are L-BFGS-B's with ``ftol = 0``: projected gradient <= 1e-12, or an
    iteration without decrease. Where the loss is not convex (started with wide windows, L-BFGS-B
    can stall there with the clip levels inside the box and a projected gradient of 3e-3),
    the latter can fire far from a stationary point, so L-BFGS-B is restarted from its end
    point with a cleared memory while the projected gradient exceeds ``RESTART_TOL`` and the
    previous run decreased the loss.
    """
    blocks = model.blocks
    value_and_grad = fixed_sample_objective(model, problem, x, z)
    p0 = window_coordinates(model)
    p0[2 * blocks:3 * blocks] = np.clip(p0[2 * blocks:3 * blocks], -LAMBDA_MAX, LAMBDA_MAX)
    bounds = [(None, None)] * (2 * blocks) + [(-LAMBDA_MAX, LAMBDA_MAX)] * blocks \
        + [(None, None)] * blocks
    lower = np.array([lo if lo is not None else -np.inf for lo, _ in bounds])
    upper = np.array([hi if hi is not None else np.inf for _, hi in bounds])
    iterations = evaluations = restarts = 0
    p, value = p0, np.inf
    while True:
        result = minimize(value_and_grad, p, jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": max_iter - iterations, "maxcor": 50, "ftol": 0.0,
                                   "gtol": 1e-12, "maxls": 50})
        iterations += int(result.nit)
        evaluations += int(result.nfev)
        projected = float(np.max(np.abs(result.x - np.clip(result.x - result.jac, lower,
                                                            upper))))
        decreased = result.fun < value
        p, value = result.x, float(result.fun)
        if projected <= RESTART_TOL or not decreased or iterations >= max_iter:
            break
        restarts += 1
    set_window_coordinates(model, p)
    model.project()
    return {"iterations": iterations, "evaluations": evaluations, "restarts": restarts,
            "loss": value, "projected_gradient": projected, "message": str(result.message)}


def dead_zone_slope(model):
    """The learned inverse's difference quotient over [-kappa/2, kappa/2]."""
    ends = model.inverse(np.array([[-KAPPA / 2], [KAPPA / 2]]))[:, 0]
    return float((ends[1] - ends[0]) / KAPPA)


def run(blocks, seed, *, method="fixed-sample", samples=2**16, sampling="sobol",
        activation="softclip", width=1, start="near-identity", radius=0.1, steps=10000,
        batch=512, learning_rate=1e-2):
    """Train one network; return its row (distances in units of d(PM, MAP), slopes)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    prior = Laplace(0.0, SCALE)
    problem = LinearInverseProblem([[A]], DELTA, prior)
    data = data_grid(prior, A, DELTA, "z", np.random.default_rng(0))
    pm, x_map = references(prior, A, DELTA, "z", data)
    optimum = evaluate(claims.get("laplace-slope-bounded-divergence").prediction["inverse_z"],
                       z=data, H=(1 + L) ** blocks, a=A, b=SCALE, delta=DELTA)
    unit = rms(pm, x_map)
    started = time.perf_counter()
    model = IResNet(1, blocks, width, lipschitz=L, activation=activation, rng=seed)
    if start == "near-identity":
        near_identity_start(model, radius)
    row = {"blocks": blocks, "seed": seed, "method": method, "activation": activation,
           "width": width, "start": start, "radius": radius}
    if method != "fixed-sample":
        train(model, problem, "divergence", form="z", steps=steps, batch_size=batch,
              learning_rate=learning_rate, final_learning_rate=learning_rate / 100, seed=seed,
              progress=False)
        row.update(steps=steps, batch=batch, learning_rate=learning_rate)
    if method != "adam":
        x, z = fixed_sample(samples, seed, sampling)
        fit = fit_fixed_sample(model, problem, x, z)
        row.update(samples=samples, sampling=sampling, iterations=fit["iterations"],
                   restarts=fit["restarts"], projected_gradient=fit["projected_gradient"],
                   fit_loss=fit["loss"])
    learned = model.inverse(data[:, None])[:, 0]
    slope, derived = dead_zone_slope(model), (1 + L) ** -blocks
    windows = 1.0 / np.abs(model._views(model.get_parameters())[0][:, :, 0])
    row.update(d_optimum=rms(learned, optimum) / unit, d_pm=rms(learned, pm) / unit,
               d_map=rms(learned, x_map) / unit, slope=slope, derived_slope=derived,
               slope_error=slope / derived - 1, windows=windows.ravel().tolist(),
               seconds=time.perf_counter() - started)
    return row


def summary(rows):
    """Mean and standard error over the rows (seeds) of the slope error and of the margins
    d(learned, PM) - d(learned, optimum) and d(learned, MAP) - d(learned, optimum), each also in
    standard errors of its mean."""
    out = {}
    for name, values in (("slope_error", [r["slope_error"] for r in rows]),
                         ("margin_pm", [r["d_pm"] - r["d_optimum"] for r in rows]),
                         ("margin_map", [r["d_map"] - r["d_optimum"] for r in rows])):
        values = np.array(values)
        error = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else np.nan
        out[name] = (float(values.mean()), float(error))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--method", choices=METHODS, default="fixed-sample")
    parser.add_argument("--samples", type=int, default=2**16,
                        help="size of the fixed sample (a power of 2 for sobol)")
    parser.add_argument("--sampling", choices=SAMPLINGS, default="sobol")
    parser.add_argument("--activation", default="softclip")
    parser.add_argument("--width", type=int, default=1)
    parser.add_argument("--start", choices=["near-identity", "default"], default="near-identity")
    parser.add_argument("--radius", type=float, default=0.1,
                        help="window of the near-identity start")
    parser.add_argument("--steps", type=int, default=10000, help="Adam steps")
    parser.add_argument("--batch", type=int, default=512, help="Adam minibatch")
    parser.add_argument("--learning-rate", type=float, default=1e-2, help="Adam's first rate")
    parser.add_argument("--out", help="write the rows as JSON to this file")
    args = parser.parse_args(argv)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        row = run(args.blocks, seed, method=args.method, samples=args.samples,
                  sampling=args.sampling, activation=args.activation, width=args.width,
                  start=args.start, radius=args.radius, steps=args.steps, batch=args.batch,
                  learning_rate=args.learning_rate)
        rows.append(row)
        print(f"B={row['blocks']} seed={seed} d(optimum)={row['d_optimum']:.4f} "
              f"d(PM)={row['d_pm']:.4f} d(MAP)={row['d_map']:.4f} slope={row['slope']:.5f} "
              f"derived={row['derived_slope']:.5f} ({100 * row['slope_error']:+.2f}%) "
              f"windows={np.round(row['windows'], 4).tolist()} {row['seconds']:.1f} s",
              flush=True)
    if len(rows) > 1:
        stats = summary(rows)
        (slope, slope_se), (pm, pm_se), (mp, mp_se) = (stats[k] for k in
                                                        ("slope_error", "margin_pm", "margin_map"))
        print(f"mean over {len(rows)} seeds: slope error {100 * slope:+.3f}% "
              f"(standard error {100 * slope_se:.2g}%); margin to the PM {pm:.4f} "
              f"= {pm / pm_se:.0f} standard errors; to the MAP {mp:.4f} = {mp / mp_se:.0f} "
              f"standard errors")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
