# The library mixture models from R: m$gmm(), m$choose_k(), m$dpmm(), with small counts.

three_blobs <- function(n_per = 50L) {
  set.seed(7)
  centres <- rbind(c(-5, 0), c(0, 5), c(5, 0))
  X <- do.call(rbind, lapply(1:3, function(k) cbind(rnorm(n_per, centres[k, 1], 0.5), rnorm(n_per, centres[k, 2], 0.5))))
  list(X = X, labels = rep(1:3, each = n_per), centres = centres)
}

# Each true cluster falls in one predicted cluster, a different one for each (1 = perfect).
purity <- function(truth, predicted) {
  counts <- table(truth, predicted)
  mapped <- apply(counts, 1L, which.max)
  if (anyDuplicated(mapped)) return(0)
  sum(apply(counts, 1L, max)) / length(truth)
}

# list(value = the value of `expr`, warnings = the R warnings it gave, muffled).
collect_warnings <- function(expr) {
  messages <- character()
  value <- withCallingHandlers(expr, warning = function(w) {
    messages <<- c(messages, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = messages)
}

test_that("m$gmm fits from R: memberships, 1-based labels, summary, diagnostics", {
  skip_if_no_core()
  blobs <- three_blobs()
  m <- bf(platform = "cpu")
  fit <- m$gmm(blobs$X, K = 3.0, num_warmup = 100, num_samples = 100, num_chains = 2)  # K a double
  expect_s3_class(fit, "bayesforge.models.result.MixtureFit")
  expect_identical(fit$K, 3L)
  expect_identical(fit$kind, "gmm")
  P <- fit$predict_proba()
  expect_true(is.matrix(P) && is.double(P))
  expect_identical(dim(P), c(150L, 3L))
  expect_equal(rowSums(P), rep(1, 150), tolerance = 1e-5)
  expect_equal(fit$predict_proba(as.data.frame(blobs$X), batch_size = 40), P, tolerance = 1e-6)
  labels <- fit$predict()
  expect_true(is.integer(labels) && all(labels %in% 1:3))
  expect_identical(labels, max.col(P, ties.method = "first"))  # 1-based: the column of predict_proba
  expect_identical(sort(unique(labels)), 1:3)
  expect_equal(purity(blobs$labels, labels), 1)
  expect_equal(adjusted_rand_index(labels, blobs$labels), 1)
  expect_identical(fit$predict(blobs$X[c(1, 51, 101), ]), labels[c(1, 51, 101)])  # new points
  expect_error(fit$predict(blobs$X[, 1]), "X has 1 columns but the mixture was fitted to 2")
  table <- fit$summary()
  expect_s3_class(table, "data.frame")
  expect_true(all(c("weights[0]", "weights[2]", "mu[2, 1]") %in% row.names(table)))
  expect_true(all(c("mean", "sd", "r_hat") %in% names(table)))
  diagnostics <- fit$diagnostics
  expect_type(diagnostics, "list")
  expect_lte(diagnostics$max_r_hat, 1.05)
  expect_identical(diagnostics$divergences, 0L)
  expect_identical(diagnostics$num_chains, 2L)
  weights <- fit$weights
  expect_true(is.double(weights) && length(weights) == 3L)
  expect_equal(sum(weights), 1, tolerance = 1e-5)
  expect_equal(unname(weights), unname(table[sprintf("weights[%d]", 0:2), "mean"]), tolerance = 0.01)
  means <- fit$means
  expect_identical(dim(means), c(3L, 2L))
  # component k (row k) is cluster labels == k, and its mean is near that cluster's centre
  for (k in 1:3) expect_equal(means[k, ], colMeans(blobs$X[labels == k, , drop = FALSE]), tolerance = 0.05)
  covariances <- fit$covariances
  expect_identical(dim(covariances), c(3L, 2L, 2L))
  expect_equal(covariances[2, 1, 2], covariances[2, 2, 1])
  expect_true(is.numeric(fit$bic()))
  loo <- fit$loo()
  expect_type(loo, "list")
  expect_true(is.numeric(loo$elpd_loo) && length(loo$pareto_k) == 150L)
  # bf_membership(m, X) reads m's last fit (this one) from its relabelled draws
  expect_equal(bf_membership(m, blobs$X), P, tolerance = 1e-5)
  path <- tempfile(fileext = ".png")
  expect_invisible(fit$plot(path = path))
  expect_gt(file.size(path), 10000)
  expect_identical(m$summary(var_names = c("weights", "mu", "sigma")), table)  # the fit is m's last fit
})

test_that("m$gmm, m$choose_k and m$dpmm report bad input with the core's messages", {
  skip_if_no_core()
  blobs <- three_blobs(10L)
  m <- bf(platform = "cpu")
  expect_error(m$gmm(blobs$X, K = 0), "K must be at least 1, got 0")
  expect_error(m$gmm(blobs$X, K = 2.5), "K must be a whole number, got 2.5")
  expect_error(m$gmm(blobs$X, K = "three"), "K must be a positive whole number or 'auto', got 'three'")
  expect_error(m$gmm(blobs$X, K = 40), "K=40 is more than the 30 points in data")
  bad <- blobs$X
  bad[4, 2] <- NA
  expect_error(m$gmm(bad, K = 2), "data has 1 NaN/inf value\\(s\\), the first at row 3, column 1")
  # a plain vector is one feature (N x 1), so its NA is the core's message too
  one <- blobs$X[, 1]
  one[5] <- NA
  expect_error(m$gmm(one, K = 2), "data has 1 NaN/inf value\\(s\\), the first at row 4, column 0")
  expect_error(m$gmm(array(0, c(5, 2, 2)), K = 2), "data must be a 2-D array")
  expect_error(m$gmm(data.frame(x = 1:3, g = letters[1:3]), K = 2), "column 'g' is character, not numeric")
  expect_error(m$gmm(blobs$X, 3, 100), "arguments after the first must be named", class = "bayesforge_error")
  # initial_means arrives as the K x D matrix written in R; "auto" arrives as a string
  expect_error(m$gmm(blobs$X, K = 3, initial_means = t(blobs$centres)),
               "initial_means must be K.D = 3.2 \\(one row per component\\), got shape \\(2, 3\\)")
  expect_error(m$gmm(blobs$X, K = "auto", initial_means = blobs$centres), "initial_means needs a fixed K")
  expect_error(m$choose_k(blobs$X, ks = 1:2, criterion = "aic"), "criterion must be one of")
  expect_error(m$choose_k(blobs$X, ks = c(2, 2)), "ks has repeated values: \\[2, 2\\]")
  expect_error(m$choose_k(blobs$X, ks = c(2, 2.5)), "ks must be a whole number, got 2.5")
  expect_error(m$choose_k(blobs$X, ks = c(2, 0)), "ks must be at least 1, got 0")
  expect_error(m$dpmm(blobs$X, T = 1), "T must be at least 2, got 1")
  expect_error(m$dpmm(blobs$X, T = 1.5), "T must be a whole number, got 1.5")
  expect_error(m$dpmm(blobs$X, T = 4, num_samples = 10.5), "num_samples must be a whole number, got 10.5")
  # how the mixture methods pass Python's warnings on: as R warnings, the value unchanged
  warn <- bayesforge:::helpers$recording_warnings(reticulate::import("warnings", convert = FALSE)$warn)
  expect_warning(value <- bayesforge:::with_python_warnings(reticulate::py_call(warn, "a warning from Python")),
                 "a warning from Python")
  expect_null(reticulate::py_to_r(value))
})

test_that("m$choose_k selects K from R and m$dpmm finds the clusters", {
  skip_if_no_core()
  blobs <- three_blobs()
  m <- bf(platform = "cpu")
  run <- collect_warnings(m$choose_k(blobs$X, ks = 2:4, num_warmup = 100, num_samples = 100, num_chains = 2))
  # Python's warnings are R warnings: at most a K left out because its chains did not converge
  expect_true(all(grepl("chains did not converge", run$warnings)))
  selection <- run$value
  expect_s3_class(selection, "bayesforge.models.selection.KSelection")
  expect_identical(selection$selected_k, 3L)
  expect_identical(selection$criterion, "loo")
  table <- selection$table
  expect_s3_class(table, "data.frame")
  expect_identical(table$K, 2:4)
  expect_identical(row.names(table), c("2", "3", "4"))
  expect_true(all(c("elpd_loo", "se_loo", "dse_loo", "elpd_waic", "bic", "max_r_hat", "converged") %in% names(table)))
  best <- selection$best
  expect_identical(best$K, 3L)
  expect_equal(purity(blobs$labels, best$predict()), 1)
  fits <- selection$fits
  expect_identical(names(fits), c("2", "3", "4"))
  expect_identical(vapply(fits, function(fit) fit$K, integer(1)), c(`2` = 2L, `3` = 3L, `4` = 4L))

  dp <- m$dpmm(blobs$X, T = 6, num_warmup = 100, num_samples = 100, num_chains = 2)
  expect_identical(dp$kind, "dpmm")
  expect_identical(dp$K, 6L)
  occupied <- dp$occupied_clusters()
  expect_true(is.integer(occupied) && length(occupied) == 200L)
  counts <- tabulate(occupied, nbins = 6)
  expect_identical(which.max(counts), 3L)
  expect_identical(dim(dp$predict_proba()), c(150L, 6L))
  expect_equal(adjusted_rand_index(dp$predict(), blobs$labels), 1)
})
