"""Bimodal prior at high noise: the divergence optimum is not invertible.

On the toy problem (``invlin.studies._toy``) with the bimodal prior at ``delta = 0.5``, the
divergence loss's minimiser over all maps, ``phi*(x) = A^T A x - delta^2 grad log p_X(x)``,
has Jacobian ``A^T A - delta^2 Hess log p_X(x)``, which fails to be positive definite between
the modes (claim ``divergence-invertibility``): ``phi*`` folds the plane and has no inverse,
matching the MAP's jump between the modes. Invertible architectures cannot represent it. This
study shows where positive definiteness fails (evaluated with the prior's exact Hessian), trains
an :class:`~invlin.models.IResNet` and a :class:`~invlin.models.DiagonalNet` with the divergence
loss (z-form, ``c = 2 delta^2``), and measures what they learn instead: their distance to
``phi*`` (by the Stein identity the divergence loss is ``E|phi - phi*|^2`` up to a constant),
and their inverses against the MAP and the PM.
"""

from __future__ import annotations

import os

import numpy as np

from invlin.estimators import map_estimate, map_hessian, posterior_mean
from invlin.models import DiagonalNet
from invlin.models.iresnet import IResNet
from invlin.progress import ProgressBar
from invlin.studies import _toy
from invlin._metrics import rms_error
from invlin._plotting import deformed_grid, grid_lines, save, subplots
from invlin.studies._record import add_check, add_figure, add_table, fmt, new_record
from invlin.prediction import divergence_optimum
from invlin.studies._training import fit
from invlin.studies.toy2d import FULL as TOY_FULL
from invlin.studies.toy2d import QUICK as TOY_QUICK

NAME = "bimodal_high_noise"
TITLE = "Bimodal prior at high noise: a non-invertible divergence optimum"

FULL = {"network": TOY_FULL["network"], "steps": TOY_FULL["steps"],
        "batch_size": TOY_FULL["batch_size"], "learning_rate": TOY_FULL["learning_rate"],
        "diagonal_units": 4, "diagonal_steps": 3000, "diagonal_learning_rate": 1e-2, "n_test": 2000,
        "grid_points": 121}
QUICK = {"network": TOY_QUICK["network"], "steps": TOY_QUICK["steps"],
         "batch_size": TOY_QUICK["batch_size"], "learning_rate": TOY_QUICK["learning_rate"],
         "diagonal_units": 4, "diagonal_steps": 150, "diagonal_learning_rate": 1e-2, "n_test": 200,
         "grid_points": 41}
INVERSE_TOL = 1e-10
EXTENT = 2.5


def _jacobian_min_eig(problem, points) -> np.ndarray:
    """lambda_min(A^T A - delta^2 Hess log p(x)) at each point: the Jacobian of phi*, which is
    the Hessian of the MAP objective."""
    return np.linalg.eigvalsh(map_hessian(problem, points))[:, 0]


def _divergence_optimum(problem, x) -> np.ndarray:
    """phi*(x) = A^T A x - delta^2 grad log p(x) (claim divergence-z-map), from the theory."""
    return divergence_optimum(problem.singular_values, problem.right_singular_vectors,
                              problem.delta, x, problem.prior.score(x))


