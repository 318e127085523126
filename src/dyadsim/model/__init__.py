"""Layer 1, the model itself: the mechanism graph and its time constants, the state table, the
parameter set, the population of dyads at enrolment, the measurement instruments and the mechanism
modules (one file per mechanism, in ``modules/``). Imports only :mod:`dyadsim.core`."""
