"""Prior densities: Gaussian, Gaussian mixture, a product of logistic densities, 1-D Gumbel,
Laplace (1-D, and a product in a basis: the sparsity prior).

Every prior implements :class:`Prior`: ``logpdf``, ``score`` (grad log p), ``hessian`` (of
log p), ``sample(n, rng)``, ``marginal(v)`` (law of <x, v>), ``mean``, ``covariance``,
``is_log_concave`` and ``mode_candidates``; 1-D priors also give ``log_density_derivatives``
(log p and its first three derivatives).
"""

from invlin.priors.base import Prior
from invlin.priors.gaussian import Gaussian
from invlin.priors.gaussian_mixture import GaussianMixture
from invlin.priors.gumbel import Gumbel
from invlin.priors.laplace import Laplace
from invlin.priors.logistic_product import LogisticProduct
from invlin.priors.transform_laplace import TransformLaplaceProduct
from invlin.priors.transform_logistic import TransformLogisticProduct

__all__ = ["Prior", "Gaussian", "GaussianMixture", "Gumbel", "Laplace", "LogisticProduct",
           "TransformLaplaceProduct", "TransformLogisticProduct"]
