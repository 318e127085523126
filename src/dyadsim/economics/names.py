"""The names the accounting produces: resource-use quantities (what a unit cost multiplies), the
health-state years (what a utility weights) and the undiscounted outcomes reported per 1,000 births.
Computed by :func:`dyadsim.economics.accounting.quantities`; checked against by the inputs file's
schema (:mod:`dyadsim.economics.inputs`)."""
from __future__ import annotations

QUANTITIES: dict[str, str] = {
    "infant_routine_stays": "birth stays of infants without withdrawal signs (1 each)",
    "nows_days_nicu": "days of the birth stay of infants with NOWS in the NICU",
    "nows_days_rooming_in": "days of the birth stay of infants with NOWS rooming in",
    "nows_days_esc": "days of the birth stay of infants with NOWS under Eat, Sleep, Console",
    "nows_pharm_days": "days of NOWS pharmacotherapy",
    "preterm_births": "births before 37 weeks",
    "methadone_weeks": "weeks on MOUD of mothers whose MOUD is methadone",
    "buprenorphine_weeks": "weeks on MOUD of mothers whose MOUD is buprenorphine",
    "overdoses_nonfatal": "non-fatal overdoses",
    "overdoses_fatal": "fatal overdoses",
    "facilitator_hours": "facilitator hours of group sessions, per mother attending (hours x facilitators / group size)",
    "sessions_attended": "programme sessions attended",
    "home_visiting_years": "years of home visiting of eligible families (with the support on)",
    "peer_support_months": "months alive with a peer recovery support specialist (with the support on)",
    "housing_months": "months alive of mothers housed by transitional housing",
    "births_with_training": "births where providers were trained (with the support on)",
    "mothers_screened": "mothers screened for depression and anxiety (with the support on)",
    "mothers_mh_treated": "mothers detected and treated for depression or anxiety",
    "mothers_pp_moud_support": "mothers on MOUD at delivery given postpartum continuation support",
    "cps_reports": "reports to child protective services",
    "placement_days": "days the infant spent apart after a removal (out-of-home placement)",
    "keep_together_families": "families reported to CPS under a keep-together policy",
    "use_days": "days of opioid use",
    "days_after_death": "days of follow-up after the mother's death",
    "patient_hours": "the mother's hours in sessions, MOUD visits and travel",
}
"""Resource use a unit cost can multiply (``quantity:`` of each cost in the inputs file)."""

HEALTH: dict[str, str] = {
    "mother_use_years": "years alive using opioids",
    "mother_moud_years": "years alive on MOUD without use",
    "mother_abstinent_years": "years alive neither using nor on MOUD",
    "mother_depression_years": "years alive weighted by the latent depressive-symptom state (0-1)",
    "infant_healthy_years": "infant years out of the birth stay with NOWS",
    "infant_nows_years": "infant years in the birth stay with NOWS",
}
"""Discounted years in each health state, the quantities the utilities weight."""

COUNTS: dict[str, str] = {
    "mother_life_years": "mother's life-years (undiscounted; with extrapolation, its years too)",
    "infant_life_years": "infant's life-years (undiscounted; with extrapolation, its years too)",
    "overdose_deaths": "mothers dead of overdose",
    "overdoses": "non-fatal overdoses",
    "nows_days": "days of the birth stay of infants with withdrawal signs",
    "removals": "infants removed from the mother's care",
    "secure_attachments": "infants securely attached at 12 months",
    "cps_report_count": "reports to child protective services",
}
"""Undiscounted outcomes reported per 1,000 births."""
