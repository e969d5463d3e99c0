"""Diagonal models on a non-product prior learn the MARGINAL, not the full, estimators.

A :class:`~invlin.models.DiagonalNet` ``phi(x) = sum_j f_j(<x, v_j>) v_j`` in the right singular
basis of the toy operator, trained (z-form, paper weight ``2 delta^2``) on a correlated 2-D
Gaussian-mixture prior that is not a product in that basis. The losses separate over
components, and component ``j`` only sees the marginal prior ``p_j`` of ``<x, v_j>``
(``prior.marginal(v_j)``). Predictions:

- divergence: ``f_j(t) = sigma_j^2 t - delta^2 (log p_j)'(t)``, so ``f_j^{-1}(z_j)`` is the MAP
  of the 1-D problem ``y_j = sigma_j x_j + noise`` with prior ``p_j`` (claim
  ``diagonal-marginal-divergence``);
- reconstruction: ``f_j^{-1}(z_j) = E[x_j | z_j]``, the PM of the same 1-D problem (claim
  ``diagonal-marginal-reconstruction``).

The 1-D references are computed with :func:`invlin.estimators.map_estimate` and
:func:`invlin.estimators.posterior_mean` on the marginal problems (data ``y_j = z_j / sigma_j``);
the full 2-D PM and MAP show how far the diagonal model is from the full estimators.
"""

from __future__ import annotations

import os

import numpy as np

from invlin.estimators import map_estimate, posterior_mean
from invlin.models import DiagonalNet
from invlin.priors import GaussianMixture
from invlin.problem import LinearInverseProblem
from invlin.progress import ProgressBar
from invlin.studies import _toy
from invlin._metrics import relative_rms, rms_error, rms_ratio
from invlin._plotting import save, subplots
from invlin.studies._record import add_check, add_figure, add_table, fmt, new_record
from invlin.prediction import divergence_optimum
from invlin.studies._training import fit

NAME = "diagonal_marginal"
TITLE = "Diagonal models on a non-product prior: marginal estimators"

#: Noise level: large enough that the marginal score term visibly bends f_j, small enough that
#: f_j' = sigma_j^2 - delta^2 (log p_j)'' stays positive (min 0.25, component 1), so the
#: divergence optimum is invertible and a DiagonalNet can represent it.
DELTA = 0.3
MIXTURE = {
    "weights": (0.5, 0.5),
    "means": ((1.0, 0.3), (-1.0, -0.3)),
    "covariances": (((0.15, 0.08), (0.08, 0.25)), ((0.15, 0.08), (0.08, 0.25))),
}
LOSSES = ("divergence", "reconstruction")
FULL = {"n_units": 4, "steps": 3000, "batch_size": 256, "learning_rate": 1e-2, "n_test": 2000}
QUICK = {"n_units": 4, "steps": 150, "batch_size": 64, "learning_rate": 1e-2, "n_test": 200}
#: Inversion accuracy (far below every error compared here).
INVERSE_TOL = 1e-10
#: Central fraction of the data on which component functions are compared (the tails are
#: where training saw almost no data).
CENTRAL = 0.98


def _prior() -> GaussianMixture:
    return GaussianMixture(np.array(MIXTURE["weights"]), np.array(MIXTURE["means"]),
                           np.array(MIXTURE["covariances"]))


def _marginal_problems(problem):
    """The 1-D problems ``y_j = sigma_j x_j + noise`` with the marginal priors p_j."""
    V = problem.right_singular_vectors
    return [
        LinearInverseProblem(np.array([[sigma]]), problem.delta, problem.prior.marginal(V[:, j]))
        for j, sigma in enumerate(problem.singular_values)
    ]


def _marginal_estimate(estimator, marginals, problem, z) -> np.ndarray:
    """sum_j x_hat_j(z_j / sigma_j) v_j with the 1-D estimator of each component."""
    V = problem.right_singular_vectors
    coords = z @ V
    out = np.zeros_like(z)
    for j, (marginal, sigma) in enumerate(zip(marginals, problem.singular_values)):
        out += np.outer(estimator(marginal, (coords[:, j] / sigma)[:, None])[:, 0], V[:, j])
    return out


