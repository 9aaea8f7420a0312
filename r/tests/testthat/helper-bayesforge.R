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

# The seed GMM written in R, fitted once on the seed's data (a data.frame) for the two files that check it:
# test-gmm.R (what a user sees from R) and test-parity.R (the same draws as the Python model). One fit of
# 2 chains x (150 + 150) serves both: each fit is a compilation and a run of NUTS.
seed_gmm_settings <- list(num_warmup = 150, num_samples = 150, num_chains = 2, seed = 0, progress_bar = FALSE)

seed_gmm_from_r <- local({
  fitted <- NULL
  function() {
    if (is.null(fitted)) {
      seed <- seed_data()
      X <- as.data.frame(seed$X)
      names(X) <- c("x1", "x2")
      m <- bf(platform = "cpu")
      kmeans <- m$ml$KMEANS(X, n_clusters = 8)
      data <- list(data = X, K = 8, initial_means = m$ml$results$centroids)
      m$data_on_model <- data
      gmm <- r_gmm(m)  # m$fit names the fit after the argument: "fitted gmm()"
      returned <- m$fit(gmm, num_warmup = seed_gmm_settings$num_warmup, num_samples = seed_gmm_settings$num_samples,
                        num_chains = seed_gmm_settings$num_chains, seed = seed_gmm_settings$seed, progress_bar = FALSE)
      fitted <<- list(m = m, X = X, labels = seed$labels, kmeans = kmeans, data = data, returned = returned)
    }
    fitted
  }
})

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
