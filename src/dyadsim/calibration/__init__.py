"""Calibration: a posterior over the parameters that matter, fitted to the published figures of
the targets file (``dyadsim calibrate``).

:mod:`~dyadsim.calibration.evaluations` runs every simulation through one cache;
:mod:`~dyadsim.calibration.stages` holds the settings, the observation scales and screening;
:mod:`~dyadsim.calibration.emulate` the Gaussian-process emulators and implausibility;
:mod:`~dyadsim.calibration.history` the waves of history matching;
:mod:`~dyadsim.calibration.posterior` the sampler; :mod:`~dyadsim.calibration.run` the stages in
order; :mod:`~dyadsim.calibration.report` the fit report.
"""
