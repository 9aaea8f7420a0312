# The library mixture models from R: `$` on what m$gmm(), m$dpmm() and m$choose_k() return.
#
# Those three are Python's methods reached through python_member() (see workspace.R): the data
# are checked in R (data_matrix: an N x D numeric matrix, positions counted from 1) and reach
# Python as a pandas DataFrame when they have column names, so the core keeps them as the fit's
# feature names (axes of the figure, coordinates of the InferenceData). A fit's members
# reach R through python_member(); R versions exist only where R counts from 1: predict() gives
# labels 1..K (the column of predict_proba()), summary() names parameters as Stan and brms do
# (`mu[1,2]`, `weights[1]`), loo()/waic() give the loo package's objects. The S3 methods
# (predict(fit, newdata), summary(fit), ...) are in methods.R.

# The R versions of a fit's members (see python_member()): those whose values count components
# from 0 in Python.
fit_overrides <- list(
  predict = function(fit) function(X = NULL) predict_labels(fit, X),
  predict_proba = function(fit) function(X = NULL, ...) predict_probabilities(fit, X, ...),
  sample = function(fit) function(...) {
    drawn <- bf_to_r(call_python(reticulate::py_get_attr(fit, "sample"), list(...), "sample()"))
    list(X = drawn[[1L]], component = as.integer(drawn[[2L]]) + 1L)
  },
  summary = function(fit) function(...) summary_table(fit, ...),
  loo = function(fit) function(...) bf_loo(fit, ...),
  waic = function(fit) function(...) bf_waic(fit, ...)
)

`$.bayesforge.mixtures.result.MixtureFit` <- function(x, name) python_member(x, name, fit_overrides)

# 1-based labels: the most probable component of each point (Python's predict() + 1).
predict_labels <- function(fit, X = NULL) {
  labels <- bf_to_r(call_python(reticulate::py_get_attr(fit, "predict"), list(X = X), "predict()"))
  as.integer(unlist(labels, use.names = FALSE)) + 1L
}

# N x K membership probabilities, columns named by component ("1", ..., "K").
predict_probabilities <- function(fit, X = NULL, ...) {
  P <- bf_to_r(call_python(reticulate::py_get_attr(fit, "predict_proba"), list(X = X, ...), "predict_proba()"))
  P <- unname(as.matrix(P))  # a data.frame when X was one (the core keeps its index)
  colnames(P) <- as.character(seq_len(ncol(P)))
  P
}

selection_overrides <- list(
  table = function(selection) {
    table <- bf_to_r(reticulate::py_get_attr(selection, "table"))
    cbind(K = as.integer(row.names(table)), table)
  }
)

`$.bayesforge.mixtures.selection.KComparison` <- function(x, name) python_member(x, name, selection_overrides)
