"""One sweep cell: a plain, hashable settings record, and the function that runs it.

:func:`run_cell` builds the problem and the model from a cell's settings, trains the model with
:func:`invlin.training.train`, measures its inverse with :func:`invlin.evaluation.evaluate`
and returns one table row. Everything random is seeded by the cell's own ``seed`` (training
minibatches and IResNet initial weights) and ``test_seed`` (the test set), never by the order in
which cells run or the worker that runs them.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import time
import traceback
from dataclasses import dataclass

import numpy as np

from invlin.losses import FORMS, LOSSES

#: Every setting of a cell and its default (the order is the table's column order).
DEFAULTS = {
    "singular_values": [1.5, 0.6],   # A = diag(sigma)
    "delta": 0.3,                    # noise standard deviation
    "prior": "gaussian",             # gaussian | logistic | bimodal | "module:callable"
    "prior_scale": [1.0, 0.7],       # gaussian: std per component; logistic: scales
    "prior_center": [1.0, 0.0],      # bimodal: modes at +-center
    "prior_std": 0.5,                # bimodal: isotropic std of each mode
    "model": "diagonal_linear",      # diagonal_linear | diagonal_net | iresnet | linear
    "width": 4,                      # diagonal_net units per component; iresnet hidden width
    "blocks": 2,                     # iresnet blocks
    "activation": "tanh",            # iresnet activation
    "lipschitz": "none",             # bound L on Lip(g), phi = Id + g ("none": unconstrained)
    "loss": "divergence",
    "form": "z",
    "weight": "paper",               # regulariser weight c ("paper": 2 delta^2)
    "population": False,             # exact expected loss (affine models, Gaussian prior)
    "optimizer": "adam",             # adam | newton | lbfgs (the last two need population)
    "steps": 500,
    "batch_size": 128,
    "learning_rate": 0.01,
    "final_learning_rate": "none",
    "tol": "none",                   # stop at projected gradient norm <= tol
    "seed": 0,                       # training seed (minibatches, initial weights)
    "n_test": 200,                   # test points for PM/MAP/truth distances (0: none)
    "test_seed": "auto",             # "auto": derived from seed (an independent stream)
    "inverse_tol": 1e-10,            # tolerance of the model's inversion
}
PRIORS = ("gaussian", "logistic", "bimodal")
MODELS = ("diagonal_linear", "diagonal_net", "iresnet", "linear")
OPTIMIZERS = ("adam", "newton", "lbfgs")
#: Columns of a row after the settings. Timings are measured, so they differ between runs of
#: the same cell; every other column is a deterministic function of the settings.
RESULT_COLUMNS = ("status", "error", "to_pm", "to_pm_se", "to_map", "to_map_se", "to_truth",
                  "to_truth_se", "pm_to_map", "ratio", "ratio_se", "forward_error", "gains",
                  "lipschitz_after", "final_loss", "steps_run", "converged",
                  "final_gradient_norm", "train_seconds", "eval_seconds", "seconds", "cell")
TIMING_COLUMNS = ("train_seconds", "eval_seconds", "seconds")
_NUMBER = (numbers.Real,)


@dataclass(frozen=True)
class Cell:
    """A cell: its settings as a tuple of (name, value) pairs in :data:`DEFAULTS` order.

    Lists are stored as tuples, so a cell is hashable and compares by value.
    """

    items: tuple

    @classmethod
    def from_settings(cls, settings: dict) -> "Cell":
        return cls(tuple((k, _frozen(settings[k])) for k in DEFAULTS))

    @property
    def settings(self) -> dict:
        """The settings as a JSON-serialisable dict (tuples back to lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.items}

    def key(self, code_version: str) -> str:
        """Hex digest of the canonical JSON of the settings and the code version."""
        text = json.dumps({"settings": self.settings, "code": code_version}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def validate_settings(settings: dict) -> dict:
    """Check the types and values of a cell's settings; ``ValueError`` names the setting."""
    s = dict(settings)
    sigma = s["singular_values"]
    if not isinstance(sigma, (list, tuple)) or not sigma or not all(
            _is_number(v) and v > 0 for v in sigma):
        raise ValueError(f"singular_values must be a non-empty list of numbers > 0, got {sigma!r}")
    n = len(sigma)
    _positive(s, "delta")
    if not _is_callable_name(s["prior"]):
        _one_of(s, "prior", PRIORS)
    _one_of(s, "model", MODELS)
    _one_of(s, "loss", LOSSES)
    _one_of(s, "optimizer", OPTIMIZERS)
    _one_of(s, "form", FORMS)
    # the prior's own parameters (the other prior's defaults are ignored)
    key = "prior_center" if s["prior"] == "bimodal" else "prior_scale"
    value = s[key]
    if _is_callable_name(s["prior"]):
        pass  # a user's prior carries its own parameters
    elif not isinstance(value, (list, tuple)) or len(value) != n or not all(
            _is_number(v) for v in value):
        raise ValueError(f"{key} must be a list of {n} numbers (one per singular value), "
                         f"got {value!r}")
    elif key == "prior_scale" and not all(v > 0 for v in value):
        raise ValueError(f"prior_scale must be > 0, got {value!r}")
    _positive(s, "prior_std")
    for key in ("width", "blocks", "steps", "batch_size"):
        if isinstance(s[key], bool) or not isinstance(s[key], int) or s[key] < 1:
            raise ValueError(f"{key} must be an integer >= 1, got {s[key]!r}")
    for key in ("seed", "n_test"):
        if isinstance(s[key], bool) or not isinstance(s[key], int) or s[key] < 0:
            raise ValueError(f"{key} must be an integer >= 0, got {s[key]!r}")
    if s["n_test"] == 1:
        raise ValueError("n_test must be 0 (no evaluation) or >= 2 (standard errors)")
    if s["test_seed"] != "auto" and (isinstance(s["test_seed"], bool)
                                     or not isinstance(s["test_seed"], int) or s["test_seed"] < 0):
        raise ValueError(f"test_seed must be 'auto' or an integer >= 0, got {s['test_seed']!r}")
    _positive(s, "learning_rate")
    _positive(s, "inverse_tol")
    for key in ("final_learning_rate", "tol"):
        if s[key] != "none":
            _positive(s, key)
    if s["weight"] != "paper":
        _positive(s, "weight")
    if s["lipschitz"] != "none":
        _positive(s, "lipschitz")
    elif s["model"] == "iresnet":
        raise ValueError("lipschitz must be a number in (0, 1) for model 'iresnet', got 'none'")
    if not isinstance(s["population"], bool):
        raise ValueError(f"population must be true or false, got {s['population']!r}")
    if s["optimizer"] != "adam" and not s["population"]:
        raise ValueError(f"optimizer {s['optimizer']!r} needs population: true (a "
                         f"deterministic loss)")
    if not isinstance(s["activation"], str):
        raise ValueError(f"activation must be a string, got {s['activation']!r}")
    return s


def _is_callable_name(value) -> bool:
    """Whether ``value`` names a callable as "module:callable" (dotted names on both sides)."""
    if not isinstance(value, str) or value.count(":") != 1:
        return False
    module, name = value.split(":")
    return all(part.isidentifier() for part in module.split(".") + name.split("."))


def load_prior(name: str, n: int):
    """The prior named "module:callable": ``callable()`` returns an n-D or a 1-D prior.

    A 1-D prior is used for every component (:class:`~invlin.priors.ProductPrior` in the
    identity basis, the problem's singular basis). The cell's key holds the name, not the
    callable's code: after changing the callable, delete the sweep's ``cells/`` directory.
    """
    import importlib

    from invlin.priors import Prior, ProductPrior

    module, attribute = name.split(":")
    target = importlib.import_module(module)
    for part in attribute.split("."):
        target = getattr(target, part)
    prior = target()
    if not isinstance(prior, Prior):
        raise TypeError(f"{name}() must return an invlin.priors.Prior, got "
                        f"{type(prior).__name__}")
    if prior.dim == 1 and n > 1:
        return ProductPrior([prior] * n)
    if prior.dim != n:
        raise ValueError(f"{name}() returned a prior of dimension {prior.dim}; the cell needs "
                         f"1 or {n}")
    return prior


def _is_number(value) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool) and np.isfinite(value)


