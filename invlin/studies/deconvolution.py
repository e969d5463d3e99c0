"""Deconvolution in high dimension: DiagonalNets in the DCT basis against per-component PM and MAP.

A 1-D signal x in R^d (d = 10^2 .. 10^4) with independent logistic DCT coefficients of scales
s_j = (1 + j)^(-1/2) (a decaying, natural-signal profile), blurred by the binomial kernel of
radius 2 (a discrete Gaussian of standard deviation 1 pixel) with reflective boundaries, plus
noise of standard deviation delta: y = A x + eta, A = V diag(sigma) V^T with V the DCT-II basis
and sigma_j = cos^4(pi j / (2d)). Nothing of size d x d is ever formed: sampling, the exact
per-component PM (1-D quadrature) and MAP (1-D Newton), and the DiagonalNets all go through
``scipy.fft.dct``.

The losses separate over components (claims ``diagonal-marginal-divergence`` and
``diagonal-marginal-reconstruction``), so each component's learned inverse is compared with the
component's own PM and MAP on the discriminating scale
rho_j = RMS_i(learned - predicted) / RMS_i(PM - MAP) over test signals, in the components where
PM and MAP differ measurably (RMS_i(PM - MAP) >= 5% of the prior scale s_j). Predictions:
reconstruction (z-form) -> PM; log-det (y-form, A symmetric positive definite, paper weight
2 delta^2) -> PM up to O(delta^4); divergence (z-form, 2 delta^2) -> MAP exactly.

Three settings: ``quick=True`` (smoke test), the default (the report's: every d for time and
memory, short training) and ``full=True`` (long training at several d and noise levels: the
acceptance run, ``python experiments/deconvolution.py --full``).
"""

from __future__ import annotations

import os

import numpy as np

from invlin.estimators import componentwise_map, componentwise_posterior_mean
from invlin.models import DiagonalNet
from invlin.operators import DCTBasis, binomial_blur_spectrum
from invlin.priors import TransformLogisticProduct
from invlin.problem import TransformDiagonalProblem
from invlin.progress import ProgressBar
from invlin._metrics import loglog_slope, rms_error
from invlin._plotting import save, subplots
from invlin.studies._record import add_check, add_figure, add_table, fmt, new_record
from invlin.studies._step_cost import step_cost
from invlin.studies._training import fit

NAME = "deconvolution"
TITLE = "Deconvolution in high dimension (d up to 10^4): diagonal networks vs per-component PM/MAP"

BLUR_RADIUS = 2
PRIOR_EXPONENT = 0.5
PRIOR_SCALE = 1.0
#: (loss, data form, predicted estimator). Log-det in the y-form: A is symmetric positive
#: definite, so its left and right singular vectors agree and the y-form is diagonal in V.
LOSSES = (("reconstruction", "z", "PM"), ("logdet", "y", "PM"), ("divergence", "z", "MAP"))
CLAIMS = {"reconstruction": "diagonal-marginal-reconstruction",
          "logdet": "logdet-inverse-pm-second-order",
          "divergence": "diagonal-marginal-divergence"}
#: A component discriminates PM from MAP when RMS_i(PM - MAP) >= MEASURABLE * s_j: 5% of the
#: prior scale, about 4 times the relative standard error of an RMS over the smallest test set
#: used here (1 / sqrt(2 * 64) = 9%, full runs use 512 signals: 3%).
MEASURABLE = 0.05
#: Inversion accuracy of the learned maps (far below every error compared).
INVERSE_TOL = 1e-10
SCALING_DIMS = (100, 1000, 10000)

#: train_cases: (d, delta, steps, batch size, test signals), each trained with every loss. The
#: report's setting trains briefly, including d = 10^4, to run the whole pipeline at that size
#: within the report's budget; its learned inverses are not converged and it records no checks.
#: The full setting trains long at d = 10^2 (two noise levels), 10^3 and 10^4 (same steps and
#: batch: each component sees the same data whatever d, so converges alike); the per-component
#: problems depend on (sigma_j, s_j, delta) only, and the training cost grows like d (d = 10^4:
#: ~0.14-0.22 s a step, about 17 minutes for its three losses on 2 cores).
SMOKE = {"train_cases": ((100, 0.05, 30, 32, 64),), "scaling_dims": (100, 1000),
         "scaling_batch": 8, "scaling_repeats": 2, "figure_dim": 100}