def run(out_dir, *, seed: int, quick: bool = False, progress=None) -> dict:
    """Run the study; write figures into ``out_dir`` and return the study record."""
    os.makedirs(out_dir, exist_ok=True)
    config = QUICK if quick else FULL
    problem = _toy.problem("bimodal", "high")
    settings = {**_toy.settings(), "delta": problem.delta, "prior_used": "bimodal",
                "loss": "divergence", "form": "z", "weight": "2 delta^2 (paper)",
                "models": {"IResNet": config["network"],
                           "DiagonalNet": "DiagonalNet(basis=V, n_units=diagonal_units)"},
                **config, "inverse_tol": INVERSE_TOL,
                "seeds": "IResNet init rng = seed; training seed + model index (0 IResNet, 1 "
                         "DiagonalNet); test set default_rng([seed, 7])"}
    record = new_record(NAME, TITLE, __doc__.strip(), settings, seed)

    # Where does the divergence optimum stop being invertible?
    ticks = np.linspace(-EXTENT, EXTENT, config["grid_points"])
    grid = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    eig = _jacobian_min_eig(problem, grid)
    cases = {"bimodal, delta=0.5": problem,
             "bimodal, delta=0.1": _toy.problem("bimodal", "low"),
             "log-concave, delta=0.5": _toy.problem("log-concave", "high")}
    eig_rows = []
    for label, case in cases.items():
        lowest = float(_jacobian_min_eig(case, grid).min())
        eig_rows.append([label, f"{lowest:.4g}", "yes" if lowest > 0 else "no"])
        predicted_pd = not label.startswith("bimodal, delta=0.5")
        add_check(record, "divergence-invertibility",
                  f"{label}: {'-' if predicted_pd else ''}min over the grid of "
                  "lambda_min(A^T A - delta^2 Hess log p) (predicted "
                  f"{'positive' if predicted_pd else 'negative'})",
                  -lowest if predicted_pd else lowest, 0.0,
                  "sign check of an exactly evaluated Hessian on a grid of "
                  f"{config['grid_points']}^2 points in [-{EXTENT}, {EXTENT}]^2; no tolerance "
                  "beyond the sign")
    add_table(record, "Positive definiteness of A^T A - delta^2 Hess log p on the grid",
              ["prior, noise", "min lambda_min", "phi* invertible"], eig_rows)

    # Train the invertible models with the divergence loss.
    models = {"IResNet": IResNet(2, rng=seed, **config["network"]),
              "DiagonalNet": DiagonalNet(problem.right_singular_vectors,
                                         n_units=config["diagonal_units"])}
    runs = []
    with ProgressBar(len(models), NAME, enabled=progress) as bar:
        for index, (label, model) in enumerate(models.items()):
            iresnet = label == "IResNet"
            runs.append({"model": label, **fit(
                model, problem, "divergence", form="z",
                steps=config["steps"] if iresnet else config["diagonal_steps"],
                batch_size=config["batch_size"],
                learning_rate=config["learning_rate"] if iresnet
                else config["diagonal_learning_rate"],
                seed=seed + index)})
            bar.update(postfix=label)
    record["training"] = runs

    samples = problem.sample(config["n_test"], np.random.default_rng([seed, 7]))
    refs = {"PM": posterior_mean(problem, samples.y), "MAP": map_estimate(problem, samples.y)}
    target = _divergence_optimum(problem, samples.x)
    rows = [["PM", "-", "0", fmt(*rms_error(refs["PM"], refs["MAP"])),
             fmt(*rms_error(refs["PM"], samples.x))],
            ["MAP", "-", fmt(*rms_error(refs["MAP"], refs["PM"])), "0",
             fmt(*rms_error(refs["MAP"], samples.x))]]
    inverses = {}
    for label, model in models.items():
        inverses[label] = model.inverse(samples.z, tol=INVERSE_TOL)
        rows.append([f"{label} (divergence)", fmt(*rms_error(model.forward(samples.x), target)),
                     fmt(*rms_error(inverses[label], refs["PM"])),
                     fmt(*rms_error(inverses[label], refs["MAP"])),
                     fmt(*rms_error(inverses[label], samples.x))])
    add_table(record, f"What invertible models learn at delta={problem.delta} (RMS ± SE over "
              f"{config['n_test']} test points)",
              ["estimator", "forward vs phi* = A^T A x - delta^2 score", "inverse vs PM",
               "inverse vs MAP", "inverse vs truth"], rows)

    _figure_eigenvalues(record, out_dir, problem, ticks, eig)
    _figure_grids(record, out_dir, problem, models)
    _figure_line(record, out_dir, problem, models, grid, eig)
    return record


def _figure_eigenvalues(record, out_dir, problem, ticks, eig) -> None:
    fig, axes = subplots(1, 1, size=(5.2, 4.4))
    ax = axes[0, 0]
    n = ticks.size
    image = ax.contourf(ticks, ticks, eig.reshape(n, n), levels=30, cmap="RdBu",
                        vmin=-np.abs(eig).max(), vmax=np.abs(eig).max())
    ax.contour(ticks, ticks, eig.reshape(n, n), levels=[0.0], colors="k", linewidths=1.5)
    grid = np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    density = np.exp(problem.prior.logpdf(grid)).reshape(n, n)
    ax.contour(ticks, ticks, density, levels=5, colors="0.3", linewidths=0.6, linestyles=":")
    fig.colorbar(image, ax=ax, label="$\\lambda_{\\min}(A^TA - \\delta^2 \\nabla^2 \\log p_X)$")
    ax.plot([], [], "k-", label="$\\lambda_{\\min} = 0$")
    ax.plot([], [], ":", color="0.3", label="prior density")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    ax.set_title(f"Jacobian of the divergence optimum, $\\delta={problem.delta}$")
    add_figure(record, save(fig, out_dir, "bimodal_min_eigenvalue.png"),
               "Smallest eigenvalue of A^T A - delta^2 Hess log p_X over the plane: negative "
               "(red, inside the black contour) between the modes, where the divergence optimum "
               "folds and is not invertible.")


