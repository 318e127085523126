"""Individual differences in mechanisms: each mother's latent random effects.

Covariates (ACEs, support, diagnoses ...) explain only part of why mothers differ; the rest lies
in how strongly each mechanism works in her. Each random effect is a standard-normal z drawn once
per dyad before day 0 (by :mod:`dyadsim.model.population`, from its own named stream
``individual.<name>``, so common random numbers hold) and stored as state ``re_<name>``; the
module that owns the mechanism scales it by a standard deviation declared here, on the scale
stated (logit or log). A standard deviation of 0 switches individual differences off exactly.

* ``stress``: stress reactivity (logit of negative appraisal; :mod:`appraisal`).
* ``reward``: reward sensitivity (logit of reward dysregulation; :mod:`reward`).
* ``cue``: cue reactivity (log multiplier on the craving response to a cue; :mod:`use_cycle`).
* ``self_control``: executive self-control capacity (shift of its ceiling; :mod:`use_cycle`).
* ``affect``: trait negative affectivity, the person's own set point of negative affect (logit of
  its target; :mod:`appraisal`): affect relaxes toward it once stressors pass.
* ``use``: how much she has been using in the weeks before enrolment (logit of the share of days
  with use; :mod:`use_cycle`): mothers enter with OUD at every stage, from occasional to daily use.

Baseline parenting sensitivity differs between mothers too: that random effect is the mother's
caregiving disposition, drawn and scaled in :mod:`parenting` (``parenting.disposition_sd``).

Sources: individual differences in stress reactivity, reward and cue reactivity and self-control
as vulnerability factors (seed 000 §Allostatic Load ...; Grasman et al. 2016, individual
parameters of the vulnerability model); the sizes are *assumed* priors for calibration.
"""
from __future__ import annotations

from dyadsim.core.registry import Param, declare_params

RANDOM_EFFECTS: tuple[str, ...] = ("stress", "reward", "cue", "self_control", "affect", "use")
"""Names of the random effects; states ``re_<name>``, parameters ``individual.sd_<name>``."""

P = declare_params("individual", (
    Param("sd_stress", 0.5, "logit SD", 0.0, 1.5, "assumed", "SD of stress reactivity between mothers"),
    Param("sd_reward", 0.5, "logit SD", 0.0, 1.5, "assumed", "SD of reward sensitivity between mothers"),
    Param("sd_cue", 0.4, "log SD", 0.0, 1.0, "assumed", "SD of cue reactivity between mothers"),
    Param("sd_self_control", 0.08, "0-1 SD", 0.0, 0.2, "assumed", "SD of the self-control ceiling between mothers"),
    Param("sd_affect", 0.5, "logit SD", 0.0, 1.5,
          "assumed (stable trait differences in negative affectivity; Watson & Clark 1984)",
          "SD of the negative-affect set point between mothers"),
    Param("sd_use", 1.0, "logit SD", 0.0, 2.5,
          "assumed (use before treatment ranges from occasional to daily among pregnant women with OUD; a lasting "
          "shift of the daily log-odds, amplified by the use cycle's own feedback)",
          "SD of a mother's own propensity to use (daily log-odds of use) between mothers"),
))

