# Shared by the tests: skipping without the Python core, the seed data, the R models, ARI.

# Every test that needs Python calls this first. tests/e2e/test_r.py fails the run if any test was
# skipped, so a run without the core can never pass silently.
skip_if_no_core <- function() {
  if (!bayesforge:::core_available()) {
    testthat::skip(paste("bayesforge Python core (numpyro) not available to reticulate;",
                         "set RETICULATE_PYTHON to the project's Python"))
  }
}

# The seed's data (bayesforge.mixtures.gmm.seed_data: make_blobs, 500 points, 8 centres), as R values.
seed_data <- function() {
  blobs <- reticulate::import("bayesforge.mixtures.gmm", convert = FALSE)$seed_data()
  list(X = bf_to_r(reticulate::py_get_item(blobs, 0L)), labels = bf_to_r(reticulate::py_get_item(blobs, 1L)))
}

# The seed GMM, written in R.
r_gmm <- function(m) {
  jnp <- bf_jnp()
  function(data, K, initial_means) {
    D <- ncol(data)
    w <- m$dist$dirichlet(concentration = 0.5 * jnp$ones(K), name = "weights")
    with(m$dist$plate("components", K), {
      mu <- m$dist$multivariate_normal(loc = initial_means, covariance_matrix = 0.1 * jnp$eye(D), name = "mu")
      sigma <- m$dist$half_cauchy(1, shape = D, event = 1, name = "sigma")
      Lcorr <- m$dist$lkj_cholesky(dimension = D, concentration = 1, name = "Lcorr")
      scale_tril <- jnp$expand_dims(sigma, -1L) * Lcorr
    })
    m$dist$mixture_same_family(
      mixing_distribution = m$dist$categorical(probs = w, create_obj = TRUE),
      component_distribution = m$dist$multivariate_normal(loc = mu, scale_tril = scale_tril, create_obj = TRUE),
      name = "obs", obs = data
    )
  }
}

r_normal_mean <- function(m) {
  function(y) {
    mu <- m$dist$normal(0, 10, name = "mu")
    sigma <- m$dist$half_normal(5, name = "sigma")
    with(m$dist$plate("n", length(y)), {
      m$dist$normal(mu, sigma, name = "y", obs = y)
    })
  }
}

r_linear_regression <- function(m) {
  function(x, y) {
    alpha <- m$dist$normal(0, 10, name = "alpha")
    beta <- m$dist$normal(0, 10, name = "beta")
    sigma <- m$dist$half_normal(5, name = "sigma")
    with(m$dist$plate("n", nrow(y)), {
      m$dist$normal(alpha + beta * x, sigma, name = "y", obs = y)
    })
  }
}

# The R models of the shared scenarios (bayesforge/testing/cases/*.json), by scenario name.
scenario_models <- list(normal_mean = r_normal_mean, linear_regression = r_linear_regression, gmm_seed_small = r_gmm)

# Adjusted Rand index (Hubert & Arabie), as scikit-learn's adjusted_rand_score.
adjusted_rand_index <- function(a, b) {
  pairs <- function(n) n * (n - 1) / 2
  table <- table(a, b)
  index <- sum(pairs(table))
  rows <- sum(pairs(rowSums(table)))
  columns <- sum(pairs(colSums(table)))
  expected <- rows * columns / pairs(sum(table))
  (index - expected) / ((rows + columns) / 2 - expected)
}