def _figure_grids(record, out_dir, problem, models) -> None:
    lines = grid_lines(-EXTENT, EXTENT, n_lines=15)
    fig, axes = subplots(1, 3, size=(3.6, 3.6))
    maps = [("$\\varphi^* = A^TA x - \\delta^2\\nabla\\log p_X$ (folds)",
             lambda x: _divergence_optimum(problem, x), "C2")]
    maps += [(f"learned {label} (divergence)", model.forward, f"C{i}")
             for i, (label, model) in enumerate(models.items())]
    for ax, (title, transform, color) in zip(axes[0], maps):
        deformed_grid(ax, lambda x: x @ problem.normal_operator.T, lines, color="0.8",
                      label="$A^TAx$")
        deformed_grid(ax, transform, lines, color=color, label="image of the grid")
        ax.set_title(title)
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
        ax.legend(loc="upper left")
    fig.suptitle(f"Image of a regular grid on $[-{EXTENT}, {EXTENT}]^2$, bimodal prior, "
                 f"$\\delta={problem.delta}$")
    add_figure(record, save(fig, out_dir, "bimodal_grids.png"),
               "Image of a regular x-grid under the (non-invertible, folding) divergence "
               "optimum phi* and under the divergence-trained IResNet and DiagonalNet, over "
               "the image under A^T A (grey).")


def _figure_line(record, out_dir, problem, models, grid, eig) -> None:
    """Estimators along the data line through the fold's most negative direction."""
    worst = grid[np.argmin(eig)]
    direction = np.linalg.eigh(map_hessian(problem, worst))[1][:, 0]
    direction = direction * np.sign(direction[np.argmax(np.abs(direction))])
    taus = np.linspace(-2.0, 2.0, 401)
    y_line = np.outer(taus, problem.A @ direction)  # noise-free data of x = tau d
    z_line = y_line @ problem.A
    curves = {"MAP": map_estimate(problem, y_line), "PM": posterior_mean(problem, y_line)}
    for label, model in models.items():
        curves[f"{label} inverse"] = model.inverse(z_line, tol=INVERSE_TOL)
    fig, axes = subplots(1, 2, size=(4.6, 3.8))
    ax = axes[0, 0]
    styles = {"MAP": ("C2", "-"), "PM": ("C1", "-"), "IResNet inverse": ("C0", "--"),
              "DiagonalNet inverse": ("C1", "--")}
    styles["DiagonalNet inverse"] = ("C3", "--")
    for label, values in curves.items():
        color, style = styles[label]
        ax.plot(taus, values @ direction, style, color=color, label=label)
    ax.set_xlabel("$\\tau$ (data $y = \\tau A d$)")
    ax.set_ylabel("$\\langle \\hat x, d\\rangle$")
    ax.set_title("Reconstructions along the fold direction $d$")
    ax.legend(loc="upper left")
    ax = axes[0, 1]
    t_line = np.outer(taus, direction)
    ax.plot(taus, _divergence_optimum(problem, t_line) @ direction, color="C2",
            label="$\\varphi^*$ (not monotone)")
    for label, model in models.items():
        color = styles[f"{label} inverse"][0]
        ax.plot(taus, model.forward(t_line) @ direction, "--", color=color, label=label)
    ax.set_xlabel("$\\tau$ ($x = \\tau d$)")
    ax.set_ylabel("$\\langle \\varphi(x), d\\rangle$")
    ax.set_title("Forward maps along $d$")
    ax.legend(loc="upper left")
    add_figure(record, save(fig, out_dir, "bimodal_line.png"),
               "Left: MAP (jumps between the modes), PM and the learned inverses along the "
               "data line through the direction d of the most negative Jacobian eigenvalue. "
               "Right: the divergence optimum phi* along d is not monotone; the learned "
               "invertible maps are.")
