# The library mixture models from R: m$gmm(), m$dpmm(), m$choose_k() and what they return.
#
# Arguments are converted as everywhere in the package (data as exact arrays, counts as integers:
# R users write K = 8, a double); results come back as R values. Cluster labels from predict()
# are 1-based, as R users index; membership columns are in the components' order (column k is
# Python's component k - 1, row k of summary()'s "weights[k-1]").

mixture_method <- function(m, method, data, args) {
  what <- sprintf("m$%s()", method)
  args <- coerce_counts(named_arguments(args, what))
  for (count in intersect(names(args), c("K", "T"))) {
    if (!(is.character(args[[count]]) || is_py(args[[count]]))) args[[count]] <- bf_int(args[[count]], count)
  }
  if (!is.null(args$ks) && !is_py(args$ks)) args$ks <- reticulate::r_to_py(as.list(bf_int(args$ks, "ks")))
  do.call(call_py, c(list(reticulate::py_get_attr(m, method), data = data), args))
}

points_argument <- function(X) if (is.null(X)) reticulate::py_none() else to_py(X, whole_as_int = FALSE, where = "X")

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
    plot = function(path = NULL) invisible(reticulate::py_call(reticulate::py_get_attr(x, "plot"), path = path)),
    NextMethod()
  )
}
