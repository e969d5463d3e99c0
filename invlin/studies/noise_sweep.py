"""Noise sweep: the log-det inverse's gap to the PM and the divergence inverse's gap to the MAP.

A diagonal problem ``A = diag(sigma)`` (square, so the y-form applies too) with a Gaussian prior
diagonal in the singular basis, and a :class:`~invlin.models.DiagonalLinear` model trained on
the exact expected loss (population training) for a range of noise levels ``delta`` with the
paper's weight ``c = 2 delta^2``. Per singular component the learned inverse filter ``1/k_j``
is compared with the PM filter and the MAP filter read off the exact estimators
(:func:`invlin.estimators.posterior_mean`, :func:`invlin.estimators.map_estimate`).

The theory (``theory.scalar.gap_to_pm``, ``theory.series.leading_order``) predicts for the
log-det loss a gap to the PM of leading order ``delta^4`` in the y-form and the z-weighted form
(first-order agreement), but ``delta^2`` in the unweighted z-form (unless ``sigma = 1``); and for
the divergence loss (z-form) a gap to the MAP of exactly zero.

Beyond Gaussians (where PM = MAP and the divergence statement is hard to tell from the PM one),
a nonlinear :class:`~invlin.models.DiagonalNet` is trained with the divergence loss on samples
from a product-of-logistics prior (log-concave, PM != MAP) diagonal in the singular basis, at a
few noise levels, and its inverse is compared with the exact MAP and PM.

Both parts are sweeps (:mod:`invlin.sweep`): :func:`linear_config` and :func:`nonlinear_config`
give the grids of training runs, one table row per run, from which the figures, tables and
checks below are computed.
"""

from __future__ import annotations

import os

import numpy as np

from invlin import sweep
from invlin.estimators import map_estimate, posterior_mean
from invlin.priors import Gaussian
from invlin.problem import LinearInverseProblem
from invlin._metrics import loglog_slope
from invlin._plotting import save, subplots
from invlin.studies._record import add_check, add_figure, add_table, fmt, new_record
from invlin.prediction import evaluate
from theory.scalar import gap_to_pm
from theory.series import leading_order, order_in

NAME = "noise_sweep"
TITLE = "Noise sweep: log-det gap to PM and divergence gap to MAP"

SINGULAR_VALUES = (1.5, 0.6)
PRIOR_STD = (1.0, 0.7)
#: (loss, form, claim supported by the gap's order)
LOGDET_FORMS = (
    ("logdet", "z-weighted", "logdet-z-weighted-first-order"),
    ("logdet", "y", "logdet-y-first-order-pm"),
    ("logdet", "z", "logdet-z-unweighted"),
)
#: The leading order is an asymptotic statement: the series parameter is
#: delta^2 / (sigma^2 s^2) (0.29 delta^2/0.01 for the weak component), so the sweep starts at
#: delta = 0.01 and the slopes are fitted on the ``n_fit`` smallest noise levels.
FULL = {"deltas": np.round(np.geomspace(0.01, 0.64, 13), 6).tolist(), "steps": 100,
        "tol": 1e-13, "n_fit": 4,
        "nonlinear": {"deltas": [0.1, 0.2, 0.4, 0.8], "n_units": 4, "steps": 3000,
                      "batch_size": 256, "learning_rate": 1e-2, "n_test": 2000}}
QUICK = {"deltas": [0.01, 0.02, 0.04], "steps": 100, "tol": 1e-13, "n_fit": 3,
         "nonlinear": {"deltas": [0.4, 0.8], "n_units": 4, "steps": 1000, "batch_size": 256,
                       "learning_rate": 1e-2, "n_test": 200}}
#: Logistic scales of the nonlinear part's prior (per singular component).
LOGISTIC_SCALES = (0.5, 0.35)
INVERSE_TOL = 1e-10
#: Training precision margin on fitted slopes. Population training stops at a projected
#: gradient norm <= 1e-13; with expected-loss curvatures >= 0.1 the gains are exact to
#: ~1e-12, against inverse-filter gaps of at least ~1e-9 (the smallest in the sweep, recorded
#: in the check's reason): a relative error <= 1e-3 on each gap, which moves a log-log slope
#: fitted over a factor >= 2.8 in delta by < 1e-3; 1e-2 leaves a factor 10 margin.
SLOPE_PRECISION = 1e-2
#: Relative error allowed between the learned and the exact predicted gap, for the same reason
#: (<= 1e-3 expected, factor 10 margin).
GAP_RTOL = 1e-2
#: Divergence vs MAP: the predicted gap is exactly zero, so the learned gap is pure training
#: error; 1e-6 relative is the engine's accepted population-training precision (issue 4).
MAP_RTOL = 1e-6


