"""Gaussian mixtures: the library models (``m.gmm``, ``m.choose_k``, ``m.dpmm``) and what any model observing a
Gaussian mixture gets (k-means start, relabelling, memberships, figures).

One concern per module:

* reading a mixture out of a model: :mod:`.draws` (weights, means, covariances per draw),
  :mod:`.memberships` (p(z_i = k | x_i), occupied clusters), :mod:`.predictive` (densities, new points),
  :mod:`.imputation` (missing cells filled in);
* fit steps any model gets: :mod:`.start` (chains started at k-means), :mod:`.relabel` (label switching);
* the library models: :mod:`.model` (what a library model owns: its NumPyro model, start, parameter count),
  :mod:`.data` (the data checked once), :mod:`.priors` (priors in the columns' units),
  :mod:`.weights` (row weights), :mod:`.gmm`, :mod:`.dpmm`, :mod:`.fitting` (NUTS or VI, the
  :class:`~bayesforge.mixtures.result.MixtureFit`), :mod:`.result`, :mod:`.selection` (choosing K),
  :mod:`.persist` (``fit.save``, ``bayesforge.load``), :mod:`.figures`.

The generic fit (:mod:`bayesforge.fit`, :mod:`bayesforge.posterior`, :mod:`bayesforge.inference`) imports
nothing from here; the workspace (:mod:`bayesforge.forge`) and the front ends do.
"""
