"""Write docs/odd.md, the ODD description of dyadsim, from the code's own declarations.

ODD (Overview, Design concepts, Details) follows the second update of the protocol: Grimm et al.
2020, JASSS 23(2):7 (elements 1 Purpose and patterns, 2 Entities, state variables and scales,
3 Process overview and scheduling, 4 Design concepts, 5 Initialization, 6 Input data,
7 Submodels). What can be derived is derived: the update order and each module's docstring,
parameters, random streams, gates and graph edges; the states; the recorded outputs and the
instruments; the population file. What cannot (purpose, patterns, design concepts) is the
hand-written text in :data:`TEXT` below.

Usage: .venv/bin/python scripts/make_odd_doc.py   (tests/test_docs.py checks the file is up to date)
"""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType

from dyadsim.model import instruments, modules
from dyadsim.engine import layout
from dyadsim.engine.access import init_order, owners, reads_by_lag
from dyadsim.model.graph import GRAPH
from dyadsim.model.params import ParamSet  # noqa: F401  (registers every parameter)
from dyadsim.model.population import load_spec
from dyadsim.core.registry import PARAM_MODULE, PARAMS, STATES, STREAMS

OUT = Path(__file__).resolve().parent.parent / "docs" / "odd.md"

TEXT: dict[str, str] = {
    "purpose": (
        "dyadsim simulates opioid-exposed mother-infant dyads, day by day, from pregnancy (enrolment "
        "between gestational weeks 8 and 36) through the postpartum years. Its purpose is reasoning and "
        "trial planning: to show how the mechanisms of the integrated model of Reese, Conradt, Riquino & "
        "Garland (2021) - stress and appraisal, the addiction cycle, salience of infant cues, parenting, "
        "dyadic synchrony and attachment - and the eco-social context of postpartum recovery (Allen et al. "
        "2023; Martin et al. 2021/22) combine, and how programmes (MORE, supportive groups, parenting "
        "programmes), MOUD policies and system supports could change maternal opioid use, overdose, "
        "NOWS, parenting, attachment and child well-being. It is never a prediction for one real person."),
    "patterns": (
        "The model is judged by patterns observed in studies (pattern-oriented modelling, Grimm et al. "
        "2005), not only by single figures:\n\n"
        "- relapse and recovery both recur; hysteresis, but no absorbing state (Grasman, Grasman & van der "
        "Maas 2016);\n"
        "- craving and negative mood rise before lapses; stress contributes but is neither necessary nor "
        "sufficient (Preston et al. 2018);\n"
        "- the first postpartum year is a time of increased vulnerability to relapse and overdose (seeds "
        "000 and 004);\n"
        "- starting MOUD in pregnancy makes continuing it after birth more likely (seed 004; Schiff et al. "
        "2021);\n"
        "- NOWS follows exposure near delivery; buprenorphine exposure gives milder NOWS than methadone "
        "(Jones et al. 2010); Eat, Sleep, Console treats fewer infants and shortens the time to medical "
        "readiness (Young et al. 2023);\n"
        "- more sessions and more home practice give larger programme effects, which fade without practice "
        "(Short et al. 2017);\n"
        "- sensitivity and attachment security correlate modestly (r = .24, De Wolff & van IJzendoorn "
        "1997).\n\n"
        "Published figures for calibration (MOUD retention, overdose, NOWS treatment, comorbidity, "
        "attachment distributions) are listed with their sources in the project's targets file."),
    "basic_principles": (
        "Each construct of Figure 1 of Reese et al. (2021) is a state that relaxes toward a target with "
        "its own time constant; each arrow is a signed, bounded coefficient on the target's logit or log-"
        "hazard (the mechanism graph). The addiction cycle follows Koob & Volkow's binge/intoxication, "
        "withdrawal/negative affect and preoccupation/anticipation stages; stress follows the transactional "
        "model (appraisal, coping) and allostasis; MORE acts through mindfulness, reappraisal and savoring "
        "(Garland). Discrete events (use, overdose, birth, CPS report, MOUD start and stop, NOWS treatment) "
        "are daily Bernoulli draws from hazards."),
    "emergence": (
        "Trajectories of use and recovery, retention on MOUD, the timing of returns to use and overdoses, "
        "parenting quality and the distribution of attachment classes emerge from the coupled daily "
        "updates; population shares are not imposed."),
    "adaptation": (
        "Mothers do not choose by explicit optimisation: a day of use follows from craving against "
        "self-control, habit and cues; MOUD starts and stops, attendance at sessions and home practice "
        "follow hazards that depend on the mother's state and supports."),
    "objectives": "None explicit (no utility is maximised).",
    "learning": (
        "Slow states carry experience: habit, attentional bias, reward dysregulation, stress "
        "sensitization and allostatic load grow with use and stress and decay without them; programme "
        "skills grow with sessions and practice."),
    "prediction": "Mothers do not forecast; no anticipatory decision rule.",
    "sensing": (
        "A mother responds to her own states and to her infant's distress (salience of infant cues); the "
        "care system responds to what is visible (exposure at delivery, use, CPS reports)."),
    "interaction": (
        "Within the dyad: infant distress raises maternal stress and parenting stress; parenting regulates "
        "infant distress; synchrony and bonding build from both. Between a dyad and the care system: "
        "MOUD, programmes, CPS and NOWS care are scenario settings and hazards. Dyads do not interact "
        "with each other."),
    "stochasticity": (
        "Every random decision has a named stream of counter-based uniforms keyed by (run seed, stream "
        "name, dyad id, day), so scenarios compared with the same seed share every random number (common "
        "random numbers), results do not depend on block size or threads, and adding a stream leaves the "
        "others unchanged. Baseline covariates are drawn the same way. Measurement error of instruments "
        "is keyed by (seed, instrument, dyad, occasion)."),
    "collectives": "None: dyads are independent; cohorts are summarised after the run.",
    "observation": (
        "Per dyad: event days, sums by postpartum month and by trimester (latent states on 0-1 and counts "
        "of days), final states; per cohort: daily aggregates; for a sample: full daily trajectories. "
        "Scores on published instrument scales are drawn after the run with measurement error (below)."),
    "initialization": (
        "Day 0 is enrolment. Baseline covariates are drawn from the population file (each with its source), "
        "then every module's init runs in the order below (MOUD before the use cycle, because initial use "
        "depends on MOUD at enrolment)."),
    "input": (
        "No external time series drives the model. Inputs are the population file and the scenario "
        "(care settings, interventions, parameter and edge values); settings below are the parameters a "
        "scenario chooses rather than mechanisms to calibrate."),
}


