"""The targets file: every published row is in it, bad files are refused by name, the observation
models compare as stated, and the check simulates and compares."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dyadsim.analysis.target_stats import STATISTICS
from dyadsim.analysis.targets import _compare, check, validate
from dyadsim.cli import main
from dyadsim.config.targets import Target, load_targets
from dyadsim.core.errors import InputError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "TARGETS.md"

ROW = """  - id: {id}
    what: a figure
    figure: {figure}
    source: Someone et al. 2020
    grade: A
    population: somewhere
    design: {{scenarios: [usual_care], statistic: {statistic}, horizon_days: 366, dyads: 300}}
    observation: {observation}
"""


def _file(tmp_path: Path, body: str, replace: bool = False) -> Path:
    p = tmp_path / "mine.yaml"
    p.write_text(("replace: true\n" if replace else "") + "targets:\n" + body, encoding="utf-8")
    return p


def _table_sources(text: str) -> list[str]:
    """The source cell of every data row of the Markdown tables (the last cell)."""
    out = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(line) <= set("|-: ") or cells[0] in ("what", "pattern"):
            continue
        out.append(cells[-1])
    return out


def test_every_published_row_is_in_the_packaged_targets() -> None:
    """Each row of the project's table of published figures has a target whose source names the
    same first author (or the same seed / document)."""
    sources = " ".join(t.source for t in load_targets())
    rows = _table_sources(SHARED.read_text(encoding="utf-8"))
    assert len(rows) >= 30
    missing = []
    for src in rows:
        first = re.split(r"[,;(\[]| et al| &", src)[0].strip()
        key = first.split()[-1] if first.split()[0] not in ("review", "seed", "seeds", "MODEL.md") else first.split()[0]
        if key not in sources:
            missing.append(src)
    assert not missing, missing


def test_the_packaged_targets_use_known_statistics_scenarios_and_parameters() -> None:
    rows = load_targets()
    validate(rows)
    assert {t.role for t in rows} == {"input", "fit", "validation", "context"}
    assert all(t.grade in "AS" for t in rows)
    s_rows = [t for t in rows if t.grade == "S" and t.observation and t.observation.model not in ("threshold", "interval")]
    a_rows = [t for t in rows if t.grade == "A" and t.role == "fit" and t.observation
              and t.observation.model not in ("threshold", "interval")]
    # [S] rows carry a larger discrepancy on average than [A] rows of the same kind (shares).
    def mean_disc(ts: list[Target]) -> float:
        return sum(t.discrepancy for t in ts) / len(ts)
    assert mean_disc(s_rows) > mean_disc(a_rows)


@pytest.mark.parametrize("body, field", [
    (ROW.format(id="a1", figure=0.3, statistic="preterm", observation="{model: binomial}"), "targets.a1.observation"),
    (ROW.format(id="a1", figure=0.3, statistic="preterm", observation="{model: binomial, n: 10}").replace("grade: A", "grade: B"),
     "targets.a1.grade"),
    (ROW.format(id="a1", figure=0.3, statistic="preterm", observation="{model: binomial, n: 10}") * 2, "targets"),
    (ROW.format(id="a1", figure=0.3, statistic="preterm", observation="{model: threshold}"), "targets.a1.observation"),
])
def test_a_bad_targets_file_is_refused_naming_the_file_and_field(tmp_path: Path, body: str, field: str) -> None:
    p = _file(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_targets(p)
    assert err.value.file == str(p) and err.value.field.startswith(field), (err.value.field, str(err.value))


def test_an_unknown_statistic_or_scenario_is_refused_by_the_check(tmp_path: Path) -> None:
    rows = load_targets(_file(tmp_path, ROW.format(id="b1", figure=0.3, statistic="nope",
                                                   observation="{model: binomial, n: 10}"), replace=True))
    with pytest.raises(InputError, match="targets.b1.design.statistic"):
        validate(rows)
    rows = load_targets(_file(tmp_path, ROW.format(id="b2", figure=0.3, statistic="preterm",
                                                   observation="{model: binomial, n: 10}").replace("[usual_care]", "[nowhere]"),
                              replace=True))
    with pytest.raises(InputError, match="targets.b2.design.scenarios"):
        validate(rows)


def test_a_user_file_adds_replaces_or_stands_alone(tmp_path: Path) -> None:
    packaged = load_targets()
    body = (ROW.format(id="krans2021_preterm", figure=0.2, statistic="preterm", observation="{model: binomial, n: 50}")
            + ROW.format(id="my_row", figure=0.5, statistic="nows_pharm", observation="{model: binomial, n: 50}"))
    both = load_targets(_file(tmp_path, body))
    assert len(both) == len(packaged) + 1
    assert next(t for t in both if t.id == "krans2021_preterm").figure == 0.2
    alone = load_targets(_file(tmp_path, body, replace=True))
    assert [t.id for t in alone] == ["krans2021_preterm", "my_row"]


def _target(model: str, figure: float | None, discrepancy: float = 0.0, **obs: float) -> Target:
    return Target.model_validate({
        "id": "tt", "what": "a figure", "figure": figure, "source": "Someone 2020", "grade": "A",
        "population": "somewhere", "discrepancy": discrepancy,
        "design": {"scenarios": ["usual_care"], "statistic": "preterm"},
        "observation": {"model": model, **obs}})


def test_observation_models_compare_on_their_own_scale() -> None:
    z, p, ok = _compare(_target("binomial", 0.5, n=100), 0.6, 0.0)  # SD 0.05: z = 2
    assert math.isclose(z, 2.0) and ok and math.isclose(p, math.erfc(2 / math.sqrt(2)))
    z, _, ok = _compare(_target("binomial", 0.5, discrepancy=0.05, n=100), 0.6, 0.0)
    assert math.isclose(z, 0.1 / math.sqrt(0.05 ** 2 + 0.05 ** 2)) and ok
    z, _, _ = _compare(_target("lognormal", 10.0, sd_log=0.5), 10.0 * math.e, 0.0)  # one log unit
    assert math.isclose(z, 2.0)
    z, _, _ = _compare(_target("fisher_z", 0.2, n=103), math.tanh(math.atanh(0.2) + 0.3), 0.0)
    assert math.isclose(z, 3.0)
    z, _, ok = _compare(_target("normal", 1.0, se=0.3), 0.1, 0.4)  # MC SE adds in quadrature
    assert math.isclose(z, -0.9 / 0.5) and ok
    assert _compare(_target("threshold", None, above=0.0), 0.1, 0.0)[2]
    assert not _compare(_target("threshold", None, above=0.0, below=0.05), 0.1, 0.0)[2]
    assert not _compare(_target("interval", None, low=0.3, high=0.45), 0.29, 0.0)[2]


def test_the_check_simulates_each_design_once_and_compares() -> None:
    """At a small size the population inputs agree with their sources (they are drawn from them),
    and every statistic the packaged file names returns a finite figure."""
    rows = load_targets()
    seen: list[str] = []
    res = check(rows, dyads=400, progress=seen.append)
    designs = {(tuple(t.design.scenarios), tuple(tuple(sorted(o.items())) for o in t.design.overrides),
                t.design.horizon_days) for t in rows if t.design is not None and t.role != "context"}
    assert len(seen) == len(designs)
    assert all(r.agrees for r in res if r.target.role == "input"), [(r.target.id, r.z) for r in res]
    assert all(math.isfinite(r.simulated) for r in res), [r.target.id for r in res if not math.isfinite(r.simulated)]
    used = {t.design.statistic for t in rows if t.design is not None}
    assert used <= set(STATISTICS)


def test_the_command_lists_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["targets"])
    assert listed.exit_code == 0 and "krans2021_overdose" in listed.output
    body = ROW.format(id="mine", figure=0.13, statistic="preterm", observation="{model: binomial, n: 500}")
    done = runner.invoke(main, ["targets", "--check", "--file", str(_file(tmp_path, body, replace=True)), "--dyads", "300"])
    assert done.exit_code == 0, done.output
    assert re.search(r"^mine\s+fit\s+0\.13\s+\S+", done.output, re.M) and ("agrees" in done.output or "MISSES" in done.output)
    bad = runner.invoke(main, ["targets", "--check", "--dyads", "5"])
    assert bad.exit_code == 2 and "--dyads" in bad.output
