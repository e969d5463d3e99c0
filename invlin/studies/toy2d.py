"""The paper's 2-D toy study: iResNets trained with each of the four losses.

A documented 2x2 operator (``invlin.studies._toy``), a bimodal Gaussian-mixture prior and a
log-concave (product-of-logistics) prior, a low and a high noise level. For every combination a
2-D :class:`~invlin.models.IResNet` is trained in z-form (``phi(x) ~ z = A^T y``) with each of
the four losses (paper weight ``c = 2 delta^2``), and compared with the exact references: the
forward error ``|phi(x) - A^T A x|`` and the inverse's error against the posterior mean (PM),
the MAP estimate and the ground truth, as RMS over a test set with standard errors.
"""

from __future__ import annotations

import os

import numpy as np

from invlin.estimators import map_estimate, posterior_mean
from invlin.models.iresnet import IResNet
from invlin.progress import ProgressBar
from invlin.studies import _toy
from invlin.studies._metrics import rms_error, rms_ratio
from invlin.studies._plotting import deformed_grid, grid_lines, save, subplots
from invlin.studies._record import add_check, add_figure, add_table, fmt, new_record
from invlin.studies._training import LOSSES, fit

NAME = "toy2d"
TITLE = "2-D toy problem: iResNets trained with the four losses"

#: The reconstruction loss differentiates through the inverse (fixed-point iterations per
#: sample and step), about 30 times the cost of a step of the other losses, so it gets fewer
#: steps on smaller batches to keep the full study within its time budget.
FULL = {
    "network": {"blocks": 4, "width": 32, "lipschitz": 0.9, "activation": "tanh"},
    "steps": 3000,
    "batch_size": 256,
    "reconstruction_steps": 1000,
    "reconstruction_batch_size": 128,
    "learning_rate": 3e-3,
    "n_test": 1000,
}
QUICK = {
    "network": {"blocks": 2, "width": 8, "lipschitz": 0.9, "activation": "tanh"},
    "steps": 60,
    "batch_size": 64,
    "reconstruction_steps": 30,
    "reconstruction_batch_size": 32,
    "learning_rate": 3e-3,
    "n_test": 100,
}
#: Inversion accuracy for the learned inverses (far below every error the table reports).
INVERSE_TOL = 1e-10
LOSS_LABELS = {
    "approximation": "approximation",
    "reconstruction": "reconstruction",
    "logdet": "log-det ($c=2\\delta^2$)",
    "divergence": "divergence ($c=2\\delta^2$)",
}


def _settings(quick: bool) -> dict:
    config = QUICK if quick else FULL
    return {**_toy.settings(), **config, "form": "z", "weight": "2 delta^2 (paper)",
            "losses": LOSSES, "inverse_tol": INVERSE_TOL,
            "seeds": "case index i (bimodal low, bimodal high, log-concave low, log-concave "
                     "high), loss index l: IResNet init rng = seed + 101 i + l, training seed "
                     "= seed + 1000 i + l, test set default_rng([seed, i])"}


