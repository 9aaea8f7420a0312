# R's generics on library mixture fits: Old Faithful (a data.frame with column names; K = 1 and 2
# from one m$choose_k, so LOO is computed once and shared) and the seed's blobs (a matrix without
# names, K = 8). Each model is fitted once for the whole file, with small chains.

settings <- list(num_chains = 2, num_warmup = 150, num_samples = 150)

# list(m, selection, fit1, fit2), fitted at the first call
faithful_fits <- local({
  fits <- NULL
  function() {
    if (is.null(fits)) {
      m <- bf(platform = "cpu")
      selection <- suppressWarnings(do.call(m$choose_k, c(list(faithful, ks = 1:2), settings)))
      fits <<- list(m = m, selection = selection, fit1 = selection$fits[["1"]], fit2 = selection$fits[["2"]])
    }
    fits
  }
})

# The seed's 500 points, K = 8, with the settings above: the same NUTS program as the K = 8 fit of
# tests/mixtures/test_gmm.py, so the run's compilation cache compiles it once (conftest.SHARED_COMPILATIONS).
seed_fit <- local({
  fit <- NULL
  function() {
    if (is.null(fit)) {
      seed <- seed_data()
      m <- bf(platform = "cpu")
      fit <<- list(X = seed$X, labels = seed$labels, m = m, fit = do.call(m$gmm, c(list(seed$X, K = 8), settings)))
    }
    fit
  }
})

long_eruption <- faithful$eruptions > 3

test_that("summary rows are named from their position, whatever labels ArviZ gave them", {
  labels <- list(weights = list(c("1", "2")), mu = list(c("1", "2"), c("eruptions", "waiting")))
  rows <- c("weights[0]", "weights[1]", "mu[0, x1]", "mu[0, x2]", "mu[1, x1]", "mu[1, x2]", "lp")
  expect_identical(bayesforge:::r_parameter_names(rows, labels),
                   c("weights[1]", "weights[2]", "mu[1,eruptions]", "mu[1,waiting]", "mu[2,eruptions]",
                     "mu[2,waiting]", "lp"))
  expect_identical(bayesforge:::r_parameter_names(c("mu[0, 0]", "mu[1, 0]"), list(mu = list(c("1", "2"), "1"))),
                   c("mu[1,1]", "mu[2,1]"))
  expect_identical(bayesforge:::element_names("mu", list(c("1", "2"), c("a", "b"))),
                   c("mu[1,a]", "mu[2,a]", "mu[1,b]", "mu[2,b]"))  # draws: the first index fastest, as Stan
})

test_that("the data.frame's column names reach Python and the fit's parameter names", {
  skip_if_no_core()
  frame <- bayesforge:::data_to_python(faithful, "data")
  expect_identical(reticulate::py_to_r(bayesforge:::helpers$kind(frame)), "frame")  # a pandas DataFrame
  expect_identical(bf_to_r(frame$columns$tolist()), c("eruptions", "waiting"))
  expect_identical(bf_to_r(frame$to_numpy()), unname(as.matrix(faithful)))
  expect_s3_class(bayesforge:::data_to_python(unname(as.matrix(faithful)), "data"), "numpy.ndarray")
  fit <- faithful_fits()$fit2
  expect_identical(fit$feature_names, c("eruptions", "waiting"))
  expect_true(all(c("weights[1]", "weights[2]", "mu[1,eruptions]", "mu[2,waiting]", "sigma[2,eruptions]")
                  %in% row.names(summary(fit))))
  expect_identical(seed_fit()$fit$feature_names, NULL)
})

test_that("print() shows the mixture in R's terms", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  out <- capture.output(value <- print(fit))
  expect_identical(value, fit)
  expect_match(out[[1L]], "^Gaussian mixture \\(GMM\\), K = 2 components$")
  expect_match(out[[2L]], "^data: 272 points x 2 features \\(eruptions, waiting\\)$")
  expect_match(out[[3L]], "^NUTS: 2 chains, max R-hat [0-9.]+, min bulk ESS [0-9]+, [0-9]+ divergent")
  expect_match(out[[5L]], "weight +eruptions +waiting")
  expect_match(out[[6L]], "^1 ")
  expect_match(capture.output(print(seed_fit()$fit))[[2L]], "^data: 500 points x 2 features$")
  expect_identical(bayesforge:::fit_line(list(method = "vi", num_steps = 3000L, converged = TRUE, seconds = 2.5)),
                   "variational inference: 3000 steps, converged, 2.5 s")
})