def run(out_dir, *, seed: int, quick: bool = False, progress=None) -> dict:
    """Run the study; write figures into ``out_dir`` and return the study record."""
    os.makedirs(out_dir, exist_ok=True)
    config = QUICK if quick else FULL
    problem = LinearInverseProblem(_toy.operator(), DELTA, _prior())
    V = problem.right_singular_vectors
    sigma = np.asarray(problem.singular_values)
    settings = {"operator": problem.A, "singular_values": sigma, "delta": DELTA,
                "prior": {"type": "GaussianMixture", **MIXTURE},
                "model": "DiagonalNet(basis=V, n_units)", "form": "z",
                "weight": "2 delta^2 (paper)", "losses": LOSSES, **config,
                "inverse_tol": INVERSE_TOL, "central_fraction": CENTRAL,
                "seeds": "training seed + loss index; test set default_rng([seed, 1])"}
    record = new_record(NAME, TITLE, __doc__.strip(), settings, seed)
    marginals = _marginal_problems(problem)
    samples = problem.sample(config["n_test"], np.random.default_rng([seed, 1]))
    full = {"PM": posterior_mean(problem, samples.y), "MAP": map_estimate(problem, samples.y)}
    marginal = {"PM": _marginal_estimate(posterior_mean, marginals, problem, samples.z),
                "MAP": _marginal_estimate(map_estimate, marginals, problem, samples.z)}
    predicted_estimator = {"divergence": "MAP", "reconstruction": "PM"}
    claims = {"divergence": "diagonal-marginal-divergence",
              "reconstruction": "diagonal-marginal-reconstruction"}
    models, runs, rows = {}, [], []
    boot_rng = np.random.default_rng([seed, 2])
    with ProgressBar(len(LOSSES), NAME, enabled=progress) as bar:
        for index, loss in enumerate(LOSSES):
            model = DiagonalNet(V, n_units=config["n_units"])
            runs.append(fit(model, problem, loss, form="z", steps=config["steps"],
                            batch_size=config["batch_size"],
                            learning_rate=config["learning_rate"], seed=seed + index))
            models[loss] = model
            bar.update(postfix=loss)
    record["training"] = runs

    coords = samples.x @ V
    lower = np.quantile(coords, (1 - CENTRAL) / 2, axis=0)
    upper = np.quantile(coords, 1 - (1 - CENTRAL) / 2, axis=0)
    for loss, model in models.items():
        estimate = model.inverse(samples.z, tol=INVERSE_TOL)
        kind = predicted_estimator[loss]
        other_kind = "PM" if kind == "MAP" else "MAP"
        rows.append([loss, fmt(*rms_error(estimate, marginal[kind])),
                     fmt(*rms_error(estimate, full[kind])),
                     fmt(*rms_error(estimate, full[other_kind])),
                     fmt(*rms_error(estimate, samples.x))])
        ratio, se = rms_ratio(estimate, marginal[kind], full[kind], boot_rng)
        add_check(record, claims[loss],
                  f"RMS({loss} inverse - marginal {kind}) / RMS({loss} inverse - full {kind})",
                  ratio, 1.0 - 2.0 * se,
                  "discriminating: nearer the marginal than the full estimator by 2 bootstrap "
                  "standard errors over the test set (RMS(marginal - full "
                  f"{kind}) = {rms_error(marginal[kind], full[kind])[0]:.3g})")
    add_table(record, "Diagonal-model inverses against marginal and full estimators "
              "(RMS ± SE over the test set)",
              ["loss", "vs marginal prediction", "vs full (same kind)", "vs full (other kind)",
               "vs truth"], rows)
    rows = [["full PM vs marginal PM", fmt(*rms_error(full["PM"], marginal["PM"]))],
            ["full MAP vs marginal MAP", fmt(*rms_error(full["MAP"], marginal["MAP"]))],
            ["full PM vs full MAP", fmt(*rms_error(full["PM"], full["MAP"]))]]
    add_table(record, "How far apart the references are (RMS ± SE)", ["pair", "RMS"], rows)

    fig, axes = subplots(2, sigma.size, size=(4.2, 3.4))
    component_rows = []
    for j in range(sigma.size):
        t = np.linspace(lower[j], upper[j], 201)
        along = np.outer(t, V[:, j])
        score = marginals[j].prior.score(t[:, None])
        f_pred = divergence_optimum([sigma[j]], np.ones((1, 1)), DELTA, t[:, None], score)[:, 0]
        f_learned = models["divergence"].forward(along) @ V[:, j]
        ax = axes[0, j]
        ax.plot(t, f_pred, color="k", label="$\\sigma_j^2 t - \\delta^2 (\\log p_j)'(t)$")
        ax.plot(t, f_learned, "--", color="C0", label="learned $f_j$ (divergence)")
        ax.plot(t, sigma[j] ** 2 * t, ":", color="0.5", label="$\\sigma_j^2 t$")
        ax.set_xlabel(f"$t = \\langle x, v_{j + 1}\\rangle$")
        ax.set_ylabel(f"$f_{j + 1}(t)$")
        ax.set_title(f"Divergence, component {j + 1} ($\\sigma={sigma[j]:.2g}$)")
        ax.legend(loc="upper left")
        component_rows.append(["divergence", j + 1, f"{relative_rms(f_learned, f_pred):.3g}"])

        zeta = np.linspace(sigma[j] ** 2 * lower[j], sigma[j] ** 2 * upper[j], 201)
        pm_1d = posterior_mean(marginals[j], (zeta / sigma[j])[:, None])[:, 0]
        inv_learned = models["reconstruction"].inverse(np.outer(zeta, V[:, j]),
                                                        tol=INVERSE_TOL) @ V[:, j]
        ax = axes[1, j]
        ax.plot(zeta, pm_1d, color="k", label="$E[x_j \\mid z_j]$ (marginal PM)")
        ax.plot(zeta, inv_learned, "--", color="C3", label="learned $f_j^{-1}$ (reconstruction)")
        ax.set_xlabel(f"$z_{j + 1} = \\langle z, v_{j + 1}\\rangle$")
        ax.set_ylabel(f"$f_{j + 1}^{{-1}}(z_{j + 1})$")
        ax.set_title(f"Reconstruction, component {j + 1}")
        ax.legend(loc="upper left")
        component_rows.append(["reconstruction (inverse)", j + 1,
                               f"{relative_rms(inv_learned, pm_1d):.3g}"])
    fig.suptitle(f"DiagonalNet on a correlated mixture prior ($\\delta={DELTA}$):\n"
                 "learned components vs marginal predictions (central 98% of the data)")
    add_figure(record, save(fig, out_dir, "diagonal_marginal_components.png"),
               "Top: learned divergence components f_j against sigma_j^2 t - delta^2 "
               "(log p_j)'(t) of the marginal priors; bottom: learned reconstruction inverses "
               "f_j^{-1} against the marginal posterior means E[x_j | z_j].")
    add_table(record, "Component functions: relative RMS difference to the marginal prediction "
              "(central 98% of the data)", ["loss", "component", "relative RMS"], component_rows)
    return record
