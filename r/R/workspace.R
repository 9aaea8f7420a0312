# bf(), the workspace it returns and the few places where its methods need R conversion.
#
# `m` is the Python BayesForge object itself (reticulate, convert = FALSE). `$` on it reaches
# Python as usual; the methods below only convert what crosses the language boundary: model
# functions, data and arrays in, tables and draws out.

bf <- function(platform = NULL, cores = NULL, x64 = FALSE) {
  if (!is.null(platform) && !(is.character(platform) && length(platform) == 1L)) {
    bf_abort(sprintf("platform must be NULL or one of \"cpu\", \"gpu\", \"tpu\", got %s", type_name(platform)))
  }
  if (!is.null(cores)) cores <- bf_int(cores, "cores")
  if (!(is.logical(x64) && length(x64) == 1L && !is.na(x64))) bf_abort("x64 must be TRUE or FALSE")
  py_core()$bf(platform = platform, cores = cores, x64 = x64)
}

bf_jnp <- function() {
  py_core()
  reticulate::import("jax.numpy", convert = FALSE)
}

# Call a Python callable with R arguments converted (arrays as bytes, lists as dicts/lists); the
# raw Python result. For what R models call (m$dist$...): nothing is converted back.
call_py <- function(fn, ..., .where = "argument") {
  args <- list(...)
  keys <- names(args)
  args <- lapply(seq_along(args), function(i) {
    label <- if (!is.null(keys) && nzchar(keys[[i]])) keys[[i]] else sprintf("%s %d", .where, i)
    to_py(args[[i]], whole_as_int = FALSE, where = label)
  })
  names(args) <- keys
  do.call(reticulate::py_call, c(list(fn), args))
}

named_arguments <- function(args, what) {
  keys <- names(args)
  if (length(args) && (is.null(keys) || any(!nzchar(keys)))) {
    bf_abort(sprintf("%s: arguments after the first must be named (e.g. num_samples = 500)", what))
  }
  args
}

# The R versions of a workspace's members; every other member is Python's (python_member()):
# m$gmm(X, K = 3), m$dpmm(X, T = 10), m$choose_k(X, ks = 1:5), m$posteriors, m$sampler, ...
workspace_overrides <- list(
  fit = function(m) function(model, ...) {
    expression <- substitute(model)
    workspace_fit(m, model, list(...), if (is.name(expression)) as.character(expression) else "model")
  },
  summary = function(m) function(...) summary_table(m, ...)
)

`$.bayesforge.forge.BayesForge` <- function(x, name) python_member(x, name, workspace_overrides)

`$<-.bayesforge.forge.BayesForge` <- function(x, name, value) {
  if (!identical(name, "data_on_model")) return(NextMethod())
  reticulate::py_set_attr(x, "data_on_model", model_data_to_py(value))
  x
}

model_data_to_py <- function(value) {
  if (is_py(value)) return(value)
  if (!is.list(value) || is.data.frame(value)) {
    bf_abort(sprintf(paste0("data_on_model must be a named list of the model's arguments ",
                            "(e.g. list(data = X, K = 8)), got %s"), type_name(value)))
  }
  keys <- names(value)
  if (length(value) && (is.null(keys) || any(is.na(keys) | !nzchar(keys)))) {
    bf_abort("data_on_model must be a named list: every element needs the name of a model argument")
  }
  if (anyDuplicated(keys)) {
    bf_abort(sprintf("data_on_model has the name '%s' twice", keys[anyDuplicated(keys)]))
  }
  if (!length(value)) return(reticulate::py_dict(list(), list(), convert = FALSE))
  items <- lapply(keys, function(key) to_py(value[[key]], whole_as_int = TRUE, where = paste0("data_on_model$", key)))
  reticulate::py_dict(keys, items, convert = FALSE)
}

workspace_fit <- function(m, model, args, label) {
  args <- named_arguments(args, "m$fit()")
  name <- if (grepl("^[A-Za-z_.][A-Za-z0-9_.]*$", label)) gsub(".", "_", label, fixed = TRUE) else "model"
  model <- bf_model(model, name = name)
  do.call(call_py, c(list(reticulate::py_get_attr(m, "fit"), model), args))
  invisible(m)
}

# k-means labels count from 1 in R, as cluster labels everywhere in this package.
ml_overrides <- list(
  KMEANS = function(ml) {
    kmeans <- python_method(reticulate::py_get_attr(ml, "KMEANS"), "m$ml$KMEANS()")
    function(...) one_based_labels(kmeans(...))
  },
  results = function(ml) one_based_labels(bf_to_r(reticulate::py_get_attr(ml, "results")))
)

one_based_labels <- function(result) {
  if (is.numeric(result$labels)) result$labels <- as.integer(result$labels) + 1L
  result
}

`$.bayesforge.ml.MachineLearning` <- function(x, name) python_member(x, name, ml_overrides)

`$.bayesforge.dist.Distributions` <- function(x, name) {
  target <- reticulate::py_get_attr(x, name)
  if (!py_callable(target)) return(target)
  function(...) call_py(target, ...)
}

# The memberships of the points X under m's last fit (a Gaussian mixture): Python's
# MixtureFit.predict_proba() on that fit.
bf_membership <- function(m, X, max_draws = 400, batch_size = 10000) {
  check_workspace(m)
  fit <- helpers$workspace_mixture(m, max_draws)
  P <- bf_to_r(call_python(reticulate::py_get_attr(fit, "predict_proba"), list(X = X, batch_size = batch_size),
                           "bf_membership()"))
  unname(as.matrix(P))  # a data.frame when X was one
}

# The draws of m's last fit (relabelled), one column per parameter named from 1 (`mu[2,1]`),
# then .chain, .iteration and .draw.
bf_draws <- function(m) {
  check_workspace(m)
  draws_frame(reticulate::py_get_attr(m, "posterior"))
}

check_workspace <- function(m) {
  if (!inherits(m, "bayesforge.forge.BayesForge")) {
    bf_abort(sprintf("m must be a BayesForge workspace from bf(), got %s", type_name(m)))
  }
  invisible(m)
}