def _first_line(m: ModuleType) -> str:
    return (inspect.getdoc(m) or "").splitlines()[0]


def _short(m: ModuleType) -> str:
    return m.__name__.rsplit(".", 1)[-1]


def _edges_read(m: ModuleType) -> list[str]:
    """Edge ids a module's source reads as ``w[L.<edge>]``, in graph order."""
    used = set(re.findall(r"L\.([a-z_0-9]+)", inspect.getsource(m)))
    return [e.id for e in GRAPH.edges if e.id in used]


def _states_written(m: ModuleType) -> list[str]:
    """States a module writes (read from its code by :mod:`dyadsim.engine.access`), in table order."""
    mine = {k for k, owner in owners().items() if owner == _short(m)}
    return [k for k in STATES if k in mine]


def _states_read(m: ModuleType, lag: int) -> list[str]:
    """States of other modules that the module's step reads with the given lag (0 today, 1 yesterday)."""
    return [k for (mod, k), v in reads_by_lag().items() if mod == _short(m) and v == lag]


def render() -> str:
    """The whole document as Markdown."""
    spec = load_spec()
    horizon = PARAMS["pregnancy.horizon_days"]
    L: list[str] = [
        "# dyadsim: ODD description", "",
        "Overview, Design concepts, Details, following Grimm et al. 2020 (JASSS 23(2):7). Generated by "
        "`scripts/make_odd_doc.py` from the code's declarations and a short hand-written part; do not edit "
        "by hand. Mechanism detail (every parameter and arrow) is in `docs/model.md`, outputs in "
        "`docs/outcomes.md`.", "",
        "## Overview", "", "### 1. Purpose and patterns", "", TEXT["purpose"], "", TEXT["patterns"], "",
        "### 2. Entities, state variables, and scales", "",
        f"Entity: the mother-infant dyad ({len(STATES)} state variables per dyad, all stored as floats; flags "
        "0/1, event days -1 until the event). The care system is represented by scenario settings and "
        "hazards, not by agents. Time step: one day. Temporal extent: from enrolment in pregnancy to "
        f"`pregnancy.horizon_days` after birth (default {horizon.default:g} days, range "
        f"[{horizon.low:g}, {horizon.high:g}]). No spatial dimension.", "",
        "| state | unit | bounds | meaning |", "|---|---|---|---|"]
    L += [f"| `{k}` | {st.unit} | [{st.low:g}, {st.high:g}] | {st.doc} |" for k, st in STATES.items()]
    L += ["", "### 3. Process overview and scheduling", "",
          "Each day every module runs once, in this order; a module sees today's values of the modules "
          "before it and yesterday's of those after it (declared on the edges as a one-day lag). A gated "
          "module is skipped by the compiled engine on days its gate says it cannot change anything (the "
          "NumPy reference runs every step; both engines agree bit for bit). After the modules, the day's "
          "values are recorded (monthly and trimester sums, daily aggregates, trajectories).", "",
          "| # | module | what it does | gate | random streams |", "|---|---|---|---|---|"]
    for i, m in enumerate(modules.UPDATE_ORDER, 1):
        short = _short(m)
        streams = ", ".join(f"`{k.split('.', 1)[1]}`" for k in STREAMS if k.split(".", 1)[0] == short) or "-"
        gate = "yes" if hasattr(m, "gate") else "-"
        L.append(f"| {i} | `{short}` | {_first_line(m)} | {gate} | {streams} |")
    L += ["", "## Design concepts", ""]
    for i, (key, title) in enumerate((("basic_principles", "Basic principles"), ("emergence", "Emergence"),
                                      ("adaptation", "Adaptation"), ("objectives", "Objectives"),
                                      ("learning", "Learning"), ("prediction", "Prediction"),
                                      ("sensing", "Sensing"), ("interaction", "Interaction"),
                                      ("stochasticity", "Stochasticity"), ("collectives", "Collectives"),
                                      ("observation", "Observation")), 1):
        L += [f"### 4.{i} {title}", "", TEXT[key], ""]
    L += ["Recorded by postpartum month: " + ", ".join(f"`{k}`" for k in layout.MONTHLY) + ".", "",
          "Recorded by trimester: " + ", ".join(f"`{k}`" for k in layout.PREGNANCY) + ".", "",
          "Daily cohort aggregates: " + ", ".join(f"`{k}`" for k in layout.AGGREGATES) + ".", "",
          "Instruments (observed scores drawn after the run, `src/dyadsim/model/instruments.py`):", "",
          "| instrument | measures (latent) | range | reference mean (SD) | reliability | cut-off |",
          "|---|---|---|---|---|---|"]
    for inst in instruments.INSTRUMENTS:
        v = {k.rsplit(".", 1)[1]: p.default for k, p in instruments.PARAMS.items()
             if k.startswith(f"instruments.{inst.name}.")}
        cut = "-" if inst.cutoff is None else f"{'>=' if inst.cutoff_above else '<'} {inst.cutoff:g}"
        L.append(f"| {inst.label} | `{inst.latent}` | {inst.low:g}-{inst.high:g} | {v['mean']:g} ({v['sd']:g}) | "
                 f"{v['reliability']:g} | {cut} |")
    L += ["", "## Details", "", "### 5. Initialization", "", TEXT["initialization"], "",
          "| covariate | distribution | source |", "|---|---|---|"]
    for name, dist in spec.covariates.items():
        fields = {k: v for k, v in dist.model_dump().items() if k not in ("source", "dist")}
        desc = ", ".join(f"{k} {v}" for k, v in fields.items() if v is not None)
        L.append(f"| `{name}` | {type(dist).__name__.lower()} ({desc}) | {dist.source} |")
    L += ["", "Initialisation order: " + ", ".join(f"`{_short(m)}`" for m in init_order()) + ".", "",
          "### 6. Input data", "", TEXT["input"], "", "| setting | default | unit | meaning |", "|---|---|---|---|"]
    L += [f"| `{k}` | {p.default:g} | {p.unit} | {p.doc} |" for k, p in PARAMS.items() if p.kind != "mechanism"]
    L += ["", "### 7. Submodels", "",
          "One submodel per module, in update order. Parameters are listed with their defaults, ranges and "
          "sources in `docs/model.md`; here, each module's description, the arrows of the graph it applies "
          "and the states it writes.", ""]
    for m in modules.UPDATE_ORDER:
        short = _short(m)
        n_par = sum(1 for k in PARAMS if PARAM_MODULE[k] == short)
        n_assumed = sum(1 for k, p in PARAMS.items() if PARAM_MODULE[k] == short and p.assumed)
        L += [f"#### 7.{modules.UPDATE_ORDER.index(m) + 1} `{short}`", "", inspect.getdoc(m) or "", "",
              f"Parameters: {n_par} ({n_assumed} assumed). "
              f"Arrows applied: {', '.join(f'`{e}`' for e in _edges_read(m)) or 'none'}. "
              f"States written: {', '.join(f'`{s}`' for s in _states_written(m)) or 'none'}. "
              f"Read from other modules today: {', '.join(f'`{s}`' for s in _states_read(m, 0)) or 'none'}; "
              f"as of yesterday: {', '.join(f'`{s}`' for s in _states_read(m, 1)) or 'none'}.", ""]
    return "\n".join(L).rstrip("\n") + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