def _problem(delta: float) -> LinearInverseProblem:
    prior = Gaussian(np.zeros(2), np.diag(np.square(PRIOR_STD)))
    return LinearInverseProblem(np.diag(SINGULAR_VALUES), delta, prior)


def _estimator_filters(problem, estimator, data: str) -> np.ndarray:
    """Inverse filters of a linear estimator: x_hat = sum_j h_j <t, w_j> v_j.

    The estimator is applied to the measurements ``y = u_j`` (left singular vectors), for which
    ``<y, u_j> = 1`` and ``<z, v_j> = sigma_j``: ``h_j = <x_hat(u_j), v_j>`` (y-data) or
    ``<x_hat(u_j), v_j> / sigma_j`` (z-data).
    """
    U, V = problem.left_singular_vectors, problem.right_singular_vectors
    sigma = np.asarray(problem.singular_values)
    estimates = estimator(problem, U.T)
    h = np.einsum("jn,nj->j", estimates, V)
    return h if data == "y" else h / sigma


def linear_config(config: dict, seed: int) -> dict:
    """The sweep of population-trained DiagonalLinear models: each loss/form x delta."""
    return {"name": f"{NAME}-linear",
            "base": {"singular_values": list(SINGULAR_VALUES), "prior": "gaussian",
                     "prior_scale": list(PRIOR_STD), "model": "diagonal_linear",
                     "population": True, "optimizer": "newton", "steps": config["steps"],
                     "batch_size": 1, "tol": config["tol"],
                     "n_test": 0, "seed": seed},
            "variants": [{"loss": loss, "form": form}
                         for loss, form, _ in LOGDET_FORMS + (("divergence", "z", None),)],
            "grid": {"delta": [float(d) for d in config["deltas"]]}}


def nonlinear_config(config: dict, seed: int) -> dict:
    """The sweep of divergence-trained DiagonalNets on the logistic prior: one per delta."""
    return {"name": f"{NAME}-nonlinear",
            "base": {"singular_values": list(SINGULAR_VALUES), "prior": "logistic",
                     "prior_scale": list(LOGISTIC_SCALES), "model": "diagonal_net",
                     "width": config["n_units"], "loss": "divergence", "form": "z",
                     "steps": config["steps"], "batch_size": config["batch_size"],
                     "learning_rate": config["learning_rate"], "n_test": config["n_test"],
                     "inverse_tol": INVERSE_TOL},
            "variants": [{"delta": float(delta), "seed": seed + 50 + i}
                         for i, delta in enumerate(config["deltas"])]}


def _training_summary(row: dict) -> dict:
    if row["status"] != "OK":
        raise RuntimeError(f"training run {row['loss']} {row['form']} delta={row['delta']} "
                           f"failed:\n{row['error']}")
    return {"loss": row["loss"], "form": row["form"], "final_loss": row["final_loss"],
            "steps_run": row["steps_run"], "converged": row["converged"],
            "final_gradient_norm": row["final_gradient_norm"],
            "seconds": row["train_seconds"], "delta": row["delta"]}