REPORT = {"train_cases": ((100, 0.05, 200, 64, 64), (10000, 0.05, 5, 8, 8)),
          "scaling_dims": SCALING_DIMS, "scaling_batch": 16, "scaling_repeats": 3,
          "figure_dim": 100}
FULL = {"train_cases": ((100, 0.05, 2000, 256, 512), (100, 0.1, 2000, 256, 512),
                        (1000, 0.05, 2000, 128, 512), (10000, 0.05, 2000, 128, 512)),
        "scaling_dims": SCALING_DIMS, "scaling_batch": 64, "scaling_repeats": 5,
        "figure_dim": 1000}
TRAINING = {"n_units": 1, "learning_rate": 1e-2, "final_learning_rate": 1e-4}


def make_problem(dim: int, delta: float) -> TransformDiagonalProblem:
    """The deconvolution problem of this study in dimension ``dim`` at noise level ``delta``."""
    basis = DCTBasis(dim)
    prior = TransformLogisticProduct.power_law(basis, PRIOR_EXPONENT, PRIOR_SCALE)
    return TransformDiagonalProblem(basis, binomial_blur_spectrum(dim, BLUR_RADIUS), delta, prior)


def make_model(problem: TransformDiagonalProblem, form: str, basis=None) -> DiagonalNet:
    """A DiagonalNet in the problem's basis (or ``basis``, e.g. its dense matrix), in units.

    Input unit r_j = s_j (the prior scale); output unit q_j = r_j (sigma_j^2 + delta^2 / s_j^2)
    for z-data and r_j (sigma_j + delta / s_j) for y-data: the order of magnitude of the slope
    of any of the compared maps in component j (at high signal-to-noise sigma_j^2 or sigma_j, at
    low the noise-to-prior ratio), so that one learning rate suits components whose scales span
    orders of magnitude. The function class is that of a plain DiagonalNet.
    """
    s = problem.prior.scales
    sigma, delta = problem.singular_values, problem.delta
    slope = sigma**2 + delta**2 / s**2 if form == "z" else sigma + delta / s
    return DiagonalNet(problem.basis if basis is None else basis, n_units=TRAINING["n_units"],
                       input_scales=s,
                       output_scales=s * slope)


def compare_components(learned, predicted, other, scales) -> dict:
    """Per-component discriminating comparison of coefficient arrays of shape (N, d).

    Returns per-component RMS distances (``to_predicted``, ``to_other``, ``gap`` = RMS(PM -
    MAP)), the mask ``measurable`` (gap >= MEASURABLE * s_j) and the ratios
    ``rho = to_predicted / gap`` there.
    """
    def rms(a, b):
        return np.sqrt(np.mean((a - b) ** 2, axis=0))

    gap = rms(predicted, other)
    measurable = gap >= MEASURABLE * scales
    to_predicted = rms(learned, predicted)
    return {"to_predicted": to_predicted, "to_other": rms(learned, other), "gap": gap,
            "measurable": measurable, "rho": to_predicted[measurable] / gap[measurable]}


