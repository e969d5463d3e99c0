"""Shared pytest configuration: the hypothesis profile and the opt-in markers."""

import os

import pytest
from hypothesis import HealthCheck, settings

# deadline=None: the first call of a Numba kernel compiles it, which takes seconds.
settings.register_profile(
    "invlin",
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("invlin-thorough", parent=settings.get_profile("invlin"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "invlin"))


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="run the slow studies (marker 'slow')")
    parser.addoption(
        "--run-benchmarks", action="store_true", help="run the benchmarks (marker 'benchmark_study')"
    )


def pytest_collection_modifyitems(config, items):
    skip_slow = pytest.mark.skip(reason="slow study: opt in with --run-slow")
    skip_bench = pytest.mark.skip(reason="benchmark: opt in with --run-benchmarks")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--run-slow"):
            item.add_marker(skip_slow)
        if "benchmark_study" in item.keywords and not config.getoption("--run-benchmarks"):
            item.add_marker(skip_bench)


def _clear_memos():
    """Drop every in-memory memo of ``theory`` and ``invlin``: the claim registry (its claims
    cache their symbolic results and predictions), the ``lru_cache``d derivations and the
    predictions lambdified from them."""
    import sys

    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("theory", "invlin"):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and hasattr(value, "cache_info"):
                value.cache_clear()


@pytest.fixture(autouse=True)
def _no_memo_survives_a_patch(request):
    """A test that monkeypatches may compute symbolic results under the patch: it starts
    from empty memos (so it cannot read results computed without its patch) and its memos are
    dropped afterwards (so no later test reads a result computed under it). Tests without
    ``monkeypatch`` share the memos, as the library's users do."""
    if "monkeypatch" not in request.fixturenames:
        yield
        return
    _clear_memos()
    yield
    _clear_memos()


# The derivation cache is keyed by the source of theory/; a test that patches theory at run
# time would store results that do not follow from that source. The suite runs with it off;
# the cache's own tests turn it on in temporary directories.
os.environ["INVLIN_DERIVATION_CACHE"] = "off"
