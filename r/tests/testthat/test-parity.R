# The same model written in R and in Python, fitted with the same data and seed, gives the same
# draws, bit for bit: both are traced by JAX into the same computation.

# The Python side: the page's model as the library's Python function (bayesforge.mixtures.gmm), and
# a comparison of two draw dictionaries with numpy.array_equal, site by site.
python_side <- function() {
  namespace <- reticulate::py_dict(list(), list(), convert = FALSE)
  reticulate::import_builtins(convert = FALSE)$exec(paste(
    "import numpy as np",
    "from bayesforge.mixtures.gmm import gmm_model",
    "",
    "def differing_sites(a, b):",
    "    keys = sorted(set(a) | set(b))",
    "    return [k for k in keys if k not in a or k not in b",
    "            or not np.array_equal(np.asarray(a[k]), np.asarray(b[k]))]",
    "",
    "def perturbed(draws, site):",
    "    out = {k: np.array(v) for k, v in draws.items()}",
    "    out[site].flat[0] += 1e-3",
    "    return out",
    sep = "\n"
  ), namespace)
  function(name, ...) reticulate::py_call(reticulate::py_get_item(namespace, name), ...)
}

test_that("the seed GMM gives identical draws from R and from Python", {
  skip_if_no_core()
  py <- python_side()
  from_r <- seed_gmm_from_r()$m  # the seed GMM written in R, fitted on the seed's data (helper-bayesforge.R)
  from_python <- bf(platform = "cpu")
  from_python$data_on_model <- seed_gmm_from_r()$data
  do.call(from_python$fit, c(list(py("gmm_model", from_python)), seed_gmm_settings))

  r_draws <- reticulate::py_call(reticulate::py_get_attr(from_r$sampler, "get_samples"))
  py_draws <- reticulate::py_call(reticulate::py_get_attr(from_python$sampler, "get_samples"))
  expect_identical(reticulate::py_to_r(py("differing_sites", r_draws, py_draws)), list())
  expect_identical(sort(names(from_r$posteriors)), c("Lcorr", "mu", "sigma", "weights"))
  expect_identical(from_r$posteriors, from_python$posteriors)
  expect_gt(sd(from_r$posteriors$mu[, 1, 1]), 0)  # real draws, not constants
  # the comparison sees a change of 1e-3 in one number
  expect_identical(reticulate::py_to_r(py("differing_sites", r_draws, py("perturbed", py_draws, "mu"))), "mu")
})
