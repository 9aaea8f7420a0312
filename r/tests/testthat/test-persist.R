# bf_save() / bf_load(): a fit saved by Python code loads in R with the same memberships (labels 1..K),
# R saves it again, and m$fit()'s draws come back as an InferenceData.

test_that("a fit saved in Python loads in R with the same memberships, labels counted from 1", {
  skip_if_no_core()
  folder <- tempfile("bayesforge-persist-")
  dir.create(folder)
  on.exit(unlink(folder, recursive = TRUE), add = TRUE)
  path <- file.path(folder, "fit.nc")
  # the model, data and settings of test-fit-methods.R's seed fit: the run's compilation cache already holds
  # its sampler, so this fit costs its sampling only
  python <- reticulate::py_run_string(paste(
    "from bayesforge import bf",
    "from bayesforge.mixtures.gmm import seed_data",
    "data, _ = seed_data()",
    "fit = bf(platform='cpu').gmm(data, K=8, num_warmup=150, num_samples=150, num_chains=2)",
    sprintf("fit.save(%s)", deparse(path)),
    "proba = fit.predict_proba()",
    sep = "\n"), local = TRUE, convert = FALSE)
  expected <- bf_to_r(reticulate::py_get_item(python, "proba"))

  fit <- bf_load(path)
  expect_s3_class(fit, "bayesforge.mixtures.result.MixtureFit")
  P <- predict(fit, type = "prob")
  expect_identical(colnames(P), as.character(1:8))
  expect_identical(unname(P), unname(expected))  # exactly Python's memberships
  labels <- predict(fit)
  expect_identical(labels, max.col(expected, ties.method = "first"))  # positions 1..K
  expect_true(all(c("mu[1,1]", "mu[3,2]", "weights[3]") %in% row.names(summary(fit))))
  expect_identical(fit$K, 8L)

  expect_error(bf_save(fit, path), "fit.nc already exists: pass overwrite = TRUE to replace it",
               class = "bayesforge_error")
  again <- file.path(folder, "again.nc")
  bf_save(fit, again)
  expect_identical(predict(bf_load(again), type = "prob"), P)
  expect_error(bf_load(file.path(folder, "missing.nc")), "missing.nc: no such file", class = "bayesforge_error")
  writeLines("x,y", file.path(folder, "table.nc"))
  expect_error(bf_load(file.path(folder, "table.nc")), "table.nc is not a fit saved by BayesForge")
  expect_error(bf_load(3), "file must be a file name", class = "bayesforge_error")
})

test_that("bf_save(m) after m$fit() keeps the draws, warns that the model is not saved; bf_load gives the InferenceData", {
  skip_if_no_core()
  m <- bf(platform = "cpu")
  m$data_on_model <- list(y = c(0.9, 1.1, 1.0))
  m$fit(r_normal_mean(m), num_warmup = 100, num_samples = 100, num_chains = 1, progress_bar = FALSE)
  path <- tempfile("bayesforge-", fileext = ".nc")
  on.exit(unlink(path), add = TRUE)
  expect_warning(bf_save(m, path), "not the model function")
  idata <- bf_load(path)
  expect_s3_class(idata, "arviz.data.inference_data.InferenceData")
  expect_identical(bf_to_r(idata$posterior$mu$values), bf_to_r(m$to_arviz()$posterior$mu$values))
})
