# Saving a fit to a file and loading it back: bf_save() and bf_load(), through the core's
# fit.save(), m.save() and bayesforge.load() (bayesforge.mixtures.persist). The file is an ArviZ NetCDF
# file, the same whether R or Python wrote it: a fit saved in Python loads in R and the other way.
#
# A mixture fit (m$gmm(), m$dpmm(), the fit chosen by K = "auto") comes back as the same kind of
# fit, with every R method (predict() labels 1..K, summary() names `mu[1,2]`, plot(), loo()): the
# same draws and model give the same memberships. bf_save(m, file) after m$fit(model) saves the
# draws (the InferenceData) but not the model function (a warning says so); bf_load() then
# returns the arviz.InferenceData, a Python object.

bf_save <- function(x, file, overwrite = FALSE) {
  file <- check_file_name(file)
  if (!(is.logical(overwrite) && length(overwrite) == 1L && !is.na(overwrite))) {
    bf_abort("overwrite must be TRUE or FALSE")
  }
  if (!inherits(x, c("bayesforge.mixtures.result.MixtureFit", "bayesforge.forge.BayesForge"))) {
    bf_abort(sprintf("x must be a fit from m$gmm() or m$dpmm(), or a workspace from bf() after m$fit(), got %s",
                     type_name(x)))
  }
  if (file.exists(file) && !overwrite) {
    bf_abort(sprintf("%s already exists: pass overwrite = TRUE to replace it", file))
  }
  call_python(reticulate::py_get_attr(x, "save"), list(path = file, overwrite = overwrite), "bf_save()")
  invisible(file)
}

bf_load <- function(file, m = NULL) {
  file <- check_file_name(file)
  if (!is.null(m)) check_workspace(m)
  if (!file.exists(file)) bf_abort(sprintf("%s: no such file", file))
  call_python(reticulate::py_get_attr(py_core(), "load"), list(path = file, m = m), "bf_load()")
}

check_file_name <- function(file) {
  if (!(is.character(file) && length(file) == 1L && !is.na(file) && nzchar(file))) {
    bf_abort(sprintf("file must be a file name (e.g. \"fit.nc\"), got %s", type_name(file)))
  }
  path.expand(file)
}