def _grid_figure(out_dir, problem, models, prior_name, noise) -> str:
    """Deformed grids: phi (top) against A^T A, phi^{-1} (bottom) against the PM map."""
    A = problem.A
    normal = A.T @ A
    lines_x = grid_lines(-2.0, 2.0, n_lines=13)
    # The z-grid is the regular lattice A^T A (x-grid): it covers the data's range in every
    # singular direction, and a perfect inverse of A^T A would map it back to the square grid.
    lines_z = [line @ normal.T for line in lines_x]

    def pm_of_z(z):
        return posterior_mean(problem, np.linalg.solve(A.T, z.T).T)

    fig, axes = subplots(2, len(LOSSES), size=(3.2, 3.2))
    for col, loss in enumerate(LOSSES):
        model = models[loss]
        top, bottom = axes[0, col], axes[1, col]
        deformed_grid(top, lambda x: x @ normal.T, lines_x, color="0.7", label="$A^TAx$")
        deformed_grid(top, model.forward, lines_x, color="C0", label="$\\varphi(x)$")
        top.set_title(f"{LOSS_LABELS[loss]}: $\\varphi$")
        top.set_xlabel("$z_1$")
        top.set_ylabel("$z_2$")
        deformed_grid(bottom, pm_of_z, lines_z, color="0.7", label="PM")
        deformed_grid(bottom, lambda z: model.inverse(z, tol=INVERSE_TOL), lines_z,
                      color="C3", label="$\\varphi^{-1}(z)$")
        bottom.set_title(f"{LOSS_LABELS[loss]}: $\\varphi^{{-1}}$")
        bottom.set_xlabel("$x_1$")
        bottom.set_ylabel("$x_2$")
        top.legend(loc="upper left")
        bottom.legend(loc="upper left")
    delta = problem.delta
    fig.suptitle(f"Deformed grids, {prior_name} prior, $\\delta={delta}$ ({noise} noise): "
                 "image of a regular grid")
    file = f"toy2d_grids_{prior_name}_{noise}.png"
    return save(fig, out_dir, file)


def _scatter_figure(out_dir, problem, samples, refs, inverses, prior_name, noise) -> str:
    """Learned inverses at test points next to PM, MAP and the ground truth."""
    fig, axes = subplots(1, len(LOSSES), size=(3.2, 3.2), sharex=True, sharey=True)
    count = min(200, samples.x.shape[0])
    for col, loss in enumerate(LOSSES):
        ax = axes[0, col]
        ax.scatter(*samples.x[:count].T, s=4, color="0.75", label="truth $x$")
        ax.scatter(*refs["MAP"][:count].T, s=5, color="C2", label="MAP")
        ax.scatter(*refs["PM"][:count].T, s=5, color="C1", label="PM")
        ax.scatter(*inverses[loss][:count].T, s=5, marker="x", color="C3",
                   label="$\\varphi^{-1}(z)$")
        ax.set_title(LOSS_LABELS[loss])
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.legend(loc="upper left", markerscale=2)
    fig.suptitle(f"Reconstructions of {count} test points, {prior_name} prior, "
                 f"$\\delta={problem.delta}$")
    file = f"toy2d_points_{prior_name}_{noise}.png"
    return save(fig, out_dir, file)


