"""Prior densities: Gaussian, Gaussian mixture, logistic product, 1-D Gumbel and Student-t,
Laplace (1-D, and a product in a basis: the sparsity prior).

Every prior implements :class:`Prior`: ``logpdf``, ``score`` (grad log p), ``hessian`` (of
log p), ``sample(n, rng)``, ``marginal(v)`` (law of <x, v>), ``mean``, ``covariance``,
``is_log_concave`` and ``mode_candidates``; 1-D priors also give ``log_density_derivatives``
(log p and its first three derivatives). Optional capabilities (Gaussian components, product
structure, tail masses, kinks, ...) are what the estimators ask for: see :class:`Prior` and
docs/architecture.md, "Prior protocol".
"""

from invlin.priors.base import GaussianComponents, Prior, ProductStructure
from invlin.priors.from_logpdf import LogDensityPrior, from_logpdf
from invlin.priors.gaussian import Gaussian
from invlin.priors.gaussian_mixture import GaussianMixture
from invlin.priors.gumbel import Gumbel
from invlin.priors.laplace import Laplace
from invlin.priors.logistic_product import LogisticProduct
from invlin.priors.product import ProductPrior
from invlin.priors.student_t import StudentT
from invlin.priors.transform_laplace import TransformLaplaceProduct
from invlin.priors.transform_logistic import TransformLogisticProduct

__all__ = ["Prior", "GaussianComponents", "ProductStructure", "Gaussian", "GaussianMixture",
           "Gumbel", "Laplace", "LogDensityPrior", "LogisticProduct", "ProductPrior", "StudentT",
           "TransformLaplaceProduct", "TransformLogisticProduct", "from_logpdf"]
