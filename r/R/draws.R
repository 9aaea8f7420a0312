# Posterior draws and summaries with R's parameter names.
#
# Parameters are named as Stan, brms and the posterior package name them, counting from 1:
# `weights[1]`, `mu[2,1]`, `Lcorr[1,2,2]`. In a mixture fitted to data with column names, the
# axes of the components' parameters that run over the features carry the names (as brms writes
# `r_subject[308,Intercept]`): `mu[2,eruptions]`, `sigma[1,waiting]`. Draws are the relabelled
# ones (component k is the same cluster in every draw and chain).

# For each site, the labels of each axis of one draw: list(site = list(axis labels, ...)).
parameter_labels <- function(posterior, feature_names = NULL) {
  shapes <- bf_to_r(helpers$draw_shapes(posterior))
  components <- if (length(feature_names)) bf_to_r(helpers$component_axes(posterior)) else list()
  labels <- lapply(names(shapes), function(site) {
    dims <- as.integer(unlist(shapes[[site]]))
    component <- components[[site]]  # 0-based axis of the components, or NULL
    lapply(seq_along(dims), function(axis) {
      named <- !is.null(component) && axis != component + 1L && dims[[axis]] == length(feature_names)
      if (named) feature_names else as.character(seq_len(dims[[axis]]))
    })
  })
  names(labels) <- names(shapes)
  labels
}

# "site[a,b]" for every element of a site, the first index running fastest (as Stan and R).
element_names <- function(site, axes) {
  if (!length(axes)) return(site)
  grid <- expand.grid(axes, KEEP.OUT.ATTRS = FALSE, stringsAsFactors = FALSE)
  sprintf("%s[%s]", site, do.call(paste, c(unname(as.list(grid)), sep = ",")))
}

# The draws as a data.frame: one column per parameter, then .chain, .iteration and .draw (the
# layout of the posterior package's draws_df), chain after chain.
draws_frame <- function(posterior, feature_names = NULL) {
  grouped <- bf_to_r(reticulate::py_call(reticulate::py_get_attr(posterior, "by_chain")))
  labels <- parameter_labels(posterior, feature_names)
  columns <- list()
  chains <- iterations <- NULL
  for (site in names(grouped)) {
    value <- grouped[[site]]
    dims <- dim(value)
    if (is.null(dims)) dims <- c(1L, length(value))
    chains <- dims[[1L]]
    iterations <- dims[[2L]]
    # (chain, iteration, ...) -> rows iteration-within-chain, one column per element
    flat <- matrix(aperm(array(value, dims), c(2L, 1L, seq_along(dims)[-(1:2)])), nrow = chains * iterations)
    colnames(flat) <- element_names(site, labels[[site]])
    columns[[site]] <- flat
  }
  if (!length(columns)) return(data.frame())
  frame <- as.data.frame(do.call(cbind, unname(columns)), optional = TRUE)
  frame$.chain <- rep(seq_len(chains), each = iterations)
  frame$.iteration <- rep(seq_len(iterations), times = chains)
  frame$.draw <- seq_len(chains * iterations)
  frame
}

# ArviZ's summary table with R's parameter names. Its rows give each site's elements in C order
# (the last index fastest), named "mu[0, 1]" or with the core's coordinates ("mu[0, x1]"): the
# k-th row of a site is named from its position, as the draws are ("mu[1,2]", "mu[1,waiting]").
r_parameter_names <- function(rows, labels) {
  sites <- sub("\\[.*$", "", rows)
  out <- rows
  for (site in intersect(unique(sites), names(labels))) {
    at <- which(sites == site)
    axes <- labels[[site]]
    dims <- lengths(axes)
    if (!length(axes) || length(at) != prod(dims)) next
    index <- arrayInd(seq_along(at), rev(dims))[, rev(seq_along(dims)), drop = FALSE]  # C order
    parts <- lapply(seq_along(axes), function(j) axes[[j]][index[, j]])
    out[at] <- sprintf("%s[%s]", site, do.call(paste, c(parts, sep = ",")))
  }
  out
}

renamed_summary <- function(table, posterior, feature_names = NULL) {
  row.names(table) <- r_parameter_names(row.names(table), parameter_labels(posterior, feature_names))
  table
}

# The feature names the core keeps on a fit (NULL when the data had none, or the core predates them).
feature_names <- function(fit) bf_to_r(helpers$attribute(fit, "feature_names"))

fit_posterior <- function(x) reticulate::py_get_attr(x, "posterior")

# summary() of a fit or workspace: Python's table (arguments as Python's summary()), R's names.
summary_table <- function(x, ...) {
  args <- named_arguments(list(...), "summary()")
  table <- bf_to_r(call_python(reticulate::py_get_attr(x, "summary"), args, "summary()"))
  features <- if (inherits(x, "bayesforge.mixtures.result.MixtureFit")) feature_names(x) else NULL
  renamed_summary(table, fit_posterior(x), features)
}