def run(out_dir, *, seed: int, quick: bool = False, progress=None) -> dict:
    """Run the sweep; write figures into ``out_dir`` and return the study record."""
    os.makedirs(out_dir, exist_ok=True)
    config = QUICK if quick else FULL
    deltas = np.asarray(config["deltas"])
    settings = {"operator": np.diag(SINGULAR_VALUES), "singular_values": SINGULAR_VALUES,
                "prior": {"type": "Gaussian", "mean": 0.0, "std_per_component": PRIOR_STD},
                "model": "DiagonalLinear(basis=V)",
                "training": "population (exact expected loss), projected Newton",
                "weight": "2 delta^2 (paper)", "runs": [[l, f] for l, f, _ in LOGDET_FORMS]
                + [["divergence", "z"]], **config,
                "nonlinear_prior": {"type": "LogisticProduct", "scales": LOGISTIC_SCALES,
                                    "basis": "singular basis"},
                "seeds": "population training: deterministic (seed recorded, unused); "
                         "nonlinear part: training seed + 50 + delta index, test sets from "
                         "the sweep cell's held-out seed"}
    record = new_record(NAME, TITLE, __doc__.strip(), settings, seed)
    a = np.asarray(SINGULAR_VALUES)
    s = np.asarray(PRIOR_STD)
    rows = sweep.run(linear_config(config, seed), progress=progress).rows
    runs = [_training_summary(row) for row in rows]
    learned = {}
    for row in rows:
        i = int(np.flatnonzero(deltas == row["delta"])[0])
        learned.setdefault((row["loss"], row["form"]), np.empty((deltas.size, a.size)))[i] = (
            1.0 / np.asarray(row["gains"]))
    pm_filters, map_filters = {}, np.empty((deltas.size, a.size))
    for i, delta in enumerate(deltas):
        problem = _problem(float(delta))
        for data in ("y", "z"):
            pm_filters.setdefault(data, np.empty((deltas.size, a.size)))[i] = (
                _estimator_filters(problem, posterior_mean, data))
        map_filters[i] = _estimator_filters(problem, map_estimate, "z")
    record["training"] = runs

    fig, axes = subplots(1, 2, size=(5.0, 4.0))
    ax = axes[0, 0]
    rows = []
    fit_index = np.arange(config["n_fit"])
    for f_index, (loss, form, claim) in enumerate(LOGDET_FORMS):
        data = "y" if form == "y" else "z"
        gap_learned = np.abs(learned[(loss, form)] - pm_filters[data])
        gap_expr = gap_to_pm(loss, form=form)
        gap_exact = np.abs(evaluate(gap_expr, a=a[None, :], s=s[None, :], delta=deltas[:, None]))
        lead_expr = leading_order(gap_expr)
        order = int(order_in(gap_expr))
        gap_lead = np.abs(evaluate(lead_expr, a=a[None, :], s=s[None, :], delta=deltas[:, None]))
        rel = np.abs(gap_learned - gap_exact) / gap_exact
        for j in range(a.size):
            slope = loglog_slope(deltas[fit_index], gap_learned[fit_index, j])
            slope_exact = loglog_slope(deltas[fit_index], gap_exact[fit_index, j])
            rows.append([f"{loss} {form}", a[j], str(lead_expr), order, f"{slope:.4f}",
                         f"{slope_exact:.4f}", f"{rel[:, j].max():.1e}"])
            add_check(record, claim,
                      f"|fitted log-log slope - {order}| of the {form}-form log-det gap to PM, "
                      f"sigma={a[j]:g} ({config['n_fit']} smallest delta)",
                      abs(slope - order), abs(slope_exact - order) + SLOPE_PRECISION,
                      "higher-order terms: the exact predicted gap's own fitted slope over the "
                      f"same deltas is {slope_exact:.4f}; plus {SLOPE_PRECISION} for training "
                      "precision (SLOPE_PRECISION)")
            color = f"C{f_index}"
            marker = "os"[j]
            ax.plot(deltas, gap_learned[:, j], marker, color=color, markersize=5,
                    fillstyle="none",
                    label=f"{form}, $\\sigma={a[j]:g}$: learned (slope {slope:.2f})")
            ax.plot(deltas, gap_exact[:, j], "-", color=color, linewidth=1)
            ax.plot(deltas, gap_lead[:, j], ":", color=color, linewidth=1)
        add_check(record, "logdet-inverse-pm-second-order" if form != "z" else claim,
                  f"max relative error of the learned log-det ({form}) gap to PM vs the exact "
                  "predicted gap (all deltas and components)",
                  rel.max(), GAP_RTOL, "population training precision (GAP_RTOL)")
    ax.plot([], [], "-", color="k", label="exact prediction")
    ax.plot([], [], ":", color="k", label="leading order")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("noise level $\\delta$")
    ax.set_ylabel("$|1/k_j - h_j^{PM}|$ (inverse-filter gap)")
    ax.set_title("Log-det ($c = 2\\delta^2$): gap to the PM filter")
    ax.legend(loc="lower right", fontsize=6)

    ax = axes[0, 1]
    map_gap = np.abs(learned[("divergence", "z")] - map_filters) / np.abs(map_filters)
    pm_map = np.abs(pm_filters["z"] - map_filters) / np.abs(map_filters)
    for j in range(a.size):
        ax.plot(deltas, np.maximum(map_gap[:, j], 1e-17), "os"[j], color=f"C{j}",
                label=f"$\\sigma={a[j]:g}$: learned divergence filter")
    ax.axhline(MAP_RTOL, color="k", linestyle="--", linewidth=1,
               label="tolerance (training precision)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("noise level $\\delta$")
    ax.set_ylabel("$|1/k_j - h_j^{MAP}| / h_j^{MAP}$")
    ax.set_title("Divergence (z-form): gap to the MAP filter (predicted 0)")
    ax.legend(loc="upper left", fontsize=7)
    add_figure(record, save(fig, out_dir, "noise_sweep_gaps.png"),
               "Left: log-log inverse-filter gaps of the log-det-trained models to the PM "
               "filter against delta (markers learned, lines the exact prediction, dotted the "
               "leading order); the fitted slopes are in the legend. Right: relative gap of the "
               "divergence-trained filter to the MAP filter (predicted zero).")
    add_table(record, "Log-det gap to PM: leading order and fitted slopes",
              ["loss/form", "sigma", "predicted leading term", "order", "fitted slope (learned)",
               "fitted slope (exact prediction)", "max rel. error vs exact"], rows)
    add_check(record, "divergence-z-map",
              "max relative gap of the divergence-trained inverse filter to the MAP filter "
              "(all deltas and components)", map_gap.max(), MAP_RTOL,
              "predicted gap is zero; population training precision (MAP_RTOL)")
    _nonlinear(record, out_dir, config["nonlinear"], seed, progress)
    add_table(record, "Divergence (z-form) filter vs MAP filter",
              ["delta"] + [f"rel. gap sigma={v:g}" for v in a]
              + [f"PM vs MAP sigma={v:g}" for v in a],
              [[float(d)] + [f"{g:.1e}" for g in map_gap[i]] + [f"{g:.1e}" for g in pm_map[i]]
               for i, d in enumerate(deltas)])
    return record


def _nonlinear(record, out_dir, config, seed, progress) -> None:
    """Divergence-trained DiagonalNet on a logistic prior: inverse against the exact MAP and PM.

    The check is made at the largest noise level only, where PM and MAP differ most (at small
    delta they agree to high order and no sample-trained model can tell them apart): the
    inverse must be nearer the MAP than the PM by 2 bootstrap standard errors.
    """
    deltas = np.asarray(config["deltas"])
    found = sweep.run(nonlinear_config(config, seed), progress=progress).rows
    runs = [{**_training_summary(row), "model": "DiagonalNet"} for row in found]
    to_map = [(row["to_map"], row["to_map_se"]) for row in found]
    to_pm = [(row["to_pm"], row["to_pm_se"]) for row in found]
    pm_map = [(row["pm_to_map"], 0.0) for row in found]
    rows = [[row["delta"], fmt(*to_map[i]), fmt(*to_pm[i]), f"{row['pm_to_map']:.3g}",
             fmt(row["to_truth"], row["to_truth_se"])] for i, row in enumerate(found)]
    last = found[-1]
    add_check(record, "divergence-z-map",
              f"DiagonalNet on a logistic prior, delta={last['delta']:g}: "
              "RMS(divergence inverse - MAP) / RMS(divergence inverse - PM)",
              last["ratio"], 1.0 - 2.0 * last["ratio_se"],
              "discriminating: nearer the MAP than the PM by 2 bootstrap standard "
              f"errors over the test set (RMS(PM - MAP) = {last['pm_to_map']:.3g})")
    record["training"] += runs
    add_table(record, "Divergence-trained DiagonalNet, logistic prior (RMS ± SE over the test "
              "set)", ["delta", "inverse vs MAP", "inverse vs PM", "PM vs MAP", "inverse vs truth"],
              rows)
    fig, axes = subplots(1, 1, size=(5.0, 3.8))
    ax = axes[0, 0]
    for values, style, label in ((to_map, "o-", "learned inverse vs MAP"),
                                 (to_pm, "s--", "learned inverse vs PM"),
                                 (pm_map, "k:", "PM vs MAP (exact)")):
        values = np.asarray(values)
        ax.errorbar(deltas, values[:, 0], yerr=values[:, 1], fmt=style, label=label,
                    markersize=4, capsize=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("noise level $\\delta$")
    ax.set_ylabel("RMS difference over the test set")
    ax.set_title("Divergence-trained DiagonalNet, logistic prior")
    ax.legend(loc="upper left")
    add_figure(record, save(fig, out_dir, "noise_sweep_logistic.png"),
               "Divergence-trained DiagonalNet on a product-of-logistics prior: RMS distance of "
               "its inverse to the exact MAP and PM against delta (error bars: standard "
               "errors), with the PM-MAP distance for scale.")
