# bf(), the workspace it returns and the few places where its methods need R conversion.
#
# `m` is the Python BayesForge object itself (reticulate, convert = FALSE). `$` on it reaches
# Python as usual; the methods below only convert what crosses the language boundary: model
# functions, data and arrays in, tables and draws out.

bf <- function(platform = NULL, cores = NULL, x64 = FALSE) {
  if (!is.null(platform) && !(is.character(platform) && length(platform) == 1L)) {
    bf_abort(sprintf("platform must be NULL or one of \"cpu\", \"gpu\", \"tpu\", got %s", type_name(platform)))
  }
  if (!is.null(cores)) cores <- bf_int(cores, "cores")
  if (!(is.logical(x64) && length(x64) == 1L && !is.na(x64))) bf_abort("x64 must be TRUE or FALSE")
  py_core()$bf(platform = platform, cores = cores, x64 = x64)
}

bf_jnp <- function() {
  py_core()
  reticulate::import("jax.numpy", convert = FALSE)
}

# Call a Python callable with R arguments converted (arrays as bytes, lists as dicts/lists).
call_py <- function(fn, ..., .where = "argument") {
  args <- list(...)
  keys <- names(args)
  args <- lapply(seq_along(args), function(i) {
    label <- if (!is.null(keys) && nzchar(keys[[i]])) keys[[i]] else sprintf("%s %d", .where, i)
    to_py(args[[i]], whole_as_int = FALSE, where = label)
  })
  names(args) <- keys
  do.call(reticulate::py_call, c(list(fn), args))
}

# Counts that Python wants as ints; R users write them as doubles.
integer_arguments <- c("num_warmup", "num_samples", "num_chains", "seed", "thinning", "max_tree_depth",
                       "n_clusters", "random_state", "round_to", "max_draws", "batch_size")

coerce_counts <- function(args) {
  for (key in intersect(names(args), integer_arguments)) {
    if (!is.null(args[[key]]) && !is_py(args[[key]])) args[[key]] <- bf_int(args[[key]], key)
  }
  args
}

named_arguments <- function(args, what) {
  keys <- names(args)
  if (length(args) && (is.null(keys) || any(!nzchar(keys)))) {
    bf_abort(sprintf("%s: arguments after the first must be named (e.g. num_samples = 500)", what))
  }
  args
}

`$.bayesforge.forge.BayesForge` <- function(x, name) {
  switch(
    name,
    fit = function(model, ...) {
      expression <- substitute(model)
      workspace_fit(x, model, list(...), if (is.name(expression)) as.character(expression) else "model")
    },
    summary = function(...) {
      args <- coerce_counts(named_arguments(list(...), "m$summary()"))
      bf_to_r(do.call(call_py, c(list(reticulate::py_get_attr(x, "summary")), args)))
    },
    plot = function(X, ...) {
      args <- named_arguments(list(...), "m$plot()")
      invisible(do.call(call_py, c(list(reticulate::py_get_attr(x, "plot"), X = X), args)))
    },
    gmm = function(data, K = 8, ...) mixture_method(x, "gmm", data, c(list(K = K), list(...))),
    dpmm = function(data, T = 20, ...) mixture_method(x, "dpmm", data, c(list(T = T), list(...))),
    choose_k = function(data, ks = 1:10, ...) mixture_method(x, "choose_k", data, c(list(ks = ks), list(...))),
    posteriors = bf_to_r(reticulate::py_get_attr(x, "posteriors")),
    data_on_model = bf_to_r(reticulate::py_get_attr(x, "data_on_model")),
    NextMethod()
  )
}

`$<-.bayesforge.forge.BayesForge` <- function(x, name, value) {
  if (!identical(name, "data_on_model")) return(NextMethod())
  reticulate::py_set_attr(x, "data_on_model", data_to_py(value))
  x
}

data_to_py <- function(value) {
  if (is_py(value)) return(value)
  if (!is.list(value) || is.data.frame(value)) {
    bf_abort(sprintf(paste0("data_on_model must be a named list of the model's arguments ",
                            "(e.g. list(data = X, K = 8)), got %s"), type_name(value)))
  }
  keys <- names(value)
  if (length(value) && (is.null(keys) || any(is.na(keys) | !nzchar(keys)))) {
    bf_abort("data_on_model must be a named list: every element needs the name of a model argument")
  }
  if (anyDuplicated(keys)) {
    bf_abort(sprintf("data_on_model has the name '%s' twice", keys[anyDuplicated(keys)]))
  }
  if (!length(value)) return(reticulate::py_dict(list(), list(), convert = FALSE))
  items <- lapply(keys, function(key) to_py(value[[key]], whole_as_int = TRUE, where = paste0("data_on_model$", key)))
  reticulate::py_dict(keys, items, convert = FALSE)
}

