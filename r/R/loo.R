# PSIS-LOO and WAIC of a fit (or of a workspace's last fit) as R users compare models.
#
# With the loo package (Suggests), bf_loo() and bf_waic() return its objects ("psis_loo",
# "waic"), computed by loo itself from the pointwise log-likelihood of the fit (draws x points,
# from the core's InferenceData) with the relative efficiency of each chain, so that
# loo::loo_compare(loo(fit2), loo(fit3)) works; loo::loo() and loo::waic() on a fit call them
# (methods registered when loo is loaded). Without loo: the core's ArviZ estimates, printed
# compactly (elpd, its standard error, the effective number of parameters).

bf_loo <- function(x, ...) elpd(x, "loo", ...)

bf_waic <- function(x, ...) elpd(x, "waic", ...)

elpd <- function(x, method, var_name = NULL, ...) {
  check_fitted(x, sprintf("bf_%s()", method))
  if (!requireNamespace("loo", quietly = TRUE)) return(elpd_without_loo(x, method))
  log_lik <- pointwise_log_likelihood(x, var_name)
  if (method == "waic") return(loo::waic(log_lik, ...))
  r_eff <- loo::relative_eff(exp(log_lik), chain_id = attr(log_lik, "chain_id"))
  loo::loo(log_lik, r_eff = r_eff, ...)
}

check_fitted <- function(x, what) {
  if (!inherits(x, c("bayesforge.mixtures.result.MixtureFit", "bayesforge.forge.BayesForge"))) {
    bf_abort(sprintf("%s needs a fit from m$gmm() / m$dpmm() or a workspace from bf(), got %s", what, type_name(x)))
  }
  invisible(x)
}

# Draws (chain after chain) x points matrix, with the chain of each row as attribute "chain_id".
pointwise_log_likelihood <- function(x, var_name = NULL) {
  idata <- reticulate::py_call(reticulate::py_get_attr(x, "to_arviz"))
  values <- bf_to_r(helpers$log_likelihood_by_chain(idata, var_name))  # chains x draws x points
  dims <- dim(values)
  out <- matrix(aperm(values, c(2L, 1L, 3L)), nrow = dims[[1L]] * dims[[2L]])
  attr(out, "chain_id") <- rep(seq_len(dims[[1L]]), each = dims[[2L]])
  out
}

elpd_without_loo <- function(x, method) {
  estimate <- bf_to_r(call_python(reticulate::py_get_attr(x, method), list(), sprintf("%s()", method)))
  pointwise <- if (method == "loo") {
    data.frame(elpd = as.double(estimate$loo_i), pareto_k = as.double(estimate$pareto_k))
  } else {
    data.frame(elpd = as.double(estimate$waic_i))
  }
  structure(list(
    method = method,
    elpd = as.double(estimate[[paste0("elpd_", method)]]),
    se = as.double(estimate$se),
    p = as.double(estimate[[paste0("p_", method)]]),
    draws = as.integer(estimate$n_samples),
    pointwise = pointwise
  ), class = "bf_elpd")
}

print.bf_elpd <- function(x, digits = 1, ...) {
  label <- if (x$method == "loo") "PSIS-LOO" else "WAIC"
  cat(sprintf("%s (ArviZ) of %d points, %d draws\n", label, nrow(x$pointwise), x$draws))
  estimates <- matrix(c(x$elpd, x$p, x$se, NA), 2L,
                      dimnames = list(paste0(c("elpd_", "p_"), x$method), c("Estimate", "SE")))
  print(round(estimates, digits), na.print = "")
  if (x$method == "loo") {
    bad <- sum(x$pointwise$pareto_k > 0.7)
    cat(sprintf("Pareto k > 0.7: %d point(s)\n", bad))
  }
  cat("(install the loo package for loo objects and loo::loo_compare())\n")
  invisible(x)
}

# Methods for generics of suggested packages (loo, posterior), registered when the package is
# loaded: now if it already is, else on its load (the delayed registration of vctrs::s3_register).
register_suggested_methods <- function() {
  fit <- "bayesforge.mixtures.result.MixtureFit"
  workspace <- "bayesforge.forge.BayesForge"
  for (class in c(fit, workspace)) {
    s3_register("loo::loo", class, function(x, ...) bf_loo(x, ...))
    s3_register("loo::waic", class, function(x, ...) bf_waic(x, ...))
    s3_register("posterior::as_draws_df", class, function(x, ...) posterior::as_draws_df(as.data.frame(x), ...))
    s3_register("posterior::as_draws", class, function(x, ...) posterior::as_draws_df(as.data.frame(x), ...))
  }
  invisible()
}

s3_register <- function(generic, class, method) {
  force(class)
  force(method)
  parts <- strsplit(generic, "::", fixed = TRUE)[[1L]]
  package <- parts[[1L]]
  name <- parts[[2L]]
  register <- function(...) {
    envir <- asNamespace(package)
    if (exists(name, envir = envir)) registerS3method(name, class, method, envir = envir)
  }
  setHook(packageEvent(package, "onLoad"), register)
  if (isNamespaceLoaded(package)) register()
  invisible()
}
