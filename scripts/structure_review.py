"""Measure the structural behaviours the model is reviewed on (usual care, 36 months).

Prints one line per figure, ``name=value``, so two versions of the model can be compared side by
side. The figures are those of the structure review: heavy use (>= 20 use days in a month) and its
end, use in untreated pregnancies and the NOWS that comes from it, negative affect across birth,
the sources of disorganized attachment, the medicine's effect on NOWS, synchrony at its floor, and
what the craving and home-practice pathways contribute.

Usage: python scripts/structure_review.py [--dyads N] [--seed S]
"""
from __future__ import annotations

import argparse

import numpy as np

from dyadsim.config import examples
from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population
from dyadsim.core.yamlsafe import parse_yaml
from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput, simulate
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.model.states import S

HEAVY = 20  # use days in a month
DISORGANIZED = 3.0  # attachment class code


def scenario(name: str) -> tuple[ParamSet, PopulationSpec]:
    scn = parse_scenario(parse_yaml(examples.text(name), name), name)
    return scenario_params(scn, name), scenario_population(scn, name)


def run(name: str, n: int, seed: int, months: int = 36, **changes: float | bool) -> SimOutput:
    ps, spec = scenario(name)
    ps.set("pregnancy.horizon_days", min(months * 30.4375 + 1.0, 1096.0))
    for k, v in changes.items():
        ps.set(k, v)
    return simulate(ps, n, seed, spec)


def m(o: SimOutput, name: str) -> np.ndarray:
    return o.monthly[:, layout.M[name]].astype(np.float64)


def per_day(o: SimOutput, name: str) -> np.ndarray:
    return m(o, name) / np.maximum(m(o, "alive_days"), 1.0)


def heavy_use(o: SimOutput) -> dict[str, float]:
    use, alive = m(o, "use_days"), m(o, "alive_days")
    full = alive >= 28
    heavy = full & (use >= HEAVY)
    pairs = heavy[:, 12:35] & full[:, 13:36]
    to_low = (use[:, 13:36] <= 1) & pairs
    h12 = heavy[:, 11]
    remit = ((use[:, 12:24] <= 1) & full[:, 12:24]).any(axis=1)
    return {
        "heavy_share_m12": float(heavy[:, 11].sum() / full[:, 11].sum()),
        "heavy_share_m24": float(heavy[:, 23].sum() / full[:, 23].sum()),
        "heavy_share_m36": float(heavy[:, 35].sum() / full[:, 35].sum()),
        "heavy_to_le1_next_month": float(to_low.sum() / max(pairs.sum(), 1)),
        "heavy_m12_remission_m13_24": float(remit[h12].mean()) if h12.any() else float("nan"),
    }


def untreated_pregnancy(o: SimOutput, o_off: SimOutput) -> dict[str, float]:
    untreated = o.final[:, S.prenatal_moud_days] == 0
    q = layout.Q
    use = o.pregnancy[:, q["use_days"], :].sum(axis=1)
    od = o.pregnancy[:, q["od_nonfatal"], :].sum(axis=1) + o.pregnancy[:, q["od_fatal"], :].sum(axis=1)
    born = o.final[:, S.born] > 0.5
    pharm = o.final[:, S.nows_pharm]
    pharm_off = o_off.final[:, S.nows_pharm]
    sel = untreated & born
    return {
        "untreated_share": float(untreated.mean()),
        "untreated_pregnancy_use_days": float(use[untreated].mean()),
        "untreated_pregnancy_od_per_100": float(100 * od[untreated].mean()),
        "untreated_nows_pharm": float(pharm[sel].mean()),
        "untreated_nows_pharm_use_nows_off": float(pharm_off[sel].mean()),
    }


