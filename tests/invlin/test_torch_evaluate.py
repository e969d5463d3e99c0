"""The PyTorch example evaluated through ``invlin evaluate`` matches invlin's IResNet with the
same weights to rounding (skipped without torch)."""

import json
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason='needs the optional extra "torch": pip install torch==2.13.0 (CPU build)')

import invlin  # noqa: E402
from invlin import cli  # noqa: E402
from invlin.adapters.torch import TorchIResNet, numpy_inverse  # noqa: E402
from invlin.models import IResNet  # noqa: E402
from invlin.named_problems import named_problem  # noqa: E402

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "torch_iresnet.py"
# Both inverses solve phi(x) = t to <= 1e-12 (invlin: residual tol; torch: per-block steps
# <= 1e-13, error <= 1e-13 L/(1-L)); phi^{-1} is at most 1/(1-L)^B = 100-Lipschitz (L=0.9, B=2),
# so reconstructions differ by <= 1e-10 and every RMS distance by <= 1e-10: 1e-9 is a 10x margin.
DISTANCE_ATOL = 1e-9
# ratio = d_MAP / d_PM with d_PM >= 0.01 here: a 1e-9 change of either moves it by <= 1e-6
RATIO_ATOL = 1e-6
KEYS = ("to_map", "to_pm", "to_truth", "pm_to_map")


def test_weights_round_trip_between_torch_and_invlin():
    model = IResNet(2, 2, 8, lipschitz=0.9, activation="softplus", rng=3)
    module = TorchIResNet.from_invlin(model)
    assert np.array_equal(module.get_parameters(), model.get_parameters())
    x = np.random.default_rng(0).standard_normal((50, 2))
    with torch.no_grad():
        out = module(torch.from_numpy(x)).numpy()
    # same float64 arithmetic, different order of operations: a few ulp of |phi(x)| ~ 3
    np.testing.assert_allclose(out, model.forward(x), rtol=0, atol=1e-13)
    assert np.array_equal(module.to_invlin().get_parameters(), model.get_parameters())


@pytest.fixture(scope="module")
def user_module(tmp_path_factory):
    """A user's module file for the CLI: the example's PyTorch i-ResNet (briefly trained) and
    invlin's IResNet with the same weights."""
    path = tmp_path_factory.mktemp("user") / "user_inverse.py"
    path.write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('example', {str(EXAMPLE)!r})\n"
        "example = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(example)\n"
        "module = example.train_module(steps=25)\n"
        "model = module.to_invlin()\n"
        "def invlin_inverse(z):\n"
        "    return model.inverse(z)\n")
    return path


def _cli_numbers(spec, out, *extra):
    assert cli.main(["evaluate", spec, "--problem", "log-concave", "--delta", "0.5", "--n",
                     "400", "--seed", "2", "--json", str(out), *extra]) == 0
    return json.loads(out.read_text())


def test_cli_on_the_torch_example_matches_invlin_iresnet(user_module, tmp_path):
    torch_numbers = _cli_numbers(f"{user_module}:module", tmp_path / "t.json",
                                 "--forward", f"{user_module}:module")
    invlin_numbers = _cli_numbers(f"{user_module}:invlin_inverse", tmp_path / "i.json")
    for key in KEYS:
        assert torch_numbers[key] == pytest.approx(invlin_numbers[key], abs=DISTANCE_ATOL), key
    assert torch_numbers["ratio"] == pytest.approx(invlin_numbers["ratio"], abs=RATIO_ATOL)
    assert torch_numbers["forward_error"] < 1e-9  # forward(inverse(z)) = z to solver precision


def test_perturbed_weights_are_told_apart():
    """Negative control: weights changed by 1e-6 relative move the numbers beyond tolerance."""
    problem = named_problem("log-concave", 0.3)
    module = TorchIResNet(2, 2, 8, lipschitz=0.9)
    module.set_parameters(np.random.default_rng(5).normal(0.0, 0.3, 2 * (2 * 8 + 8 + 2 * 8 + 2)))
    module.project()
    model = module.to_invlin()
    exact = invlin.evaluate(module, problem, n=400, seed=2)
    same = invlin.evaluate(lambda z: model.inverse(z), problem, n=400, seed=2)
    assert abs(exact.to_map - same.to_map) <= DISTANCE_ATOL
    model.set_parameters(model.get_parameters() * (1 + 1e-6))
    moved = invlin.evaluate(lambda z: model.inverse(z), problem, n=400, seed=2)
    assert abs(exact.to_map - moved.to_map) > 10 * DISTANCE_ATOL


def test_numpy_inverse_picks_the_method():
    class Direct(torch.nn.Module):
        def forward(self, t):
            return 2 * t

    assert np.array_equal(numpy_inverse(Direct())(np.ones((3, 2))), 2 * np.ones((3, 2)))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        numpy_inverse(lambda t: t)
    with pytest.raises(ValueError, match="has no method 'backward_map'"):
        numpy_inverse(Direct(), method="backward_map")
