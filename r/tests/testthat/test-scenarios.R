# The shared scenarios (bayesforge/testing/cases), fitted from R and checked by bayesforge.testing: the same
# data, settings, checks and tolerances as pytest and the Julia tests.

test_that("every shared scenario has an R model and passes its checks from R", {
  skip_if_no_core()
  testing <- reticulate::import("bayesforge.testing", convert = FALSE)
  cases <- as.character(unlist(reticulate::py_to_r(testing$list_cases())))
  expect_true(all(c("normal_mean", "linear_regression", "gmm_seed_small") %in% cases))
  for (name in cases) {
    expect_true(name %in% names(scenario_models), label = sprintf("scenario '%s' has an R model in helper-bayesforge.R", name))
    case <- testing$load_case(name)
    m <- bf(platform = "cpu")
    model <- scenario_models[[name]](m)
    expect_identical(names(formals(model)), as.character(unlist(reticulate::py_to_r(case$argument_names))))
    case$fit(m, bf_model(model, name = name))
    report <- case$check(m)  # an R error listing every failed check when one fails
    expect_true(reticulate::py_to_r(report$passed), label = sprintf("scenario '%s' passed", name))
    checks <- bf_to_r(report$to_dict())$checks
    expect_identical(length(checks), 3L + reticulate::py_len(case$checks))
  }
})
