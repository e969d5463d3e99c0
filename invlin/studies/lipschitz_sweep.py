"""Lipschitz sweep: learned gains and inverse filters against the clipped predictions.

A diagonal problem ``A = diag(sigma)`` with a Gaussian prior diagonal in the same basis, and a
:class:`~invlin.models.DiagonalLinear` model with slopes constrained to ``[1 - L, 1 + L]``
(``phi = Id + g``, ``Lip(g) <= L``), trained on the exact expected loss (population training)
for each of the four losses in z-form and a range of bounds ``L``. The theory predicts the
unconstrained optimal gain clipped to ``[1 - L, 1 + L]`` (claim ``lipschitz-clipping``), and for
approximation training the inverse filter ``1 / max(sigma^2, 1 - L)`` when
``sigma^2 <= 1 + L`` (claim ``lipschitz-approximation-filter``).

The training runs are a sweep (:mod:`invlin.sweep`, grid in :func:`sweep_config`): loss x L,
one table row per run, whose learned gains the checks and figures below compare with theory.
"""

from __future__ import annotations

import os

import numpy as np
from matplotlib.ticker import ScalarFormatter

from theory import symbols
from theory.scalar import inverse_filter, optimal_gain
from invlin import sweep
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem
from invlin._plotting import save, subplots
from invlin.studies._record import add_check, add_figure, add_table, new_record
from invlin.prediction import evaluate
from invlin.studies._training import LOSSES

NAME = "lipschitz_sweep"
TITLE = "Lipschitz sweep: constrained gains and inverse filters"

SINGULAR_VALUES = (1.3, 0.9, 0.4)
PRIOR_STD = (1.0, 0.8, 1.2)
DELTA = 0.3
FULL = {"lipschitz": np.round(np.linspace(0.05, 0.95, 10), 4).tolist(), "steps": 4000,
        "learning_rate": 0.02, "tol": 1e-11}
QUICK = {"lipschitz": [0.2, 0.6], "steps": 1500, "learning_rate": 0.02, "tol": 1e-11}
#: Relative precision expected from population training stopped at gradient norm ``tol``:
#: with curvatures of the expected losses of order >= 1e-2 the gain error is <= tol / 1e-2,
#: far below this; 1e-6 is the engine's accepted convergence precision (issue 4).
GAIN_RTOL = 1e-6


def _problem() -> LinearInverseProblem:
    prior = Gaussian(np.zeros(3), np.diag(np.square(PRIOR_STD)))
    return LinearInverseProblem(np.diag(SINGULAR_VALUES), DELTA, prior)


def _component_parameters(problem):
    """Per-component singular value a_j and prior standard deviation s_j = sqrt(v^T Sigma v)."""
    basis = problem.right_singular_vectors
    cov = problem.prior.covariance
    s = np.sqrt(np.einsum("ij,ik,kj->j", basis, cov, basis))
    return np.asarray(problem.singular_values), s, basis


def sweep_config(config: dict, seed: int) -> dict:
    """The sweep of population-trained constrained DiagonalLinear models: loss x L (z-form)."""
    return {"name": NAME,
            "base": {"singular_values": list(SINGULAR_VALUES), "prior": "gaussian",
                     "prior_scale": list(PRIOR_STD), "delta": DELTA, "model": "diagonal_linear",
                     "form": "z", "population": True, "steps": config["steps"],
                     "batch_size": 1, "learning_rate": config["learning_rate"],
                     "tol": config["tol"], "n_test": 0, "seed": seed},
            "variants": [{"loss": loss} for loss in LOSSES],
            "grid": {"lipschitz": [float(b) for b in config["lipschitz"]]}}


