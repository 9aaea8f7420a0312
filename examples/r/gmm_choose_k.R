# How many kinds of eruption does Old Faithful have? Fit K = 1..5 Gaussian mixtures to R's
# built-in `faithful` and let PSIS-LOO choose: 5 fits of 4 chains x (500 warmup + 500 draws),
# about 2.5-3.5 minutes on 2 shared CPU cores.
#
#   R CMD INSTALL r
#   RETICULATE_PYTHON=.venv/bin/python Rscript examples/r/gmm_choose_k.R [k_selection.png]
#
# The data are standardised so the library GMM's priors (means near the k-means centroids,
# scales ~ HalfCauchy(1)) suit both columns. LOO selects the smallest K within one standard
# error of the best elpd (K = 3 in our run: short eruptions, long ones, a small group between;
# BIC prefers K = 2). The core's warnings arrive as R warnings: divergent transitions, and any K
# left out of the choice because its chains did not converge (max r-hat > 1.1).
library(bayesforge)

m <- bf()
scaled <- scale(faithful)                       # keeps the column names: eruptions, waiting

selection <- m$choose_k(scaled, ks = 1:5, num_warmup = 500, num_samples = 500, num_chains = 4)
print(selection)                                # the K table and the selected K

fit <- selection$best                           # also m's last fit: summary(m) shows it
print(fit)                                      # components: weight and mean of each
print(summary(fit, var_names = c("weights", "mu")))  # rows weights[1], mu[1,eruptions], ...
print(head(round(predict(fit, type = "prob"), 3)))   # each eruption's probability of each cluster
print(table(cluster = predict(fit)))            # 1-based cluster labels (column of the probabilities)

if (requireNamespace("loo", quietly = TRUE)) {  # the loo package's comparison of every K
  fits <- selection$fits
  print(loo::loo_compare(stats::setNames(lapply(fits, loo::loo), paste0("K=", names(fits)))))
}

out <- commandArgs(trailingOnly = TRUE)
path <- if (length(out)) out[[1]] else "k_selection.png"
plot(selection, file = path)
plot(fit, file = sub("\\.png$", "_gmm.png", path))
cat("figures:", path, sub("\\.png$", "_gmm.png", path), "\n")
