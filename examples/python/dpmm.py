"""A Dirichlet-process mixture: the number of clusters inferred, not chosen.

Truncated stick-breaking with T = 20 components; the posterior of the number of occupied clusters
comes from assigning the points under each posterior draw.
Run: python examples/python/dpmm.py   (about 1–2 minutes on 2 cores; writes dpmm.png)
"""
import numpy as np
from sklearn.metrics import adjusted_rand_score

from bayesforge import bf
from bayesforge.mixtures.gmm import seed_data

m = bf()
data, true_labels = seed_data(500)

fit = m.dpmm(data, T=20, num_warmup=500, num_samples=500, num_chains=4)
print(fit.summary(var_names=["alpha", "weights"]))
counts = np.bincount(fit.occupied_clusters())
print("posterior of the number of clusters:",
      {k: round(float(c / counts.sum()), 3) for k, c in enumerate(counts) if c})
print(f"adjusted Rand index against the true labels: {adjusted_rand_score(true_labels, fit.predict()):.3f}")
fit.plot(path="dpmm.png")