def run(out_dir, *, seed: int, quick: bool = False, progress=None) -> dict:
    """Run the sweep; write figures into ``out_dir`` and return the study record."""
    os.makedirs(out_dir, exist_ok=True)
    config = QUICK if quick else FULL
    problem = _problem()
    a, s, _ = _component_parameters(problem)
    settings = {"operator": np.diag(SINGULAR_VALUES), "singular_values": SINGULAR_VALUES,
                "prior": {"type": "Gaussian", "mean": 0.0, "std_per_component": PRIOR_STD},
                "delta": DELTA, "model": "DiagonalLinear(basis=V, lipschitz=L)",
                "training": "population (exact expected loss), Adam", "form": "z",
                "weight": "2 delta^2 (paper)", "losses": LOSSES, **config,
                "gain_rtol": GAIN_RTOL, "seeds": "training seed (population training is "
                "deterministic; the seed is unused)"}
    record = new_record(NAME, TITLE, __doc__.strip(), settings, seed)
    bounds = np.asarray(config["lipschitz"])
    rows = sweep.run(sweep_config(config, seed), progress=progress).rows
    failed = [row for row in rows if row["status"] != "OK"]
    if failed:
        raise RuntimeError(f"{len(failed)} training run(s) failed; first:\n{failed[0]['error']}")
    # cells are ordered loss-major, then L (the config's variants x grid)
    learned = np.array([row["gains"] for row in rows]).reshape(len(LOSSES), bounds.size, a.size)
    runs = [{"loss": row["loss"], "form": row["form"], "final_loss": row["final_loss"],
             "steps_run": row["steps_run"], "converged": row["converged"],
             "final_gradient_norm": row["final_gradient_norm"],
             "seconds": row["train_seconds"], "lipschitz": row["lipschitz"]} for row in rows]
    predicted = np.empty_like(learned)
    for i, loss in enumerate(LOSSES):
        expr = optimal_gain(loss, form="z", lipschitz=symbols.L)
        predicted[i] = evaluate(expr, a=a[None, :], s=s[None, :], delta=DELTA,
                                L=bounds[:, None])
    rel = np.abs(learned - predicted) / np.abs(predicted)
    rows = []
    for i, loss in enumerate(LOSSES):
        for j, bound in enumerate(bounds):
            rows.append([loss, float(bound)] + [f"{learned[i, j, k]:.6f} / {predicted[i, j, k]:.6f}"
                                               for k in range(a.size)]
                        + [f"{rel[i, j].max():.1e}"])
    add_table(record, "Learned / predicted gains k_j (z-form)",
              ["loss", "L"] + [f"sigma={v:g}" for v in a] + ["max rel. error"], rows)
    add_check(record, "lipschitz-clipping",
              "max relative error of learned constrained gains (all losses, L, components)",
              rel.max(), GAIN_RTOL, "population training precision (see GAIN_RTOL)")

    approx = LOSSES.index("approximation")
    filter_expr = inverse_filter("approximation", form="z", lipschitz=symbols.L)
    filter_pred = evaluate(filter_expr, a=a[None, :], s=s[None, :], delta=DELTA,
                           L=bounds[:, None])
    filter_learned = 1.0 / learned[approx]
    in_scope = np.square(a)[None, :] <= 1.0 + bounds[:, None]
    filter_rel = np.abs(filter_learned - filter_pred) / filter_pred
    add_check(record, "lipschitz-approximation-filter",
              "max relative error of the approximation-trained inverse filter vs "
              "1/max(sigma^2, 1-L) (components with sigma^2 <= 1+L)",
              filter_rel[in_scope].max(), GAIN_RTOL,
              "population training precision (see GAIN_RTOL)")
    record["training"] = runs

    dense = np.linspace(0.01, 0.99, 300)
    fig, axes = subplots(2, 2, size=(4.2, 3.4))
    for i, loss in enumerate(LOSSES):
        ax = axes.flat[i]
        ax.fill_between(dense, 1 - dense, 1 + dense, color="0.9", label="$[1-L, 1+L]$")
        expr = optimal_gain(loss, form="z", lipschitz=symbols.L)
        for k in range(a.size):
            curve = evaluate(expr, a=a[k], s=s[k], delta=DELTA, L=dense)
            ax.plot(dense, curve, color=f"C{k}", label=f"predicted, $\\sigma={a[k]:g}$")
            ax.plot(bounds, learned[i, :, k], "o", color=f"C{k}", markersize=4,
                    label="learned" if k == 0 else None)
        ax.set_title(f"{loss} loss (z-form)")
        ax.set_xlabel("Lipschitz bound $L$")
        ax.set_ylabel("gain $k_j$")
        ax.legend(loc="upper left")
    fig.suptitle(f"Constrained gains vs $L$ ($\\delta={DELTA}$): clipped predictions (lines), "
                 "population-trained DiagonalLinear (dots)")
    add_figure(record, save(fig, out_dir, "lipschitz_gains.png"),
               "Learned gains of the Lipschitz-constrained DiagonalLinear model against the "
               "theory's clipped optimal gains, for each loss, as functions of L.")

    fig, axes = subplots(1, 1, size=(5.0, 3.8))
    ax = axes[0, 0]
    for k in range(a.size):
        curve = evaluate(filter_expr, a=a[k], s=s[k], delta=DELTA, L=dense)
        ax.plot(dense, curve, color=f"C{k}",
                label=f"predicted, $\\sigma={a[k]:g}$")
        ax.axhline(1.0 / a[k] ** 2, color=f"C{k}", linestyle=":", linewidth=1)
        ax.plot(bounds, filter_learned[:, k], "o", color=f"C{k}", markersize=4)
    ax.plot([], [], "o", color="k", markersize=4, label="learned $1/k_j$")
    ax.plot([], [], ":", color="k", label="unconstrained $1/\\sigma^2$")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_formatter(ScalarFormatter())
    ax.set_xlabel("Lipschitz bound $L$")
    ax.set_ylabel("inverse filter $1/k_j$")
    ax.set_title("Approximation training: inverse filter vs $L$\n(prediction "
                 "$1/\\max(\\sigma^2, 1-L)$ where $\\sigma^2 \\leq 1+L$, else $1/(1+L)$)")
    ax.legend(loc="best")
    add_figure(record, save(fig, out_dir, "lipschitz_approximation_filter.png"),
               "Inverse filters of approximation-trained constrained models against "
               "1/max(sigma^2, 1-L); dotted lines are the unconstrained filters 1/sigma^2.")
    return record
