"""Interventions against usual care, paired on the same dyads and random numbers.

Each intervention must move the mechanism it targets in the stated direction (tolerance: the
paired mean difference lies beyond 4 standard errors of the paired differences, fixed seeds);
zero dose must equal no intervention exactly; nothing may change before a programme starts;
MORE's components must combine as declared.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dyadsim.model import modules
from dyadsim.cli import main
from dyadsim.engine.run import SimOutput, initial_states, simulate
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.core.registry import STREAMS
from dyadsim.run.results import outcomes_table
from dyadsim.model.states import S

N, SEED = 1500, 21
MORE_PRENATAL = {"programs.more_on": 1.0, "programs.more_start_week": 20.0}
PARENTING_PP = {"start_postpartum": 1.0, "start_week": 2.0}


def _run(settings: dict[str, float], n: int = N, overrides: dict | None = None,
         traj: int = 0) -> tuple[pd.DataFrame, SimOutput]:
    ps = ParamSet()
    for k, v in settings.items():
        ps.set(k, v)
    out = simulate(ps, n, SEED, load_spec(None, overrides), trajectory_sample=traj)
    return outcomes_table(out), out


@pytest.fixture(scope="module")
def usual() -> tuple[pd.DataFrame, SimOutput]:
    return _run({})


def _shift(base: pd.Series, other: pd.Series) -> tuple[float, float]:
    """Paired mean difference (other - base) and its standard error, over dyads defined in both."""
    both = pd.concat([base.astype(float), other.astype(float)], axis=1, keys=["b", "o"]).dropna()
    d = both["o"] - both["b"]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def _programme(g: str, extra: dict[str, float] | None = None, postpartum: bool = False) -> dict[str, float]:
    s = {f"programs.{g}_on": 1.0, f"programs.{g}_start_week": 20.0}
    if postpartum:
        s.update({f"programs.{g}_{k}": v for k, v in PARENTING_PP.items()})
    s.update(extra or {})
    return s


def _more_only(component: str) -> dict[str, float]:
    s = dict(MORE_PRENATAL)
    for c in ("mindfulness", "reappraisal", "savoring"):
        s[f"programs.more_{c}"] = 1.0 if c == component else 0.0
    return s


CASES = [
    # (name, settings, outcome column or final state, direction, row mask)
    ("MORE mindfulness -> craving", _more_only("mindfulness"), "craving_m03", -1, None),
    ("MORE mindfulness -> attentional bias", _more_only("mindfulness"), "state:attentional_bias", -1, None),
    ("MORE reappraisal -> perceived stress", _more_only("reappraisal"), "perceived_stress_m03", -1, None),
    ("MORE reappraisal -> allostatic load", _more_only("reappraisal"), "state:allostatic_load", -1, None),
    ("MORE savoring -> salience of infant cues", _more_only("savoring"), "salience_m03", 1, None),
    ("MORE savoring -> parenting", _more_only("savoring"), "parenting_m03", 1, None),
    ("MORE -> days of use", MORE_PRENATAL, "use_days_pp_year", -1, None),
    ("supportive group -> perceived stress", _programme("sg"), "perceived_stress_m01", -1, None),
    ("mindful parenting -> parenting stress", _programme("mbp", postpartum=True), "parenting_stress_m03", -1, None),
    ("mindful parenting -> parenting quality", _programme("mbp", postpartum=True), "parenting_m03", 1, None),
    ("attachment parenting -> sensitivity", _programme("abc", postpartum=True), "parenting_m04", 1, None),
    ("peer support -> MOUD discontinuation", {"supports.peer_support": 1.0}, "stopped", -1, "moud_at_delivery"),
    ("postpartum MOUD support -> discontinuation", {"supports.moud_pp_support": 1.0}, "stopped", -1, "moud_at_delivery"),
    ("provider training -> MOUD discontinuation", {"supports.provider_training": 1.0}, "stopped", -1, "moud_at_delivery"),
    ("home visiting -> CPS report", {"supports.home_visiting": 1.0}, "cps_report", -1, "hv_eligible"),
    ("home visiting -> parenting", {"supports.home_visiting": 1.0}, "parenting_m03", 1, "hv_eligible"),
    ("transitional housing -> perceived stress", {"supports.transitional_housing": 1.0}, "perceived_stress_m01", -1,
     "housing_unstable"),
    ("screening and referral -> depression", {"supports.mh_screening": 1.0}, "depression_m03", -1, "depression_dx"),
    ("keep together -> removal", {"supports.keep_together": 1.0}, "cps_removal", -1, None),
    ("rooming-in -> NOWS pharmacotherapy", {"nows.rooming_in": 1.0}, "nows_pharm", -1, None),
    ("rooming-in -> length of stay", {"nows.rooming_in": 1.0}, "nows_los", -1, None),
]


def _value(df: pd.DataFrame, out: SimOutput, what: str) -> pd.Series:
    if what == "stopped":
        return df["moud_stop_pp_day"].notna().astype(float)
    if what.startswith("state:"):
        return pd.Series(out.final[:, getattr(S, what[6:])].astype(float), index=df.index)
    return df[what].astype(float)


@pytest.mark.parametrize("name, settings, what, direction, mask", CASES, ids=[c[0] for c in CASES])
def test_intervention_moves_its_target(usual: tuple[pd.DataFrame, SimOutput], name: str, settings: dict,
                                       what: str, direction: int, mask: str | None) -> None:
    base_df, base_out = usual
    df, out = _run(settings)
    keep = np.ones(len(df), dtype=bool) if mask is None else (base_df[mask] == 1).to_numpy()
    diff, se = _shift(_value(base_df, base_out, what)[keep], _value(df, out, what)[keep])
    assert direction * diff > 4 * se, f"{name}: paired difference {diff:.4g} (SE {se:.3g}) not beyond 4 SE"


@pytest.mark.parametrize("settings", [
    {**MORE_PRENATAL, "programs.more_sessions": 0.0},
    {**MORE_PRENATAL, "programs.more_attendance": 0.0},
    {"programs.sg_on": 1.0, "programs.sg_sessions": 0.0, "programs.mbp_on": 1.0, "programs.mbp_attendance": 0.0},
], ids=["no sessions", "no attendance", "groups nobody attends"])
def test_zero_dose_equals_no_intervention(usual: tuple[pd.DataFrame, SimOutput], settings: dict) -> None:
    _, base = usual
    _, out = _run(settings)
    # The day of the first session offered records the offer, not a dose: it is the one state
    # allowed to differ (and only where sessions were offered).
    offer = [S.more_start_day, S.sg_start_day, S.mbp_start_day, S.abc_start_day]
    keep = np.setdiff1d(np.arange(base.final.shape[1]), offer)
    assert np.array_equal(base.final[:, keep], out.final[:, keep])
    assert np.array_equal(base.monthly, out.monthly) and np.array_equal(base.pregnancy, out.pregnancy)
    assert np.array_equal(base.aggregates, out.aggregates)


def test_zero_eligibility_equals_no_intervention() -> None:
    nobody_first = {"first_pregnancy": {"p": 0.0}}
    _, base = _run({}, n=400, overrides=nobody_first)
    _, out = _run({"supports.home_visiting": 1.0}, n=400, overrides=nobody_first)
    assert np.array_equal(base.final, out.final) and np.array_equal(base.monthly, out.monthly)


def test_nothing_happens_before_a_programme_starts() -> None:
    _, base = _run({}, n=300, traj=300)
    _, out = _run(_programme("more", postpartum=True) | {"programs.more_start_week": 4.0}, n=300, traj=300)
    assert np.array_equal(base.pregnancy, out.pregnancy)
    birth = base.final[:, S.birth_day]
    first_session = birth + 28
    changed_before = 0
    for i in range(300):
        upto = int(first_session[i])
        a, b = base.trajectories[i, :upto], out.trajectories[i, :upto]
        changed_before += not np.array_equal(a, b, equal_nan=True)
    assert changed_before == 0
    assert not np.array_equal(base.monthly, out.monthly)  # and something happens after


def test_more_components_combine_as_declared() -> None:
    """Every lever of full MORE equals the sum of the levers of its single components."""
    p0 = ParamSet().vector()
    ids = np.arange(40, dtype=np.uint64)
    u = np.full((len(STREAMS), 40), 0.999)

    def levers(components: tuple[str, ...]) -> np.ndarray:
        ps = ParamSet()
        for c in ("mindfulness", "reappraisal", "savoring"):
            ps.set(f"programs.more_{c}", 1.0 if c in components else 0.0)
        p = ps.vector()
        s = initial_states(load_spec(), p0, 5, ids)
        s[S.more_skill] = np.linspace(0.0, 0.9, 40)
        modules.programs.step(s, p, ps.link_vector(), u, 0.0)
        names = [k for k in S._fields if k.startswith("lever_")]
        return np.array([s[getattr(S, k)] for k in names])

    none = levers(())
    total = levers(("mindfulness", "reappraisal", "savoring"))
    parts = sum(levers((c,)) - none for c in ("mindfulness", "reappraisal", "savoring"))
    np.testing.assert_allclose(total - none, parts, atol=1e-12)
    assert np.abs(parts).sum() > 0


def test_compare_zero_reach_gives_exact_zeros(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    nobody = tmp_path / "more_nobody.yaml"
    nobody.write_text((root / "examples" / "more_prenatal.yaml").read_text().replace("name: more_prenatal",
                                                                                      "name: more_nobody")
                      .replace("sessions: 8", "sessions: 0"))
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", str(root / "examples" / "usual_care.yaml"), str(nobody),
                                    str(root / "examples" / "more_prenatal.yaml"), "--out", str(out),
                                    "--dyads", "150", "--replicates", "4", "--no-progress"])
    assert res.exit_code == 0, res.output
    d = pd.read_csv(out / "differences.csv")
    assert list(d.columns) == ["scenario", "outcome", "difference", "lower", "upper", "interval"]
    assert set(d["interval"]) == {"parameter + Monte Carlo 95%"}  # posterior members, paired across scenarios
    zero = d[d["scenario"] == "more_nobody"].dropna()
    assert len(zero) > 200 and (zero[["difference", "lower", "upper"]] == 0).all().all()
    more = d[(d["scenario"] == "more_prenatal") & (d["outcome"] == "Days of opioid use, postpartum year")]
    assert more["upper"].iloc[0] < 0
    for f in ("differences.parquet", "summaries.csv", "compare.html", "figures/differences.png", "manifest.json",
              "outcomes/usual_care.parquet"):
        assert (out / f).is_file(), f


def test_compare_needs_two_scenarios(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    res = CliRunner().invoke(main, ["compare", str(root / "examples" / "usual_care.yaml"), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "at least two" in res.output


def test_graph_marks_more_targets(tmp_path: Path) -> None:
    import json

    res = CliRunner().invoke(main, ["graph", "--intervention", "more", "--json"])
    d = json.loads(res.output)
    marked = {e["id"] for e in d["edges"] if e["marked_by"]} | {n["id"] for n in d["nodes"] if n["marked_by"]}
    assert {"attentional_bias", "craving", "neg_appraisal", "salience", "stressors_appraisal"} <= marked
    res = CliRunner().invoke(main, ["graph", "--intervention", "more", "--out", str(tmp_path / "fig2.png")])
    assert res.exit_code == 0 and (tmp_path / "fig2.png").stat().st_size > 1000


def _scenario_outcomes(extra: dict, n: int = N) -> pd.DataFrame:
    from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population

    scn = parse_scenario({"name": "policy", **extra})
    return outcomes_table(simulate(scenario_params(scn), n, SEED, scenario_population(scn)))


def test_buprenorphine_policy_gives_milder_nows() -> None:
    base = _scenario_outcomes({"interventions": {"moud": {"type": "methadone"}}})
    bup = _scenario_outcomes({"interventions": {"moud": {"type": "buprenorphine"}}})
    assert set(bup["moud_type"].unique()) <= {"none", "buprenorphine"}
    diff, se = _shift(base["nows_severity"], bup["nows_severity"])
    assert diff < -4 * se, (diff, se)


def test_early_moud_start_lengthens_treatment_and_retention() -> None:
    late = _scenario_outcomes({"interventions": {"moud": {"start": "late"}}}, n=3000)
    early = _scenario_outcomes({"interventions": {"moud": {"start": "early"}}}, n=3000)
    prenatal = [f"moud_days_t{k}" for k in (1, 2, 3)]
    diff, se = _shift(late[prenatal].sum(axis=1), early[prenatal].sum(axis=1))
    assert diff > 4 * se, (diff, se)
    keep = (late["moud_at_delivery"] == 1) & (early["moud_at_delivery"] == 1)
    diff, se = _shift(late.loc[keep, "moud_stop_pp_day"].notna(), early.loc[keep, "moud_stop_pp_day"].notna())
    assert diff < -4 * se, (diff, se)


def test_nicu_dosing_removes_the_nicu_separation_effect_on_moud() -> None:
    """Same random numbers, infants in the NICU: with dosing continuity no mother stops who would
    have continued without it, and strictly fewer stop overall."""
    n = 200_000
    ids = np.arange(n, dtype=np.uint64)
    stops = []
    for dosing in (0.0, 1.0):
        ps = ParamSet()
        ps.set("supports.nicu_dosing", dosing)
        ps.set("moud.stop_hazard", 0.005)
        p = ps.vector()
        s = initial_states(load_spec(), p, 9, ids)
        s[S.moud_type] = 1.0
        s[S.moud_started] = 1.0
        s[S.on_moud] = 1.0
        s[S.pregnant] = 0.0
        s[S.born] = 1.0
        s[S.pp_day] = 3.0
        s[S.nicu] = 1.0
        s[S.in_hospital] = 1.0
        s[S.separated] = 1.0
        u = np.random.default_rng(2).random((len(STREAMS), n))
        modules.moud.step(s, p, ps.link_vector(), u, 100.0)
        stops.append(s[S.on_moud] == 0.0)
    without, with_dosing = stops
    assert not np.any(with_dosing & ~without)
    assert with_dosing.sum() < without.sum() - 4 * np.sqrt(without.sum())


@pytest.mark.parametrize("example", ["more_with_supports", "system_supports", "mindful_parenting"])
def test_engines_agree_with_interventions_on(example: str) -> None:
    """With programmes and supports switched on (their gates open) the compiled engine still
    equals the NumPy reference bit for bit."""
    from dyadsim.config.scenario import load_scenario

    root = Path(__file__).resolve().parent.parent
    _, ps, pop = load_scenario(root / "examples" / f"{example}.yaml")
    a = simulate(ps, 120, 4, pop, engine="numba")
    b = simulate(ps, 120, 4, pop, engine="numpy")
    assert np.array_equal(a.final, b.final) and np.array_equal(a.monthly, b.monthly)
    assert np.array_equal(a.aggregates, b.aggregates)


def test_programme_declarations_and_scenario_fields_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """A programme declared without its scenario field, or with components the field does not
    offer, is refused when the scenario schema loads."""
    import dataclasses

    from dyadsim.config import scenario
    from dyadsim.model import programmes

    scenario._check_programme_fields()
    monkeypatch.setattr(scenario, "FIELDS", {**scenario.FIELDS, "new_programme": "new"})
    with pytest.raises(TypeError, match="no field for the programmes"):
        scenario._check_programme_fields()
    monkeypatch.undo()
    fewer = dataclasses.replace(programmes.MORE, components=("mindfulness",))
    monkeypatch.setattr(scenario, "PROGRAMMES", (fewer, *programmes.PROGRAMMES[1:]))
    with pytest.raises(TypeError, match="components allows"):
        scenario._check_programme_fields()