def run(out_dir, *, seed: int, quick: bool = False, progress=None) -> dict:
    """Run the toy study; write figures into ``out_dir`` and return the study record.

    See :mod:`invlin.studies` for the record layout.
    """
    os.makedirs(out_dir, exist_ok=True)
    settings = _settings(quick)
    config = QUICK if quick else FULL
    description = __doc__.strip()
    if quick:
        description += ("\n\nQuick run: a smoke run of the pipeline. Networks this small, trained "
                        "this briefly, cannot resolve the PM-MAP difference, so the "
                        "discriminating checks are made only in the full run.")
    record = new_record(NAME, TITLE, description, settings, seed)
    cases = [(p, n) for p in _toy.PRIORS for n in _toy.NOISE_LEVELS]
    rows, runs = [], []
    boot_rng = np.random.default_rng([seed, 99])
    with ProgressBar(len(cases) * len(LOSSES), "toy2d", enabled=progress) as bar:
        for case_index, (prior_name, noise) in enumerate(cases):
            problem = _toy.problem(prior_name, noise)
            samples = problem.sample(config["n_test"], np.random.default_rng([seed, case_index]))
            refs = {"PM": posterior_mean(problem, samples.y),
                    "MAP": map_estimate(problem, samples.y)}
            target_forward = samples.x @ (problem.A.T @ problem.A).T
            for name, ref in refs.items():
                rms_x = rms_error(ref, samples.x)
                rows.append([prior_name, problem.delta, f"({name} itself)", "-",
                             fmt(*rms_error(ref, refs["PM"])),
                             fmt(*rms_error(ref, refs["MAP"])), fmt(*rms_x)])
            models, inverses = {}, {}
            for loss_index, loss in enumerate(LOSSES):
                model = IResNet(2, rng=seed + 101 * case_index + loss_index,
                                **config["network"])
                prefix = "reconstruction_" if loss == "reconstruction" else ""
                info = fit(model, problem, loss, form="z", steps=config[prefix + "steps"],
                           batch_size=config[prefix + "batch_size"],
                           learning_rate=config["learning_rate"],
                           seed=seed + 1000 * case_index + loss_index)
                info.update(prior=prior_name, delta=problem.delta,
                            lipschitz_after=model.lipschitz())
                runs.append(info)
                models[loss] = model
                inverses[loss] = model.inverse(samples.z, tol=INVERSE_TOL)
                forward = rms_error(model.forward(samples.x), target_forward)
                rows.append([prior_name, problem.delta, loss, fmt(*forward),
                             fmt(*rms_error(inverses[loss], refs["PM"])),
                             fmt(*rms_error(inverses[loss], refs["MAP"])),
                             fmt(*rms_error(inverses[loss], samples.x))])
                bar.update(postfix=f"{prior_name} {noise} {loss}")
            if not quick:
                _add_case_checks(record, prior_name, noise, problem, refs, inverses, boot_rng)
            file = _grid_figure(out_dir, problem, models, prior_name, noise)
            add_figure(record, file,
                       f"Deformed grids, {prior_name} prior, delta={problem.delta}: top, the "
                       "image of a regular x-grid under each learned phi (blue) over the image "
                       "under A^T A (grey); bottom, the image under phi^{-1} (red) and under the "
                       "posterior-mean map (grey) of the regular z-lattice A^T A (x-grid).")
            file = _scatter_figure(out_dir, problem, samples, refs, inverses, prior_name, noise)
            add_figure(record, file,
                       f"Test reconstructions phi^{{-1}}(z), {prior_name} prior, "
                       f"delta={problem.delta}, next to PM, MAP and the ground truth.")
    add_table(record, "Forward error |phi(x) - A^T A x| and inverse errors (RMS ± SE over the "
              "test set)", ["prior", "delta", "loss", "forward vs A^T A x", "inverse vs PM",
                            "inverse vs MAP", "inverse vs truth"], rows)
    record["training"] = runs
    return record


def _add_case_checks(record, prior_name, noise, problem, refs, inverses, rng) -> None:
    """Discriminating checks where PM and MAP differ and the theory applies.

    A learned inverse supports its claim when it is nearer its predicted estimator than the
    other one: ``RMS(inv - predicted) / RMS(inv - other) <= 1 - 2 SE`` (paired bootstrap over
    the test points). Checked only at high noise, where PM and MAP differ by more than the
    training error of the networks (at low noise they differ by O(delta^2) and no check can
    tell them apart), and only where the predicted optimum is attainable by an invertible
    model: the reconstruction optimum (the PM map) always is; the divergence optimum is for
    the log-concave prior but not for the bimodal prior at high noise (see the study
    ``bimodal_high_noise``).
    """
    if noise != "high":
        return
    pm_map_gap, _ = rms_error(refs["PM"], refs["MAP"])
    discriminating = (
        "discriminating: nearer the predicted estimator than the other one by 2 bootstrap "
        f"standard errors over the test set (here RMS(PM - MAP) = {pm_map_gap:.3g})"
    )
    divergence_invertible = prior_name == "log-concave"
    cases = [("reconstruction", "reconstruction-gain-is-pm", "PM", "MAP")]
    if divergence_invertible:
        cases.append(("divergence", "divergence-z-map", "MAP", "PM"))
    for loss, claim, target, other in cases:
        ratio, se = rms_ratio(inverses[loss], refs[target], refs[other], rng)
        add_check(record, claim,
                  f"toy2d {prior_name} delta={problem.delta}: RMS({loss} inverse - {target}) / "
                  f"RMS({loss} inverse - {other})",
                  ratio, 1.0 - 2.0 * se, discriminating)