test_that("summary() is a data.frame with 1-based Stan-style names", {
  skip_if_no_core()
  table <- summary(faithful_fits()$fit2)
  expect_s3_class(table, "data.frame")
  expect_identical(row.names(table), c("weights[1]", "weights[2]", "mu[1,eruptions]", "mu[1,waiting]",
                                       "mu[2,eruptions]", "mu[2,waiting]", "sigma[1,eruptions]", "sigma[1,waiting]",
                                       "sigma[2,eruptions]", "sigma[2,waiting]"))
  expect_true(all(c("mean", "sd", "ess_bulk", "r_hat") %in% names(table)))
  seed <- seed_fit()$fit
  rows <- row.names(summary(seed, var_names = c("weights", "mu")))
  expect_identical(rows, c(sprintf("weights[%d]", 1:8), sprintf("mu[%d,%d]", rep(1:8, each = 2), 1:2)))
  expect_identical(row.names(seed$summary(var_names = "mu")), rows[-(1:8)])  # fit$summary() is the same
  # the names of summary() and of the draws agree, so are the means
  expect_equal(table$mean, unname(coef(faithful_fits()$fit2)[row.names(table)]), tolerance = 1e-3)
})

test_that("predict() gives 1-based classes and named probabilities; fitted() the same for the data", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  P <- predict(fit, type = "prob")
  expect_true(is.matrix(P) && is.double(P))
  expect_identical(dim(P), c(272L, 2L))
  expect_identical(colnames(P), c("1", "2"))
  expect_equal(unname(rowSums(P)), rep(1, 272), tolerance = 1e-5)
  classes <- predict(fit)
  expect_true(is.integer(classes))
  expect_identical(classes, max.col(P, ties.method = "first"))
  expect_identical(sort(unique(classes)), 1:2)
  expect_identical(fit$predict(), classes)
  expect_identical(fitted(fit), classes)
  expect_identical(fitted(fit, type = "prob"), P)
  # component 1 has the smaller mean eruption time (k-means order): the short eruptions
  short <- which.min(coef(fit)[c("mu[1,eruptions]", "mu[2,eruptions]")])
  expect_gte(mean((classes == short) == !long_eruption), 0.97)
  expect_identical(predict(fit, newdata = faithful[c(1, 2, 272), ]), classes[c(1, 2, 272)])
  expect_equal(predict(fit, faithful[1:5, ], type = "prob", batch_size = 2), P[1:5, ], tolerance = 1e-6)
  # newdata's columns are found by name when it has names (any order, other columns ignored)
  expect_identical(predict(fit, data.frame(extra = 0, waiting = faithful$waiting, eruptions = faithful$eruptions)),
                   classes)
  expect_error(predict(fit, data.frame(eruptions = 1, wait = 2)),
               "newdata has no column\\(s\\) 'waiting'; the mixture was fitted to 'eruptions', 'waiting'",
               class = "bayesforge_error")
  expect_error(predict(fit, faithful$eruptions), "newdata has 1 column\\(s\\) but the mixture was fitted to 2",
               class = "bayesforge_error")
  expect_error(predict(fit, data.frame(a = 1, b = NA)), "newdata has 1 missing .* row 1, column 2 \\('b'\\)",
               class = "bayesforge_error")
  expect_error(predict(fit, type = "response"), "'arg' should be one of")

  seed <- seed_fit()
  labels <- predict(seed$fit)
  expect_identical(sort(unique(labels)), 1:8)
  expect_gte(adjusted_rand_index(labels, seed$labels), 0.9)
  expect_identical(dim(predict(seed$fit, seed$X[1:4, ], type = "prob")), c(4L, 8L))
})

test_that("coef(), as.data.frame() and as.matrix() give the draws with 1-based names", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  draws <- as.data.frame(fit)
  expect_identical(dim(draws), c(300L, 2L + 4L + 4L + 8L + 3L))
  expect_identical(tail(names(draws), 3L), c(".chain", ".iteration", ".draw"))
  expect_identical(draws$.chain, rep(1:2, each = 150L))
  expect_identical(draws$.iteration, rep(1:150, times = 2L))
  expect_identical(draws$.draw, 1:300)
  expect_true(all(c("weights[1]", "mu[2,waiting]", "sigma[1,eruptions]", "Lcorr[2,waiting,eruptions]") %in% names(draws)))
  # the relabelled draws of the core, chain by chain
  by_chain <- bf_to_r(reticulate::py_call(reticulate::py_get_attr(reticulate::py_get_attr(fit, "posterior"), "by_chain")))
  expect_identical(draws[["mu[2,waiting]"]], c(by_chain$mu[1, , 2, 2], by_chain$mu[2, , 2, 2]))
  expect_identical(draws[["weights[1]"]][draws$.chain == 2], by_chain$weights[2, , 1])
  matrix <- as.matrix(fit)
  expect_identical(dim(matrix), c(300L, 18L))
  expect_identical(colnames(matrix), head(names(draws), -3L))
  estimates <- coef(fit)
  expect_identical(names(estimates), colnames(matrix))
  expect_equal(unname(estimates[c("weights[1]", "weights[2]")]), fit$weights, tolerance = 1e-6)
  expect_equal(sum(estimates[c("weights[1]", "weights[2]")]), 1, tolerance = 1e-5)
  seed_draws <- as.data.frame(seed_fit()$fit)
  expect_true(all(c("mu[8,2]", "weights[8]", "Lcorr[3,2,1]") %in% names(seed_draws)))
  expect_false(any(grepl("\\[0|,0", names(seed_draws))))  # nothing counts from 0
})