workspace_fit <- function(m, model, args, label) {
  args <- coerce_counts(named_arguments(args, "m$fit()"))
  name <- if (grepl("^[A-Za-z_.][A-Za-z0-9_.]*$", label)) gsub(".", "_", label, fixed = TRUE) else "model"
  model <- bf_model(model, name = name)
  do.call(call_py, c(list(reticulate::py_get_attr(m, "fit"), model), args))
  invisible(m)
}

`$.bayesforge.ml.MachineLearning` <- function(x, name) {
  switch(
    name,
    KMEANS = function(data, n_clusters, ...) {
      args <- coerce_counts(c(list(n_clusters = n_clusters), named_arguments(list(...), "m$ml$KMEANS()")))
      bf_to_r(do.call(call_py, c(list(reticulate::py_get_attr(x, "KMEANS"), data), args)))
    },
    results = bf_to_r(reticulate::py_get_attr(x, "results")),
    NextMethod()
  )
}

`$.bayesforge.dist.Distributions` <- function(x, name) {
  target <- reticulate::py_get_attr(x, name)
  if (!py_callable(target)) return(target)
  function(...) call_py(target, ...)
}

bf_membership <- function(m, X, max_draws = 400, batch_size = 10000) {
  check_workspace(m)
  max_draws <- bf_int(max_draws, "max_draws")
  batch_size <- bf_int(batch_size, "batch_size")
  mixture <- py_core("mixture")
  posterior <- reticulate::py_get_attr(m, "posterior")
  samples <- reticulate::py_get_attr(posterior, "draws")  # relabelled: one labelling across chains
  points <- to_py(X, whole_as_int = FALSE, where = "X")
  # on the fit's devices and precision, as the core computes memberships
  context <- reticulate::py_call(reticulate::py_get_attr(reticulate::py_get_attr(posterior, "devices"), "context"))
  memberships <- NULL
  with(context, {
    draws <- mixture$gaussian_mixture_draws(
      reticulate::py_get_attr(posterior, "model"), reticulate::py_get_attr(posterior, "model_kwargs"),
      samples, max_draws = max_draws
    )
    memberships <- mixture$membership_probabilities(draws, points, batch_size = batch_size)
  })
  bf_to_r(memberships)
}

bf_draws <- function(m) {
  check_workspace(m)
  sampler <- reticulate::py_get_attr(m, "sampler")
  grouped <- bf_to_r(reticulate::py_call(reticulate::py_get_attr(sampler, "get_samples"), group_by_chain = TRUE))
  if (!length(grouped)) return(data.frame())
  first <- grouped[[1L]]
  chains <- dim(first)[1L]
  iterations <- dim(first)[2L]
  columns <- list(.chain = rep(seq_len(chains), times = iterations),
                  .iteration = rep(seq_len(iterations), each = chains))
  for (site in names(grouped)) {
    value <- grouped[[site]]
    dims <- dim(value)
    if (is.null(dims)) dims <- c(chains, iterations)
    inner <- dims[-(1:2)]
    flat <- matrix(value, nrow = chains * iterations)
    if (!length(inner)) {
      columns[[site]] <- flat[, 1L]
    } else {
      index <- as.matrix(expand.grid(lapply(inner, seq_len)))
      labels <- sprintf("%s[%s]", site, apply(index, 1L, paste, collapse = ","))
      for (j in seq_along(labels)) columns[[labels[[j]]]] <- flat[, j]
    }
  }
  frame <- as.data.frame(columns, optional = TRUE)
  names(frame) <- names(columns)
  frame <- frame[order(frame$.chain, frame$.iteration), , drop = FALSE]
  row.names(frame) <- NULL
  frame
}

check_workspace <- function(m) {
  if (!inherits(m, "bayesforge.forge.BayesForge")) {
    bf_abort(sprintf("m must be a BayesForge workspace from bf(), got %s", type_name(m)))
  }
  invisible(m)
}