def _positive(s: dict, key: str) -> None:
    if not _is_number(s[key]) or s[key] <= 0:
        raise ValueError(f"{key} must be a number > 0, got {s[key]!r}")


def _one_of(s: dict, key: str, options) -> None:
    if s[key] not in options:
        raise ValueError(f"{key} must be one of {list(options)}, got {s[key]!r}")


def _none(value):
    return None if value == "none" else value


def build_problem(settings: dict):
    """The :class:`~invlin.problem.LinearInverseProblem` of a cell (A = diag(sigma))."""
    from invlin.priors import Gaussian, GaussianMixture, LogisticProduct
    from invlin.problem import LinearInverseProblem

    n = len(settings["singular_values"])
    if _is_callable_name(settings["prior"]):
        prior = load_prior(settings["prior"], n)
    elif settings["prior"] == "gaussian":
        prior = Gaussian(np.zeros(n), np.diag(np.square(settings["prior_scale"])))
    elif settings["prior"] == "logistic":
        prior = LogisticProduct(np.asarray(settings["prior_scale"], dtype=float))
    else:
        prior = GaussianMixture.symmetric_bimodal(settings["prior_center"], settings["prior_std"])
    return LinearInverseProblem.diagonal(settings["singular_values"], settings["delta"], prior)


def build_model(settings: dict, problem):
    """The untrained model of a cell; diagonal models use the problem's singular basis."""
    from invlin.models import DiagonalLinear, DiagonalNet, IResNet, Linear

    lipschitz = _none(settings["lipschitz"])
    kind = settings["model"]
    if kind == "diagonal_linear":
        return DiagonalLinear(problem.right_singular_vectors, lipschitz=lipschitz)
    if kind == "diagonal_net":
        return DiagonalNet(problem.right_singular_vectors, n_units=settings["width"],
                           lipschitz=lipschitz)
    if kind == "iresnet":
        return IResNet(problem.dim, settings["blocks"], settings["width"], lipschitz=lipschitz,
                       activation=settings["activation"], rng=settings["seed"])
    return Linear(problem.dim, lipschitz=lipschitz)


