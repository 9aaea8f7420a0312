# The library mixture models from R: m$gmm(), m$choose_k(), m$dpmm(), with small counts.

three_blobs <- function(n_per = 50L) {
  set.seed(7)
  centres <- rbind(c(-5, 0), c(0, 5), c(5, 0))
  X <- do.call(rbind, lapply(1:3, function(k) cbind(rnorm(n_per, centres[k, 1], 0.5), rnorm(n_per, centres[k, 2], 0.5))))
  list(X = X, labels = rep(1:3, each = n_per))
}

test_that("m$gmm fits from R: memberships, 1-based labels, summary, diagnostics", {
  skip_if_no_core()
  blobs <- three_blobs()
  m <- bf(platform = "cpu")
  fit <- m$gmm(blobs$X, K = 3, num_warmup = 100, num_samples = 100, num_chains = 2)
  expect_identical(fit$K, 3L)
  P <- fit$predict_proba()
  expect_identical(dim(P), c(150L, 3L))
  expect_equal(rowSums(P), rep(1, 150), tolerance = 1e-5)
  labels <- fit$predict()
  expect_true(is.integer(labels) && all(labels %in% 1:3))
  expect_identical(labels, max.col(P, ties.method = "first"))
  expect_equal(adjusted_rand_index(labels, blobs$labels), 1)
  expect_identical(fit$predict(blobs$X[c(1, 51, 101), ]), labels[c(1, 51, 101)])  # new points
  table <- fit$summary()
  expect_s3_class(table, "data.frame")
  expect_true(all(c("weights[0]", "mu[2, 1]") %in% row.names(table)))
  diagnostics <- fit$diagnostics
  expect_lte(diagnostics$max_r_hat, 1.05)
  expect_identical(diagnostics$divergences, 0L)
  expect_identical(dim(fit$means), c(3L, 2L))
  expect_equal(sum(fit$weights), 1, tolerance = 1e-5)
  expect_true(is.numeric(fit$bic()))
  path <- tempfile(fileext = ".png")
  fit$plot(path = path)
  expect_true(file.exists(path))
  expect_identical(m$summary(var_names = c("weights", "mu", "sigma")), table)  # the fit is m's last fit
})

test_that("m$gmm reports bad input with the core's messages", {
  skip_if_no_core()
  blobs <- three_blobs(10L)
  m <- bf(platform = "cpu")
  expect_error(m$gmm(blobs$X, K = 0), "K must be at least 1")
  expect_error(m$gmm(blobs$X, K = 2.5), "K must be a whole number, got 2.5")
  bad <- blobs$X
  bad[4, 2] <- NA
  expect_error(m$gmm(bad, K = 2), "data has 1 NaN/inf value\\(s\\), the first at row 3, column 1")
  expect_error(m$gmm(blobs$X[, 1], K = 2), "data must be a 2-D array")
  expect_error(m$gmm(blobs$X, K = 40), "K=40 is more than the 30 points in data")
  expect_error(m$choose_k(blobs$X, ks = 1:2, criterion = "aic"), "criterion must be one of")
})

test_that("m$choose_k selects K from R and m$dpmm finds the clusters", {
  skip_if_no_core()
  blobs <- three_blobs()
  m <- bf(platform = "cpu")
  selection <- m$choose_k(blobs$X, ks = 2:4, num_warmup = 100, num_samples = 100, num_chains = 2)
  expect_identical(selection$selected_k, 3L)
  table <- selection$table
  expect_identical(table$K, 2:4)
  expect_true(all(c("elpd_loo", "se_loo", "elpd_waic", "bic") %in% names(table)))
  expect_identical(selection$best$K, 3L)
  dp <- m$dpmm(blobs$X, T = 6, num_warmup = 100, num_samples = 100, num_chains = 2)
  counts <- tabulate(dp$occupied_clusters(), nbins = 6)
  expect_identical(which.max(counts), 3L)
  expect_equal(adjusted_rand_index(dp$predict(), blobs$labels), 1)
})
