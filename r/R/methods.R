# R's generics on a mixture fit (m$gmm(), m$dpmm()), on a K selection (m$choose_k()) and, where
# they mean something for any model, on a workspace's last fit (m$fit()).
#
# Everything counts from 1: labels 1..K, parameter names `mu[1,2]`, rows and columns in messages.

# -- a mixture fit ------------------------------------------------------------------------------

print.bayesforge.mixtures.result.MixtureFit <- function(x, digits = 3, ...) {
  K <- python_member(x, "K")
  shape <- python_dim(reticulate::py_get_attr(x, "data"))
  features <- feature_names(x)
  diagnostics <- python_member(x, "diagnostics")
  kind <- python_member(x, "kind")
  title <- if (identical(kind, "dpmm")) {
    sprintf("Dirichlet-process mixture of Gaussians (DPMM), truncated at %d components", K)
  } else {
    sprintf("Gaussian mixture (GMM), K = %d component%s", K, if (K == 1L) "" else "s")
  }
  cat(title, "\n", sep = "")
  cat(sprintf("data: %d points x %d feature%s%s\n", shape[[1L]], shape[[2L]], if (shape[[2L]] == 1L) "" else "s",
              if (length(features)) paste0(" (", paste(features, collapse = ", "), ")") else ""))
  cat(fit_line(diagnostics), "\n", sep = "")
  means <- python_member(x, "means")
  colnames(means) <- if (length(features) == ncol(means)) features else paste0("mean[", seq_len(ncol(means)), "]")
  table <- data.frame(weight = python_member(x, "weights"), means, check.names = FALSE)
  row.names(table) <- seq_len(K)
  cat("components (posterior means; labels 1..K as predict() gives them):\n")
  print(signif(table, digits))
  invisible(x)
}

# How the fit was computed, from the core's diagnostics: NUTS (chains, R-hat, ESS, divergences)
# or variational inference (method "vi": steps, convergence).
fit_line <- function(diagnostics) {
  if (identical(diagnostics$method, "vi")) {
    return(sprintf("variational inference: %s steps, %s, %.1f s", format(diagnostics$num_steps),
                   if (isTRUE(diagnostics$converged)) "converged" else "not converged", diagnostics$seconds))
  }
  chains <- diagnostics$num_chains
  divergences <- diagnostics$divergences
  sprintf("NUTS: %d chain%s, max R-hat %.3f, min bulk ESS %.0f, %d divergent transition%s, %.1f s",
          chains, if (chains == 1L) "" else "s", diagnostics$max_r_hat, diagnostics$min_ess_bulk,
          divergences, if (divergences == 1L) "" else "s", diagnostics$seconds)
}

summary.bayesforge.mixtures.result.MixtureFit <- function(object, ...) summary_table(object, ...)

predict.bayesforge.mixtures.result.MixtureFit <- function(object, newdata = NULL, type = c("class", "prob"), ...) {
  type <- match.arg(type)
  if (!is.null(newdata)) newdata <- new_points(object, newdata)
  if (type == "class") predict_labels(object, newdata) else predict_probabilities(object, newdata, ...)
}

# newdata for a fit, checked in R: the fit's features by name when both have names (any order,
# other columns ignored), else as many columns as the data the fit was fitted to.
new_points <- function(fit, newdata) {
  points <- data_matrix(newdata, "newdata")
  features <- feature_names(fit)
  if (length(features) && !is.null(colnames(points))) {
    missing <- setdiff(features, colnames(points))
    if (length(missing)) {
      bf_abort(sprintf("newdata has no column(s) %s; the mixture was fitted to %s",
                       paste0("'", missing, "'", collapse = ", "), paste0("'", features, "'", collapse = ", ")))
    }
    points <- points[, features, drop = FALSE]
  }
  fitted_columns <- python_dim(reticulate::py_get_attr(fit, "data"))[[2L]]
  if (ncol(points) != fitted_columns) {
    bf_abort(sprintf("newdata has %d column(s) but the mixture was fitted to %d", ncol(points), fitted_columns))
  }
  data_to_python(points, "newdata")
}

fitted.bayesforge.mixtures.result.MixtureFit <- function(object, type = c("class", "prob"), ...) {
  stats::predict(object, newdata = NULL, type = match.arg(type), ...)
}

coef.bayesforge.mixtures.result.MixtureFit <- function(object, ...) colMeans(as.matrix(object))

as.data.frame.bayesforge.mixtures.result.MixtureFit <- function(x, row.names = NULL, optional = FALSE, ...) {
  draws_frame(fit_posterior(x), feature_names(x))
}

as.matrix.bayesforge.mixtures.result.MixtureFit <- function(x, ...) draws_matrix(as.data.frame(x))