test_that("posterior::as_draws_df() reads a fit", {
  skip_if_no_core()
  skip_if_not_installed("posterior")
  draws <- posterior::as_draws_df(faithful_fits()$fit2)
  expect_s3_class(draws, "draws_df")
  expect_identical(posterior::nchains(draws), 2L)
  expect_identical(posterior::niterations(draws), 150L)
  expect_true("mu[1,eruptions]" %in% posterior::variables(draws))
})

test_that("nobs() and logLik(): the largest log-likelihood, df the free parameters, BIC as the core's", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  expect_identical(nobs(fit), 272L)
  ll <- logLik(fit)
  expect_s3_class(ll, "logLik")
  expect_identical(attr(ll, "df"), 11L)  # (K - 1) + K D + K D (D + 1) / 2 for K = 2, D = 2
  expect_identical(attr(ll, "nobs"), 272L)
  expect_lt(as.numeric(ll), 0)
  expect_equal(BIC(ll), fit$bic(), tolerance = 1e-5)
  expect_equal(AIC(fit), -2 * as.numeric(ll) + 2 * 11)
  expect_identical(nobs(seed_fit()$fit), 500L)
})

test_that("loo() and waic() are the loo package's objects and loo_compare() compares fits", {
  skip_if_no_core()
  skip_if_not_installed("loo")
  fits <- faithful_fits()
  # (loo's warnings about a few high Pareto k of these short chains are not under test)
  loo1 <- suppressWarnings(loo::loo(fits$fit1))
  loo2 <- suppressWarnings(loo::loo(fits$fit2))
  expect_s3_class(loo2, "psis_loo")
  expect_identical(dim(loo2$pointwise)[[1L]], 272L)
  expect_identical(attr(loo2, "dims"), c(300L, 272L))
  # the same estimate as the core's (ArviZ) PSIS-LOO
  table <- fits$selection$table
  elpd <- c(loo1$estimates["elpd_loo", "Estimate"], loo2$estimates["elpd_loo", "Estimate"])
  expect_lt(max(abs(elpd - table$elpd_loo)), 0.5)
  comparison <- loo::loo_compare(loo1, loo2)
  expect_s3_class(comparison, "compare.loo")
  expect_identical(row.names(comparison), c("model1", "model2")[order(elpd, decreasing = TRUE)])
  expect_equal(unname(comparison[, "elpd_diff"]), sort(elpd - max(elpd), decreasing = TRUE), tolerance = 1e-8)
  waic2 <- suppressWarnings(loo::waic(fits$fit2))  # loo warns about p_waic on some points
  expect_s3_class(waic2, "waic")
  expect_lt(abs(waic2$estimates["elpd_waic", "Estimate"] - table$elpd_waic[table$K == 2]), 0.5)
  expect_s3_class(suppressWarnings(fits$fit2$loo()), "psis_loo")  # the member is the R object too
  expect_s3_class(suppressWarnings(bf_waic(fits$fit1)), "waic")
  # a workspace: its last fit (the selected one)
  expect_s3_class(suppressWarnings(loo::loo(fits$m)), "psis_loo")
})

test_that("without the loo package, loo and waic print compactly", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  estimate <- bayesforge:::elpd_without_loo(fit, "loo")
  expect_s3_class(estimate, "bf_elpd")
  expect_identical(nrow(estimate$pointwise), 272L)
  out <- capture.output(print(estimate))
  expect_lte(length(out), 6L)  # never the 272 pointwise values
  expect_match(out[[1L]], "PSIS-LOO \\(ArviZ\\) of 272 points, 300 draws")
  expect_match(paste(out, collapse = "\n"), "elpd_loo +-[0-9]")
  waic <- bayesforge:::elpd_without_loo(fit, "waic")
  expect_lte(length(capture.output(print(waic))), 6L)
  expect_lt(abs(waic$elpd - suppressWarnings(loo::waic(fit))$estimates["elpd_waic", "Estimate"]), 0.5)
})