def summarise(comparison) -> dict:
    """Fraction of measurable components nearer the prediction (binomial SE) and rho stats."""
    mask = comparison["measurable"]
    n = int(mask.sum())
    if n == 0:
        return {"n": 0, "nearer": float("nan"), "nearer_se": float("nan"),
                "rho_median": float("nan"), "rho_mean": float("nan"), "rho_se": float("nan"),
                "rho_max": float("nan")}
    nearer = float(np.mean(comparison["to_predicted"][mask] < comparison["to_other"][mask]))
    rho = comparison["rho"]
    return {"n": n, "nearer": nearer, "nearer_se": float(np.sqrt(nearer * (1 - nearer) / n)),
            "rho_median": float(np.median(rho)), "rho_mean": float(np.mean(rho)),
            "rho_se": float(np.std(rho, ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
            "rho_max": float(np.max(rho))}


def _train_and_compare(case, seed, bar):
    dim, delta, steps, batch_size, n_test = case
    problem = make_problem(dim, delta)
    basis = problem.basis
    test = problem.sample(n_test, np.random.default_rng([seed, dim, 1]))
    refs = {"PM": basis.forward(componentwise_posterior_mean(problem, test.y)),
            "MAP": basis.forward(componentwise_map(problem, test.y))}
    out = {"problem": problem, "test": test, "refs": refs, "runs": {}}
    for index, (loss, form, kind) in enumerate(LOSSES):
        model = make_model(problem, form)
        run = fit(model, problem, loss, form=form, steps=steps, batch_size=batch_size,
                  learning_rate=TRAINING["learning_rate"], final_learning_rate=TRAINING["final_learning_rate"], seed=seed + index)
        data = test.z if form == "z" else test.y
        estimate = model.inverse(data, tol=INVERSE_TOL)
        other = "MAP" if kind == "PM" else "PM"
        comparison = compare_components(basis.forward(estimate), refs[kind], refs[other],
                                        problem.prior.scales)
        out["runs"][loss] = {"model": model, "training": run, "estimate": estimate,
                             "comparison": comparison, "summary": summarise(comparison)}
        bar.update(postfix=f"d={dim} delta={delta} {loss}")
    return out


def _scaling(config, seed, bar):
    rows = []
    for dim in config["scaling_dims"]:
        problem = make_problem(dim, 0.05)
        for loss, form, _ in LOSSES:
            cost = step_cost(make_model(problem, form), problem, loss, form=form,
                             batch_size=config["scaling_batch"],
                             repeats=config["scaling_repeats"], seed=seed)
            rows.append({"dim": dim, "loss": loss, **cost})
            bar.update(postfix=f"time/memory d={dim} {loss}")
    return rows


def run(out_dir, *, seed: int, quick: bool = False, progress=None, full: bool = False) -> dict:
    """Run the study; write figures into ``out_dir`` and return the study record.

    ``quick`` is the smoke-test setting, the default the report's, ``full`` the acceptance run
    (long training; checks are recorded only then).
    """
    if quick and full:
        raise ValueError("quick and full are exclusive")
    os.makedirs(out_dir, exist_ok=True)
    config = SMOKE if quick else FULL if full else REPORT
    settings = {"signal": "1-D, DCT-II coefficients independent logistic",
                "prior_scales": f"s_j = {PRIOR_SCALE} (1 + j)^-{PRIOR_EXPONENT}",
                "blur": f"binomial kernel radius {BLUR_RADIUS} (std {np.sqrt(BLUR_RADIUS / 2):.3g} "
                        "px), reflective boundaries: sigma_j = cos^(2 radius)(pi j / (2 d))",
                "losses": [f"{loss} ({form}-form) -> {kind}" for loss, form, kind in LOSSES],
                "weight": "2 delta^2 (paper)", "measurable": f"RMS(PM - MAP) >= {MEASURABLE} s_j",
                "model": "DiagonalNet(DCT basis, units r_j = s_j, q_j = r_j * slope scale)",
                **TRAINING, **config, "setting": "smoke" if quick else "full" if full else "report",
                "seeds": "test set default_rng([seed, d, 1]); training seed + loss index"}
    record = new_record(NAME, TITLE, __doc__.strip(), settings, seed)
    n_train = len(config["train_cases"]) * len(LOSSES)
    n_scaling = len(config["scaling_dims"]) * len(LOSSES)
    results = {}
    with ProgressBar(n_train + n_scaling, NAME, enabled=progress) as bar:
        for case in config["train_cases"]:
            results[case[:2]] = _train_and_compare(case, seed, bar)
        scaling = _scaling(config, seed, bar)
    record["training"] = [dict(run["training"], dim=dim, delta=delta)
                          for (dim, delta), result in results.items()
                          for run in result["runs"].values()]
    _accuracy_tables(record, results, full, settings["setting"])
    _scaling_table(record, scaling)
    _signal_figure(record, out_dir, results, config)
    _scaling_figure(record, out_dir, scaling)
    return record


def _accuracy_tables(record, results, full, setting):
    cases = []
    for (dim, delta), result in results.items():
        refs, basis = result["refs"], result["problem"].basis
        runs = [(loss, kind, run) for (loss, _, kind), run in zip(LOSSES, result["runs"].values())]
        cases.append((dim, delta, runs, basis.adjoint(refs["PM"]), basis.adjoint(refs["MAP"]),
                      result["test"].x, "PM vs MAP"))
    note = "" if full else (f" ({setting} setting: short training, the learned inverses are "
                            "not converged; the full run is experiments/deconvolution.py --full)")
    discrimination_tables(record, cases, claims=CLAIMS, full=full, note=note)


def discrimination_tables(record, cases, *, claims, full, note):
    """Add the per-component discrimination table, the whole-signal error table and, in a full
    run, one check per case and loss (every measurable component nearer the predicted
    estimator) to ``record``.

    Parameters
    ----------
    cases : iterable of (dim, delta, runs, pm, x_map, truth, label)
        ``runs``: (loss, predicted estimator's name, run) with the run's ``summary``
        (:func:`summarise`) and ``estimate``; ``pm``, ``x_map``, ``truth``: the test signals'
        exact PM, MAP and ground truth; ``label``: the error table's PM-vs-MAP row.
    claims : dict
        Loss -> the claim id its check supports.
    full : bool
    note : str
        Appended to the discrimination table's title.
    """
    rows, error_rows = [], []
    for dim, delta, runs, pm, x_map, truth, label in cases:
        for loss, kind, run in runs:
            s = run["summary"]
            rows.append([dim, delta, loss, kind, s["n"], fmt(s["nearer"], s["nearer_se"]),
                         fmt(s["rho_median"]), fmt(s["rho_mean"], s["rho_se"]), fmt(s["rho_max"])])
            error_rows.append([dim, delta, loss, fmt(*rms_error(run["estimate"], pm)),
                               fmt(*rms_error(run["estimate"], x_map)),
                               fmt(*rms_error(run["estimate"], truth))])
            if full and s["n"]:
                add_check(record, claims[loss],
                          f"d={dim}, delta={delta}, {loss}: fraction of the {s['n']} measurable "
                          f"components where the learned inverse is NOT nearer the {kind}",
                          1.0 - s["nearer"], 0.0,
                          f"every measurable component (RMS(PM - MAP) >= {MEASURABLE} s_j over "
                          f"the test signals) nearer the predicted estimator; median rho = "
                          f"{s['rho_median']:.3g}")
        error_rows.append([dim, delta, label, fmt(*rms_error(pm, x_map)), "", ""])
    add_table(record, "Per-component discrimination: rho_j = RMS(learned - predicted) / "
              "RMS(PM - MAP) over measurable components" + note,
              ["d", "delta", "loss", "predicted", "measurable components",
               "fraction nearer predicted (± SE)", "median rho", "mean rho ± SE", "max rho"],
              rows)
    add_table(record, "Whole-signal RMS errors of the learned inverses (± SE over test signals)",
              ["d", "delta", "loss", "vs PM", "vs MAP", "vs truth"], error_rows)


def _scaling_table(record, scaling):
    rows = []
    for row in scaling:
        dim = row["dim"]
        rows.append([dim, row["loss"], f"{1e3 * row['seconds_min']:.3g}",
                     f"{1e3 * row['seconds']:.3g}",
                     f"{1e9 * row['seconds_min'] / (dim * np.log2(dim)):.3g}",
                     f"{row['peak_bytes'] / 2**20:.3g}", f"{8 * dim**2 / 2**20:.3g}"])
    for loss, _, _ in LOSSES:
        sub = [row for row in scaling if row["loss"] == loss]
        if len(sub) > 1:
            dims = [row["dim"] for row in sub]
            rows.append(["slope", loss,
                         f"{loglog_slope(dims, [row['seconds_min'] for row in sub]):.3g}", "", "",
                         f"{loglog_slope(dims, [row['peak_bytes'] for row in sub]):.3g}", "2"])
    add_table(record, "Cost of one training step (sample a minibatch + loss + exact gradient) "
              "against d (best and median of the repeats: the machine is shared, the best is the "
              "least disturbed); 'slope' rows: log-log slope of the best time and of the memory "
              "over d (d log d gives ~1.1 here, d^2 gives 2)",
              ["d", "loss", "ms / step (best)", "ms / step (median)", "ns / (step d log2 d)",
               "peak MiB (tracemalloc)",
               "a dense d x d basis would take MiB"], rows)


def _signal_figure(record, out_dir, results, config):
    dim = config["figure_dim"]
    keys = [key for key in results if key[0] == dim] or list(results)
    result = results[keys[0]]
    problem, test = result["problem"], result["test"]
    basis = problem.basis
    fig, axes = subplots(2, 1, size=(9.0, 3.4))
    ax = axes[0, 0]
    ax.plot(test.x[0], color="0.6", lw=1.0, label="truth x")
    ax.plot(test.y[0], ".", color="0.3", ms=2, label="measurement y")
    ax.plot(basis.adjoint(result["refs"]["PM"][:1])[0], color="k", lw=1.2, label="PM")
    ax.plot(basis.adjoint(result["refs"]["MAP"][:1])[0], "--", color="C1", lw=1.2, label="MAP")
    for color, (loss, _, _) in zip(("C3", "C2", "C0"), LOSSES):
        ax.plot(result["runs"][loss]["estimate"][0], ":", color=color, lw=1.2,
                label=f"learned inverse ({loss})")
    ax.set_xlabel("pixel i")
    ax.set_title(f"One test signal, d = {problem.dim}, delta = {problem.delta}")
    ax.legend(loc="upper right", ncol=4)
    ax = axes[1, 0]
    for color, (loss, _, kind) in zip(("C3", "C2", "C0"), LOSSES):
        comparison = result["runs"][loss]["comparison"]
        j = np.flatnonzero(comparison["measurable"])
        ax.semilogy(j, comparison["rho"], ".", color=color, ms=3,
                    label=f"{loss}: RMS(learned - {kind}) / RMS(PM - MAP)")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel("DCT component j (measurable ones)")
    ax.set_ylabel("rho_j")
    ax.legend(loc="upper left")
    add_figure(record, save(fig, out_dir, "deconvolution_signals.png"),
               "Top: a test signal, its blurred noisy measurement, the exact PM and MAP "
               "(per-component quadrature and Newton through the DCT) and the learned inverses. "
               "Bottom: the discriminating ratio per measurable component (below 1: nearer the "
               f"predicted estimator than PM and MAP are to each other). Setting: "
               f"{record['settings']['setting']}.")


def _scaling_figure(record, out_dir, scaling):
    fig, axes = subplots(1, 2, size=(4.6, 3.6))
    for color, (loss, _, _) in zip(("C3", "C2", "C0"), LOSSES):
        sub = [row for row in scaling if row["loss"] == loss]
        dims = np.array([row["dim"] for row in sub], dtype=float)
        axes[0, 0].loglog(dims, [row["seconds_min"] for row in sub], "o-", color=color,
                          label=loss)
        axes[0, 1].loglog(dims, [row["peak_bytes"] / 2**20 for row in sub], "o-", color=color,
                          label=loss)
    dims = np.array(sorted({row["dim"] for row in scaling}), dtype=float)
    first = [row for row in scaling if row["loss"] == LOSSES[0][0]]
    t0, m0 = first[0]["seconds_min"], first[0]["peak_bytes"] / 2**20
    ref = dims * np.log2(dims) / (dims[0] * np.log2(dims[0]))
    for ax, base, unit in ((axes[0, 0], t0, "s / step"), (axes[0, 1], m0, "peak MiB")):
        ax.loglog(dims, base * ref, "k--", lw=0.8, label="d log d")
        ax.loglog(dims, base * (dims / dims[0]) ** 2, "k:", lw=0.8, label="d^2")
        ax.set_xlabel("d")
        ax.set_ylabel(unit)
        ax.legend()
    axes[0, 0].set_title("time per training step (best of repeats)")
    axes[0, 1].set_title("peak memory per step (tracemalloc)")
    add_figure(record, save(fig, out_dir, "deconvolution_scaling.png"),
               "Time and peak memory of one training step against d, with d log d and d^2 "
               "reference lines through the smallest d.")
