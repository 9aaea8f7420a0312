# Loading: which Python, how many host devices, the delayed handles on the Python core.
#
# Nothing here prints, and nothing starts Python: `.onLoad` only records delayed imports
# (reticulate's `delay_load`), so `library(bayesforge)` is instant and Python starts at the
# first use (normally `bf()`).

# Delayed module handles, filled in by .onLoad (reticulate imports them on first use).
core <- NULL      # the Python package `bayesforge`
helpers <- NULL   # inst/python/_bayesforge_r.py: byte-level array conversion, operators

.onLoad <- function(libname, pkgname) {
  choose_python()
  set_host_devices()
  core <<- reticulate::import("bayesforge", convert = FALSE, delay_load = TRUE)
  helpers <<- reticulate::import_from_path(
    "_bayesforge_r", path = system.file("python", package = pkgname, lib.loc = libname),
    convert = FALSE, delay_load = TRUE
  )
  register_python_methods()
  register_suggested_methods()
}

# RETICULATE_PYTHON wins; else options(bayesforge.python = "/path/to/python") set before
# library(bayesforge); else reticulate's own discovery.
choose_python <- function() {
  if (nzchar(Sys.getenv("RETICULATE_PYTHON")) || python_started()) return(invisible())
  python <- getOption("bayesforge.python")
  if (is.character(python) && length(python) == 1L && file.exists(python)) {
    reticulate::use_python(python, required = TRUE)
  }
  invisible()
}

python_started <- function() reticulate::py_available(initialize = FALSE)

# JAX reads its number of CPU devices once, when it starts: give each default chain a device
# (as the Python core does) unless XLA_FLAGS already says how many, or Python already runs.
set_host_devices <- function() {
  flags <- Sys.getenv("XLA_FLAGS")
  if (python_started() || grepl("--xla_force_host_platform_device_count", flags, fixed = TRUE)) {
    return(invisible())
  }
  count <- getOption("bayesforge.host_devices", max(parallel::detectCores(), 4L, na.rm = TRUE))
  count <- bf_int(count, "option bayesforge.host_devices")
  Sys.setenv(XLA_FLAGS = trimws(paste(flags, sprintf("--xla_force_host_platform_device_count=%d", count))))
  invisible()
}

# Ops and dim() for Python objects, unless this reticulate already has them (1.29 and later
# define the arithmetic operators themselves): detect the feature, never compare versions.
register_python_methods <- function() {
  has <- function(generic) {
    !is.null(utils::getS3method(generic, "python.builtin.object", optional = TRUE,
                                envir = asNamespace("reticulate")))
  }
  ns <- asNamespace("bayesforge")
  if (!has("Ops") && !has("+")) registerS3method("Ops", "python.builtin.object", python_ops, envir = ns)
  if (!has("dim")) registerS3method("dim", "python.builtin.object", python_dim, envir = ns)
  invisible()
}

core_available <- function() {
  tryCatch(
    reticulate::py_module_available("bayesforge") && reticulate::py_module_available("numpyro"),
    error = function(e) FALSE
  )
}

# The Python core, or an R error that says how to point reticulate at it.
py_core <- function(module = NULL) {
  if (!core_available()) {
    config <- tryCatch(reticulate::py_config()$python, error = function(e) conditionMessage(e))
    bf_abort(paste0(
      "the BayesForge Python core (Python package 'bayesforge' with numpyro) is not available ",
      "to reticulate (Python: ", config, "). Set RETICULATE_PYTHON to the project's Python ",
      "(e.g. .venv/bin/python) or options(bayesforge.python = ...) before library(bayesforge)."
    ))
  }
  if (is.null(module)) core else reticulate::import(paste0("bayesforge.", module), convert = FALSE)
}

bf_abort <- function(message, class = NULL) {
  stop(structure(class = c(class, "bayesforge_error", "error", "condition"),
                 list(message = message, call = NULL)))
}