def affect(o: SimOutput) -> dict[str, float]:
    q = layout.Q
    preg = o.pregnancy[:, q["neg_affect"], :] / np.maximum(o.pregnancy[:, q["alive_days"], :], 1.0)
    na = per_day(o, "neg_affect")
    out = {"neg_affect_trimester3": float(np.nanmean(preg[:, 2][o.pregnancy[:, q["alive_days"], 2] > 0]))}
    for month in (1, 3, 6, 12, 24, 36):
        alive = m(o, "alive_days")[:, month - 1] > 0
        out[f"neg_affect_m{month}"] = float(na[alive, month - 1].mean())
    return out


def attachment(o: SimOutput) -> dict[str, float]:
    cls = o.final[:, S.attachment]
    ok = cls >= 0
    use = o.final[ok, S.pp_use_days].astype(np.float64)
    dis = o.final[ok, S.att_disorganization].astype(np.float64)
    top = use >= np.quantile(use, 0.9)
    is_dis = cls[ok] == DISORGANIZED
    return {
        "r_pp_use_disorganization_score": float(np.corrcoef(use, dis)[0, 1]),
        "r_pp_use_disorganized_class": float(np.corrcoef(use, is_dis)[0, 1]),
        "disorganized_share": float(is_dis.mean()),
        "disorganized_share_top_decile_use": float(is_dis[top].mean()),
        "secure_share": float((cls[ok] == 0).mean()),
    }


def medicine(o: SimOutput) -> dict[str, float]:
    f = o.final
    out: dict[str, float] = {}
    on = f[:, S.moud_at_delivery] > 0.5
    for code, name in ((1.0, "methadone"), (2.0, "buprenorphine")):
        sel = on & (f[:, S.moud_current_type] == code) & (f[:, S.nows_pharm] > 0.5)
        out[f"nows_treatment_days_{name}"] = float(f[sel, S.nows_pharm_days].mean())
        out[f"nows_stay_days_{name}"] = float(f[sel, S.los].mean())
    out["treatment_days_ratio_meth_bup"] = out["nows_treatment_days_methadone"] / out["nows_treatment_days_buprenorphine"]
    out["stay_ratio_meth_bup"] = out["nows_stay_days_methadone"] / out["nows_stay_days_buprenorphine"]
    return out


def synchrony(o: SimOutput) -> dict[str, float]:
    sync = per_day(o, "synchrony")[:, 11]
    alive = m(o, "alive_days")[:, 11] > 0
    return {"synchrony_m12_mean": float(sync[alive].mean()),
            "synchrony_m12_at_floor": float((sync[alive] <= 0.01).mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dyads", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=21)
    a = ap.parse_args()
    n, seed = a.dyads, a.seed
    base = run("usual_care", n, seed)
    figures: dict[str, float] = {}
    figures.update(heavy_use(base))
    figures.update(untreated_pregnancy(base, run("usual_care", n, seed, 12, **{"links.use_nows.enabled": False})))
    figures.update(affect(base))
    figures.update(attachment(base))
    figures.update(medicine(base))
    figures.update(synchrony(base))
    year = m(base, "use_days")[:, :12].sum(axis=1).mean()
    off = run("usual_care", n, seed, 12, **{"links.neg_affect_craving.enabled": False})
    figures["use_share_neg_affect_craving_off"] = float(m(off, "use_days")[:, :12].sum(axis=1).mean() / year)
    uc12 = m(run("usual_care", n, seed, 12), "use_days")[:, :12].sum(axis=1).mean()
    more = m(run("more_prenatal", n, seed, 12), "use_days")[:, :12].sum(axis=1).mean()
    no_practice = m(run("more_prenatal", n, seed, 12, **{"programs.more_practice": 0.0,
                                                           "programs.more_practice_after": 0.0}),
                    "use_days")[:, :12].sum(axis=1).mean()
    figures["more_effect_without_practice_share"] = float((uc12 - no_practice) / (uc12 - more))
    for k, v in figures.items():
        print(f"{k}={v:.4f}")


if __name__ == "__main__":
    main()