def learned_gains(model, basis) -> np.ndarray:
    """Slopes k_j = <phi(v_j) - phi(0), v_j> of a linear model along the basis vectors."""
    image = model.forward(basis.T) - model.forward(np.zeros((1, basis.shape[0])))
    return np.einsum("jn,nj->j", image, basis)


def held_out_seed(settings: dict) -> int:
    """The seed of the test set: ``test_seed``, or for "auto" a stream independent of the
    training minibatches, derived from ``seed``."""
    if settings["test_seed"] != "auto":
        return int(settings["test_seed"])
    return int(np.random.SeedSequence([settings["seed"], 1]).generate_state(1, np.uint32)[0])


def run_cell(cell: Cell) -> dict:
    """Train and evaluate one cell; return its row (raises on failure: see :func:`cell_task`).

    Returns
    -------
    dict
        The settings and the :data:`RESULT_COLUMNS`: distances of the trained inverse to PM, MAP
        and truth with standard errors, the discrimination ratio, the forward error of the
        inversion (``NaN`` columns when ``n_test`` is 0), the gains along the singular basis
        (linear models), the Lipschitz bound after training, the training summary and timings.
    """
    from invlin.evaluation import evaluate
    from invlin.training import train

    s = cell.settings
    start = time.perf_counter()
    problem = build_problem(s)
    model = build_model(s, problem)
    weight = None if s["weight"] == "paper" else float(s["weight"])
    result = train(model, problem, s["loss"], form=s["form"], weight=weight, steps=s["steps"],
                   batch_size=s["batch_size"], learning_rate=s["learning_rate"], seed=s["seed"],
                   population=s["population"], tol=_none(s["tol"]), progress=False,
                   final_learning_rate=_none(s["final_learning_rate"]),
                   optimizer=s["optimizer"])
    train_seconds = time.perf_counter() - start
    row = {**s, "status": "OK", "error": "", "final_loss": float(result.loss[-1]),
           "steps_run": int(result.steps), "converged": bool(result.converged),
           "final_gradient_norm": float(result.final_gradient_norm),
           "lipschitz_after": _float_or_nan(model.lipschitz()),
           "gains": (learned_gains(model, problem.right_singular_vectors).tolist()
                     if s["model"] in ("diagonal_linear", "linear") else None)}
    if s["n_test"]:
        tol = s["inverse_tol"]
        found = evaluate(lambda t: model.inverse(t, tol=tol), problem, n=s["n_test"],
                         seed=held_out_seed(s), form="y" if s["form"] == "y" else "z",
                         forward=model.forward)
        row.update({k: v for k, v in found.to_dict().items()
                    if k not in ("n", "seed", "form")})
    row["train_seconds"] = train_seconds
    row["eval_seconds"] = time.perf_counter() - start - train_seconds
    row["seconds"] = time.perf_counter() - start
    return complete_row(row)


def _float_or_nan(value) -> float:
    return float("nan") if value is None else float(value)


def complete_row(row: dict) -> dict:
    """Order a row's columns (settings, then results) and fill absent results with NaN/None."""
    out = {k: row[k] for k in DEFAULTS}
    for column in RESULT_COLUMNS:
        out[column] = row.get(column, None if column in ("gains", "cell") else float("nan"))
    return out


def cell_task(cell: Cell) -> dict:
    """The task an executor runs: :func:`run_cell`, with any exception turned into an ERROR
    row that carries the traceback (so a failing cell never stops the others)."""
    start = time.perf_counter()
    try:
        return run_cell(cell)
    except Exception:  # noqa: BLE001 - recorded in the table as ERROR with the traceback
        row = {**cell.settings, "status": "ERROR", "error": traceback.format_exc(),
               "seconds": time.perf_counter() - start}
        return complete_row(row)
