"""Choosing the number of clusters of a Gaussian mixture: fit K = 1..10, compare PSIS-LOO, WAIC and BIC.

Run: python examples/python/gmm_choose_k.py   (about 3 minutes on 2 cores; writes k_selection.png, gmm_k.png)
"""
import pandas as pd

from bayesforge import bf
from bayesforge.mixtures.gmm import seed_data

m = bf()  # before anything starts JAX: one host device per chain
data, true_labels = seed_data(500)  # the documentation page's 8 blobs

selection = m.choose_k(data, ks=range(1, 11), criterion="loo", num_warmup=300, num_samples=300, num_chains=4)
with pd.option_context("display.width", 200, "display.max_columns", 20):
    print(selection.table[["elpd_loo", "se_loo", "dse_loo", "elpd_waic", "bic", "max_r_hat"]].round(1))
print(f"selected K = {selection.selected_k} by {selection.criterion} "
      "(the smallest K within one standard error of the best elpd)")
selection.plot(path="k_selection.png")

best = selection.best  # also m's last fit: m.summary() shows it
print(best.summary())
print(best.predict_proba()[:5].round(3))  # each point's probability of each cluster
best.plot(path="gmm_k.png")
