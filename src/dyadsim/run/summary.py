"""The summary outcomes: each a label and a function of the per-dyad outcomes table, with the
direction in which the outcome is better (read by the forest plot and the trial tables)."""
from __future__ import annotations

import re
from typing import Callable

import pandas as pd

from dyadsim.model.states import WELLBEING_DOMAINS


# Summary outcomes: (label, function of the outcomes table returning per-dyad values).
def _m(df: pd.DataFrame, name: str, month: int) -> pd.Series:
    return df[f"{name}_m{month:02d}"]


SUMMARY: tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...] = (
    ("Days of opioid use in pregnancy (after enrolment)", lambda d: d["use_days_pregnancy"]),
    ("Days of opioid use, postpartum year", lambda d: d["use_days_pp_year"]),
    ("Any use in postpartum year (share)", lambda d: (d["use_days_pp_year"] > 0).astype(float)),
    ("Return to use by 6 months postpartum (share)", lambda d: (d["first_pp_use_day"] < 183).astype(float)),
    ("On MOUD at delivery (share)", lambda d: d["moud_at_delivery"].astype(float)),
    ("MOUD continued 12 months, of those on MOUD at delivery (share)",
     lambda d: d.loc[d["moud_at_delivery"] == 1, "moud_stop_pp_day"].isna().astype(float)),
    ("Non-fatal overdose, postpartum year (per 100 mothers)", lambda d: 100.0 * d["od_nonfatal_pp_year"]),
    ("Maternal death from overdose (per 1,000)", lambda d: 1000.0 * d["maternal_death"]),
    ("Preterm birth (share)", lambda d: d["preterm"].astype(float)),
    ("NOWS pharmacotherapy (share of infants)", lambda d: d["nows_pharm"].astype(float)),
    ("Infant length of stay (days)", lambda d: d["nows_los"]),
    ("CPS report (share)", lambda d: d["cps_report"].astype(float)),
    ("Removal from mother's care (share)", lambda d: d["cps_removal"].astype(float)),
    ("Craving at 12 months (0-10)", lambda d: _m(d, "craving_nrs_obs", 12)),
    ("Perceived stress at 12 months (PSS-10)", lambda d: _m(d, "pss10_obs", 12)),
    ("Parenting stress at 12 months (PSI-SF)", lambda d: _m(d, "psi_sf_obs", 12)),
    ("Depressive symptoms at 12 months (EPDS >= 13, share)", lambda d: (_m(d, "epds_obs", 12) >= 13).astype(float)
     .where(_m(d, "epds_obs", 12).notna())),
    ("Salience of infant cues at 6 months (0-1)", lambda d: _m(d, "salience", 6)),
    ("Parenting sensitivity at 12 months (0-1)", lambda d: _m(d, "parenting", 12)),
    ("Bonding at 12 months (0-1)", lambda d: _m(d, "bonding", 12)),
    ("Attachment secure (share)", lambda d: (d["attachment"] == "secure").astype(float)),
    ("Attachment avoidant (share)", lambda d: (d["attachment"] == "avoidant").astype(float)),
    ("Attachment resistant (share)", lambda d: (d["attachment"] == "resistant").astype(float)),
    ("Attachment disorganized (share)", lambda d: (d["attachment"] == "disorganized").astype(float)),
    ("Attachment security score (logit)", lambda d: d["attachment_security"]),
    ("Attachment disorganization score (logit)", lambda d: d["attachment_disorganization"]),
    *((f"Well-being: {dom}", lambda d, dom=dom: d[f"wb_{dom}"]) for dom in WELLBEING_DOMAINS),
)


LOWER_IS_BETTER: frozenset[str] = frozenset({
    "Days of opioid use in pregnancy (after enrolment)", "Days of opioid use, postpartum year",
    "Any use in postpartum year (share)", "Return to use by 6 months postpartum (share)",
    "Non-fatal overdose, postpartum year (per 100 mothers)", "Maternal death from overdose (per 1,000)",
    "Preterm birth (share)", "NOWS pharmacotherapy (share of infants)", "Infant length of stay (days)",
    "CPS report (share)", "Removal from mother's care (share)", "Craving at 12 months (0-10)",
    "Perceived stress at 12 months (PSS-10)", "Parenting stress at 12 months (PSI-SF)",
    "Depressive symptoms at 12 months (EPDS >= 13, share)", "Attachment disorganized (share)",
    "Attachment disorganization score (logit)",
})
"""Summary outcomes for which less is better for mother or child (use, harm, stress, disorganization)."""
NO_DIRECTION: frozenset[str] = frozenset({"Attachment avoidant (share)", "Attachment resistant (share)"})
"""Summary outcomes with no better direction: an organized insecure pattern is neither a gain nor a
loss against secure or disorganized attachment on its own (it depends on where the shift comes from)."""


def better_sign(label: str) -> int:
    """+1 when more of the outcome is better, -1 when less is, 0 when neither (see
    :data:`LOWER_IS_BETTER`, :data:`NO_DIRECTION`). Every other summary outcome (MOUD, parenting,
    bonding, secure attachment, well-being) and every restricted mean time to an event (later is
    better: first use, MOUD discontinuation, removal) is better when larger."""
    if label in NO_DIRECTION:
        return 0
    return -1 if label in LOWER_IS_BETTER else 1


def is_share(label: str) -> bool:
    """Whether a summary outcome is a share (a proportion in [0, 1]): its label says so."""
    return re.search(r"\bshare\b", label) is not None
