"""The heavy-tailed and unequal-variance discriminating items pass, and FAIL with the wrong
estimator as their prediction (their negative controls)."""

import numpy as np
import pytest

from invlin.verify.checks import discriminating
from invlin.verify.checks._discrimination import BOUND


@pytest.mark.parametrize("name", sorted(discriminating.EXTRA_PRIORS))
def test_divergence_items_discriminate(name):
    right = discriminating.learned_item("divergence", name, "divergence", "z",
                                        np.random.default_rng(0), predicted="MAP")
    wrong = discriminating.learned_item("divergence", name, "divergence", "z",
                                        np.random.default_rng(0), predicted="PM")
    assert right.passed and right.error <= BOUND
    # negative control: the PM as the prediction is ~1 d(PM, MAP) away, 10x the bound
    assert not wrong.passed and wrong.error > 5 * BOUND


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Student-t(5, 0, 1)", "unequal-variance mixture"])
def test_reconstruction_items_discriminate(name):
    right = discriminating.learned_item("reconstruction", name, "reconstruction", "z",
                                        np.random.default_rng(0), predicted="PM")
    wrong = discriminating.learned_item("reconstruction", name, "reconstruction", "z",
                                        np.random.default_rng(0), predicted="MAP")
    assert right.passed and not wrong.passed and wrong.error > 5 * BOUND


def test_the_extra_settings_run_in_quick_mode():
    items = discriminating.divergence_is_map(np.random.default_rng(0), quick=True)
    labels = " ".join(item.quantity for item in items)
    for name in discriminating.QUICK_EXTRA_DIVERGENCE:
        assert name in labels
    assert set(discriminating.QUICK_EXTRA_RECONSTRUCTION) <= set(discriminating.EXTRA_PRIORS)