test_that("plot() writes the figure to a file or shows it in the graphics device", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  path <- tempfile(fileext = ".png")
  expect_identical(plot(fit, file = path), path)
  expect_gt(file.size(path), 10000)
  device <- tempfile(fileext = ".png")
  grDevices::png(device, width = 400, height = 300)
  plot(seed_fit()$fit)  # read back with the png package and drawn here
  grDevices::dev.off()
  expect_gt(file.size(device), 5000)
  expect_error(plot(fit, file = 3), "file must be a file name", class = "bayesforge_error")
  selection <- tempfile(fileext = ".png")
  plot(faithful_fits()$selection, file = selection)
  expect_gt(file.size(selection), 10000)
})

test_that("a fit's members reach R through one generic path", {
  skip_if_no_core()
  fit <- faithful_fits()$fit2
  expect_identical(fit$K, 2L)
  expect_identical(fit$kind, "gmm")
  weights <- fit$weights
  expect_true(is.double(weights) && length(weights) == 2L)
  expect_identical(dim(fit$means), c(2L, 2L))
  expect_identical(dim(fit$covariances), c(2L, 2L, 2L))
  expect_identical(fit$data, unname(as.matrix(faithful)))
  expect_identical(fit$num_parameters, 11L)
  diagnostics <- fit$diagnostics
  expect_identical(diagnostics$num_chains, 2L)
  expect_true(is.numeric(diagnostics$max_r_hat))
  P <- fit$predict_proba(faithful[1:3, ], batch_size = 2)  # Python's method, arguments converted
  expect_identical(dim(P), c(3L, 2L))
  expect_equal(unname(P), unname(predict(fit, faithful[1:3, ], type = "prob")), tolerance = 1e-6)
  expect_identical(length(fit$occupied_clusters()), 300L)
  # a member the R package does not know about reaches R all the same: every public member of
  # the Python class (methods become R functions, values R values)
  members <- setdiff(reticulate::py_list_attributes(fit), c("plot", "to_arviz"))
  members <- members[!startsWith(members, "_")]
  for (name in members) {
    value <- try(eval(call("$", fit, name)), silent = TRUE)
    expect_false(inherits(value, "try-error"), label = name)
  }
  expect_s3_class(fit$to_arviz(), "arviz.data.inference_data.InferenceData")  # a Python object, as it is
  P <- fit$predict_proba(faithful[1:3, ])  # members that count components from 0 have R versions
  expect_identical(colnames(P), c("1", "2"))
  drawn <- fit$sample(5, seed = 1)
  expect_identical(dim(drawn$X), c(5L, 2L))
  expect_true(is.integer(drawn$component) && all(drawn$component %in% 1:2))
  expect_error(fit$no_such_member, "has no attribute 'no_such_member'")
})

test_that("a K selection prints its table and reads as a data.frame", {
  skip_if_no_core()
  selection <- faithful_fits()$selection
  table <- as.data.frame(selection)
  expect_identical(table$K, 1:2)
  expect_identical(selection$selected_k, 2L)  # two kinds of eruption, far apart
  expect_identical(names(selection$fits), c("1", "2"))
  out <- capture.output(print(selection))
  expect_match(out[[1L]], sprintf("^K selected by loo: %d$", selection$selected_k))
  expect_match(out[[2L]], "K +elpd_loo")
})

test_that("the workspace's last fit has summary(), as.data.frame(), as.matrix() and coef()", {
  skip_if_no_core()
  seed <- seed_fit()
  m <- seed$m  # its last fit is the seed GMM
  table <- summary(m, var_names = "weights")
  expect_identical(row.names(table), sprintf("weights[%d]", 1:8))
  expect_identical(m$summary(var_names = "weights"), table)
  draws <- as.data.frame(m)
  expect_identical(draws, bf_draws(m))
  expect_identical(draws[["mu[3,2]"]], as.data.frame(seed$fit)[["mu[3,2]"]])  # the same relabelled draws
  expect_identical(dim(as.matrix(m)), c(300L, ncol(draws) - 3L))  # 2 chains x 150 draws
  expect_equal(coef(m)[["weights[2]"]], mean(draws[["weights[2]"]]))
  # bf_membership() is the last fit's predict_proba()
  expect_equal(bf_membership(m, seed$X), unname(predict(seed$fit, type = "prob")), tolerance = 1e-5)
})