plot.bayesforge.mixtures.result.MixtureFit <- function(x, file = NULL, newdata = NULL, ...) {
  if (!is.null(newdata)) newdata <- new_points(x, newdata)
  options <- named_arguments(list(...), "plot()")
  show_figure(function(path) {
    call_python(reticulate::py_get_attr(x, "plot"), c(list(X = newdata, path = path), options), "plot()")
  }, file)
}

nobs.bayesforge.mixtures.result.MixtureFit <- function(object, ...) {
  python_dim(reticulate::py_get_attr(object, "data"))[[1L]]
}

# The largest log-likelihood over the posterior draws (as the core's BIC uses it), with the
# number of free parameters as df: AIC(fit) and BIC(fit) follow.
logLik.bayesforge.mixtures.result.MixtureFit <- function(object, ...) {
  log_lik <- pointwise_log_likelihood(object)
  structure(max(rowSums(log_lik)), df = python_member(object, "num_parameters"), nobs = ncol(log_lik),
            class = "logLik")
}

# -- a K selection ------------------------------------------------------------------------------

print.bayesforge.mixtures.selection.KComparison <- function(x, digits = 4, ...) {
  table <- python_member(x, "table", selection_overrides)
  shown <- intersect(c("K", "elpd_loo", "se_loo", "dse_loo", "elpd_waic", "bic", "max_r_hat", "status"), names(table))
  cat(sprintf("K selected by %s: %d\n", python_member(x, "criterion"), python_member(x, "selected_k")))
  print(table[, shown, drop = FALSE], digits = digits, row.names = FALSE)
  invisible(x)
}

as.data.frame.bayesforge.mixtures.selection.KComparison <- function(x, row.names = NULL, optional = FALSE, ...) {
  python_member(x, "table", selection_overrides)
}

plot.bayesforge.mixtures.selection.KComparison <- function(x, file = NULL, ...) {
  show_figure(function(path) call_python(reticulate::py_get_attr(x, "plot"), list(path = path), "plot()"), file)
}

# -- a workspace's last fit (m$fit(model), or the last m$gmm() / m$dpmm()) ----------------------

summary.bayesforge.forge.BayesForge <- function(object, ...) summary_table(object, ...)

as.data.frame.bayesforge.forge.BayesForge <- function(x, row.names = NULL, optional = FALSE, ...) bf_draws(x)

as.matrix.bayesforge.forge.BayesForge <- function(x, ...) draws_matrix(bf_draws(x))

coef.bayesforge.forge.BayesForge <- function(object, ...) colMeans(as.matrix(object))

# The figure of a Gaussian mixture fitted last by m$fit(), over the points newdata (the core's
# m.plot(X)): to `file`, or in R's graphics device.
plot.bayesforge.forge.BayesForge <- function(x, file = NULL, newdata, ...) {
  if (missing(newdata)) bf_abort("plot(m) needs newdata: the points (N x D) to draw the fitted mixture over")
  features <- colnames(data_matrix(newdata, "newdata"))
  points <- data_to_python(newdata, "newdata")
  options <- named_arguments(list(...), "plot()")
  if (!is.null(features) && is.null(options$feature_names)) options$feature_names <- as.list(features)  # axis labels
  show_figure(function(path) {
    call_python(reticulate::py_get_attr(x, "plot"), c(list(X = points, path = path), options), "plot()")
  }, file)
}

# -- shared -------------------------------------------------------------------------------------

draws_matrix <- function(frame) {
  as.matrix(frame[, setdiff(names(frame), c(".chain", ".iteration", ".draw")), drop = FALSE])
}

# draw(path) has Python write the figure to path. With `file`, the figure goes there; without,
# it is shown in R's current graphics device (read back with the png package).
show_figure <- function(draw, file = NULL) {
  if (!is.null(file) && !(is.character(file) && length(file) == 1L && !is.na(file) && nzchar(file))) {
    bf_abort(sprintf("file must be a file name (e.g. \"fit.png\"), got %s", type_name(file)))
  }
  if (!is.null(file)) {
    helpers$close_figure(draw(path.expand(file)))
    return(invisible(file))
  }
  path <- tempfile("bayesforge-", fileext = ".png")
  helpers$close_figure(draw(path))
  if (!requireNamespace("png", quietly = TRUE)) {
    message(sprintf(paste0("The figure is in %s. Install the R package png to show it in R's graphics ",
                           "device, or write it where you want it with plot(x, file = \"figure.png\")."), path))
    return(invisible(path))
  }
  on.exit(unlink(path))
  image <- png::readPNG(path)
  old <- graphics::par(mar = rep(0, 4L))
  on.exit(graphics::par(old), add = TRUE)
  graphics::plot.new()
  graphics::plot.window(xlim = c(0, dim(image)[[2L]]), ylim = c(0, dim(image)[[1L]]), asp = 1, xaxs = "i", yaxs = "i")
  graphics::rasterImage(image, 0, 0, dim(image)[[2L]], dim(image)[[1L]])
  invisible(NULL)
}
