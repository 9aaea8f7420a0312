# An R function as a NumPyro model.

bf_model <- function(fn, name = NULL) {
  if (is_py(fn)) {
    if (!py_callable(fn)) bf_abort(sprintf("model must be a function, got %s", type_name(fn)))
    return(fn)
  }
  if (!is.function(fn)) {
    bf_abort(sprintf("model must be an R function (e.g. function(data, K) { ... }), got %s", type_name(fn)))
  }
  args <- names(formals(fn))
  if (is.primitive(fn) || "..." %in% args) {
    bf_abort("model must be an R function with named arguments (no '...'): m$fit matches m$data_on_model to them")
  }
  if (is.null(name)) name <- "model"
  if (!is.character(name) || length(name) != 1L || !nzchar(name)) bf_abort("name must be a single string")
  # Python calls this positionally with its values unconverted (JAX tracers stay tracers). What
  # the model returns goes back to Python when it is a Python object; R values are dropped
  # (NumPyro does not use a model's return value to sample).
  traced <- function(...) {
    value <- fn(...)
    if (is_py(value)) value else NULL
  }
  py_name <- if (grepl("^[A-Za-z_][A-Za-z0-9_]*$", name)) name else "model"
  py_core("interop")$model(reticulate::r_to_py(traced, convert = FALSE), as.list(args), name = py_name)
}
