# The library mixture models from R: m$gmm(), m$dpmm(), m$choose_k() and what they return.
#
# Arguments are converted as everywhere in the package (data as exact arrays, counts as integers:
# R users write K = 8, a double); results come back as R values. Cluster labels from predict()
# are 1-based, as R users index; membership columns are in the components' order (column k is
# Python's component k - 1, row k of summary()'s "weights[k-1]"). A plain numeric vector is one
# feature (an N x 1 matrix), as elsewhere in R. Python's warnings (e.g. a K left out of the
# choice because its chains did not converge) become R warnings.

mixture_method <- function(m, method, data, args) {
  what <- sprintf("m$%s()", method)
  args <- coerce_counts(named_arguments(args, what))
  for (count in intersect(names(args), c("K", "T"))) {
    if (!(is.character(args[[count]]) || is_py(args[[count]]))) args[[count]] <- bf_int(args[[count]], count)
  }
  if (!is.null(args$ks) && !is_py(args$ks)) args$ks <- reticulate::r_to_py(as.list(bf_int(args$ks, "ks")))
  fn <- helpers$recording_warnings(reticulate::py_get_attr(m, method))
  with_python_warnings(do.call(call_py, c(list(fn, data = one_feature_column(data)), args)))
}

# A Python (result, [messages]) pair from helpers$recording_warnings(): the messages as R
# warnings, then the result.
with_python_warnings <- function(pair) {
  messages <- reticulate::py_to_r(helpers$item(pair, 1L))
  for (message in as.character(unlist(messages))) warning(message, call. = FALSE)
  helpers$item(pair, 0L)
}

# R's vectors are one feature: an N x 1 matrix for the core, which wants N x D data.
one_feature_column <- function(x) {
  if ((is.numeric(x) || is.logical(x)) && is.null(dim(x)) && !is.factor(x)) matrix(x, ncol = 1L) else x
}

points_argument <- function(X) {
  if (is.null(X)) reticulate::py_none() else to_py(one_feature_column(X), whole_as_int = FALSE, where = "X")
}

# ArviZ's ELPDData (a pandas Series: elpd_loo, se, p_loo, ..., loo_i, pareto_k) as a named list.
elpd_to_r <- function(x) {
  parts <- helpers$series_parts(x)
  keys <- as.character(unlist(reticulate::py_to_r(helpers$item(parts, 0L))))
  values <- helpers$item(parts, 1L)
  out <- lapply(seq_along(keys) - 1L, function(i) bf_to_r(helpers$item(values, i)))
  names(out) <- keys
  out
}

`$.bayesforge.models.result.MixtureFit` <- function(x, name) {
  method <- function() reticulate::py_get_attr(x, name)
  switch(
    name,
    predict_proba = function(X = NULL, batch_size = NULL) {
      if (!is.null(batch_size)) batch_size <- bf_int(batch_size, "batch_size")
      bf_to_r(reticulate::py_call(method(), X = points_argument(X), batch_size = batch_size))
    },
    predict = function(X = NULL) {
      as.integer(bf_to_r(reticulate::py_call(method(), X = points_argument(X)))) + 1L
    },
    occupied_clusters = function(X = NULL, seed = 0) {
      as.integer(bf_to_r(reticulate::py_call(method(), X = points_argument(X), seed = bf_int(seed, "seed"))))
    },
    summary = function(...) {
      args <- coerce_counts(named_arguments(list(...), "fit$summary()"))
      bf_to_r(do.call(call_py, c(list(method()), args)))
    },
    plot = function(X = NULL, path = NULL, ...) {
      args <- named_arguments(list(...), "fit$plot()")
      invisible(do.call(call_py, c(list(method(), X = points_argument(X), path = path), args)))
    },
    bic = function() bf_to_r(reticulate::py_call(method())),
    loo = , waic = function() {
      elpd_to_r(with_python_warnings(reticulate::py_call(helpers$recording_warnings(method()))))
    },
    K = , weights = , means = , covariances = , diagnostics = , kind = , seconds = , num_parameters = ,
    data = bf_to_r(method()),
    NextMethod()
  )
}

`$.bayesforge.models.selection.KSelection` <- function(x, name) {
  switch(
    name,
    table = {
      table <- bf_to_r(reticulate::py_get_attr(x, "table"))
      cbind(K = as.integer(row.names(table)), table)
    },
    selected_k = as.integer(bf_to_r(reticulate::py_get_attr(x, "selected_k"))),
    criterion = bf_to_r(reticulate::py_get_attr(x, "criterion")),
    fits = bf_to_r(reticulate::py_get_attr(x, "fits")),  # named by K: list of fits, each with this `$`
    plot = function(path = NULL) invisible(reticulate::py_call(reticulate::py_get_attr(x, "plot"), path = path)),
    NextMethod()
  )
}
