# Seed GMM fitted from R (an R model function through the bayesforge R package) vs from Python
# (the same model as a Python function, benchmarks/_seed_gmm.py, through the Python m.fit), same
# data, settings and seed, alternated in one R process, the order swapped every repeat (R and
# Python start-up excluded).
#
# Prints one JSON line: both medians (wall seconds, JAX compilation included on both sides), the
# ratio R / Python (target <= 1.05) and whether both gave identical draws.
# Usage: RETICULATE_PYTHON=.venv/bin/python Rscript benchmarks/r_overhead.R \
#          [--repeats 3] [--warmup 500] [--samples 500] [--chains 4]
options(warn = 1)
arguments <- commandArgs(trailingOnly = TRUE)
setting <- function(flag, default) {
  at <- match(flag, arguments)
  if (is.na(at)) default else as.integer(arguments[[at + 1L]])
}
repeats <- setting("--repeats", 3L)
warmup <- setting("--warmup", 500L)
samples <- setting("--samples", 500L)
chains <- setting("--chains", 4L)

file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
here <- if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[[1]]))) else "benchmarks"

library(bayesforge)
m <- bf(platform = "cpu", cores = chains)
jnp <- bf_jnp()
seed_gmm <- reticulate::import_from_path("_seed_gmm", path = here, convert = FALSE)

parts <- seed_gmm$seed_data()
data <- list(data = bf_to_r(reticulate::py_get_item(parts, 0L)), K = 8,
             initial_means = bf_to_r(reticulate::py_get_item(parts, 2L)))

r_gmm <- function(data, K, initial_means) {
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
py_gmm <- seed_gmm$bayesforge_gmm(m)

diagnostics <- reticulate::import("numpyro.diagnostics", convert = FALSE)
min_ess <- function() {
  grouped <- reticulate::py_call(reticulate::py_get_attr(m$sampler, "get_samples"), group_by_chain = TRUE)
  min(vapply(c("mu", "weights", "sigma"), function(site) {
    min(bf_to_r(diagnostics$effective_sample_size(reticulate::py_get_item(grouped, site))), na.rm = TRUE)
  }, numeric(1)))
}

fit_from_r <- function() {
  elapsed <- system.time({
    m$data_on_model <- data
    m$fit(r_gmm, num_warmup = warmup, num_samples = samples, num_chains = chains, seed = 0, progress_bar = FALSE)
  })[["elapsed"]]
  list(seconds = elapsed, ess = min_ess(), draws = m$posteriors)
}

fit_from_python <- function() {
  m$data_on_model <- data
  python_fit <- reticulate::py_get_attr(m, "fit")
  elapsed <- system.time(
    reticulate::py_call(python_fit, py_gmm, num_warmup = warmup, num_samples = samples, num_chains = chains,
                        seed = 0L, progress_bar = FALSE)
  )[["elapsed"]]
  list(seconds = elapsed, ess = min_ess(), draws = m$posteriors)
}

from_python <- list()
from_r <- list()
for (i in seq_len(repeats)) {  # alternate which side goes first
  if (i %% 2 == 1) {
    from_python[[i]] <- fit_from_python()
    from_r[[i]] <- fit_from_r()
  } else {
    from_r[[i]] <- fit_from_r()
    from_python[[i]] <- fit_from_python()
  }
}
seconds <- function(runs) vapply(runs, `[[`, numeric(1), "seconds")
python_median <- stats::median(seconds(from_python))
r_median <- stats::median(seconds(from_r))
identical_draws <- all(vapply(seq_len(repeats), function(i) identical(from_r[[i]]$draws, from_python[[i]]$draws), logical(1)))
cat(jsonlite::toJSON(list(
  benchmark = "r_overhead", n = nrow(data$data), chains = chains, warmup = warmup, samples = samples,
  repeats = repeats, cpus = parallel::detectCores(), chain_method = reticulate::py_to_r(m$sampler$chain_method),
  python_s = round(seconds(from_python), 2), r_s = round(seconds(from_r), 2),
  python_median_s = round(python_median, 2), r_median_s = round(r_median, 2),
  ratio = round(r_median / python_median, 3), target_ratio = 1.05,
  python_min_ess = round(min(vapply(from_python, `[[`, numeric(1), "ess"))),
  r_min_ess = round(min(vapply(from_r, `[[`, numeric(1), "ess"))),
  identical_draws = identical_draws
), auto_unbox = TRUE), "\n")
