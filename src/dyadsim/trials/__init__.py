"""In-silico randomized trials: design files, simulated trials analysed as published, power and mediation.

* :mod:`.analysis` -- the analysis models of a trial (intention to treat; linear, logistic, count,
  survival and GEE models; missing data by multiple imputation or inverse-probability weighting;
  multiplicity adjustment).
* :mod:`.mediation` -- joint significance and product-of-coefficients tests with percentile
  bootstrap, single and serial mediators.
* :mod:`.design` -- the trial file; :mod:`.simulate` -- one simulated trial; :mod:`.power` -- Monte
  Carlo power curves.
"""
