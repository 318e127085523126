"""The notebook API: ``dyadsim.Sim(...).run()`` equals ``dyadsim run`` of the same scenario, its
overrides are validated and recorded, its tables, figures, HTML view and saved folder are what they
say; ``dyadsim.analysis.compare`` takes scenarios in memory; the quick-start notebook executes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import dyadsim
from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.run.store import same_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
COHORT = {"dyads": 120, "replicates": 2, "seed": 9}


@pytest.fixture(scope="module")
def sim() -> "dyadsim.Sim":
    return dyadsim.Sim("usual_care", **COHORT, **{"use_cycle.cue_prob": 0.2}).run()


def test_sim_equals_the_command_line(sim: "dyadsim.Sim", tmp_path: Path) -> None:
    scn = tmp_path / "uc.yaml"
    scn.write_text((EXAMPLES / "usual_care.yaml").read_text() + "parameters: {use_cycle.cue_prob: 0.2}\n")
    res = CliRunner().invoke(main, ["run", str(scn), "--out", str(tmp_path / "cli"), "--dyads", "120",
                                    "--replicates", "2", "--seed", "9", "--parameters", "point", "--no-progress"])
    assert res.exit_code == 0, res.output
    cli = pd.read_parquet(tmp_path / "cli" / "outcomes.parquet")
    pd.testing.assert_frame_equal(sim.to_df("outcomes"), cli)
    assert sim.manifest["parameters"]["use_cycle.cue_prob"] == 0.2
    assert sim.manifest["scenarios_full"][0]["overrides"] == {**COHORT, "use_cycle.cue_prob": 0.2}


def test_scenario_as_path_mapping_scenario_and_params_dict(tmp_path: Path) -> None:
    from dyadsim.config.scenario import load_scenario

    a = dyadsim.Sim(EXAMPLES / "usual_care.yaml", params={"use_cycle.cue_prob": 0.3})
    b = dyadsim.Sim({"name": "usual_care"}, **{"use_cycle.cue_prob": 0.3})
    c = dyadsim.Sim(load_scenario(EXAMPLES / "usual_care.yaml")[0], params={"use_cycle.cue_prob": 0.3})
    assert a.params.as_dict() == b.params.as_dict() == c.params.as_dict()
    assert a.params.get("use_cycle.cue_prob") == 0.3
    d = dyadsim.Sim("more_prenatal", **{"links.craving_use.strength": 3.0}, horizon_months=13, name="m13")
    assert d.params.get("links.craving_use.strength") == 3.0 and d.scenario.cohort.horizon_months == 13
    assert d.name == "m13" and "not run" in d._repr_html_()
    for bad, field in (({"use_cycle.cue_prob": 5.0}, "parameters.use_cycle.cue_prob"),
                       ({"colour": "red"}, "colour"), ({"dyads": 0}, "cohort.dyads"),
                       ({"links.no_such.strength": 1.0}, "links.no_such")):
        with pytest.raises(InputError) as err:
            dyadsim.Sim("usual_care", **bad)
        assert err.value.field == field and err.value.file == "example usual_care", str(err.value)
    with pytest.raises(InputError, match="no example 'nope'"):
        dyadsim.Sim("nope")
    with pytest.raises(RuntimeError, match="run"):
        _ = a.summary


def test_tables_figures_and_html(sim: "dyadsim.Sim") -> None:
    from matplotlib.figure import Figure

    out = sim.to_df("outcomes")
    assert len(out) == 240 and list(sim.summary.columns[:4]) == ["outcome", "mean", "lower", "upper"]
    mon = sim.to_df("monthly")
    assert list(mon.columns) == ["dyad_id", "replicate", "month", "variable", "value"]
    by = sim.to_df("monthly", by="moud_type")
    use = by[(by["variable"] == "use_days") & (by["month"] == 2)].set_index("moud_type")["mean"]
    for t, m in use.items():
        assert m == pytest.approx(out.loc[out["moud_type"] == t, "use_days_m02"].mean())
    sub = sim.to_df("outcomes", by="moud_type")
    assert set(sub["moud_type"]) == set(out["moud_type"].astype(str)) and "lower" in sub
    agg = sim.to_df("aggregates", by="phase")
    assert {"phase", "day", "share_use"} <= set(agg.columns) and "replicate" not in agg
    with pytest.raises(InputError, match="choose one of"):
        sim.to_df("nope")
    with pytest.raises(InputError, match="no column 'nope'"):
        sim.to_df("monthly", by="nope")
    figs = sim.plot()
    assert len(figs) >= 4 and all(isinstance(f, Figure) for f in figs)
    page = sim._repr_html_()
    assert "<table>" in page and "Days of opioid use, postpartum year" in page


def test_the_callers_matplotlib_backend_is_kept(sim: "dyadsim.Sim", monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawing the report's figures must not switch a notebook's backend (inline) to Agg."""
    import sys

    import matplotlib

    before = matplotlib.get_backend()
    import dyadsim.report.run_report

    # Its import selects Agg. The package attribute is restored with the module so that later
    # tests (which monkeypatch dyadsim.report.run_report) see the one module the package itself uses.
    monkeypatch.setattr(dyadsim, "report", sys.modules["dyadsim.report.run_report"])
    monkeypatch.delitem(sys.modules, "dyadsim.report.run_report")
    matplotlib.use("svg", force=True)  # a stand-in for the notebook's inline backend
    try:
        assert sim.plot() and matplotlib.get_backend() == "svg"
    finally:
        matplotlib.use(before, force=True)


def test_saved_sim_reruns_bit_for_bit(sim: "dyadsim.Sim", tmp_path: Path) -> None:
    folder = sim.save(tmp_path / "saved")
    man = json.loads((folder / "manifest.json").read_text())
    assert {"outcomes.parquet", "monthly.parquet", "report.html", "views.sql"} <= set(man["files"])
    res = CliRunner().invoke(main, ["rerun", str(folder / "manifest.json"), "--no-progress"])
    assert res.exit_code == 0 and "identical to the original" in res.output, res.output
    for t in ("outcomes", "monthly", "aggregates"):
        assert same_table(folder / f"{t}.parquet", tmp_path / "saved-rerun" / f"{t}.parquet"), t
    with pytest.raises(InputError, match="--force"):
        sim.save(folder)


def test_compare_in_memory(sim: "dyadsim.Sim", tmp_path: Path) -> None:
    same = {"name": "usual_copy", "description": "usual care again", "parameters": {"use_cycle.cue_prob": 0.2}}
    cmp = dyadsim.compare([sim, same], dyads=120, replicates=2, seed=9)
    assert cmp.names == ["usual_care", "usual_copy"]
    d = cmp.differences
    assert len(d) > 100 and np.nanmax(np.abs(d["difference"].to_numpy())) == 0.0  # same dyads and random numbers
    pd.testing.assert_frame_equal(cmp.outcomes("usual_care"), sim.to_df("outcomes"))
    recs = cmp.manifest["scenarios_full"]
    assert recs[0]["overrides"]["use_cycle.cue_prob"] == 0.2 and recs[1]["scenario"]["name"] == "usual_copy"
    assert "dyadsim.compare(" in cmp.manifest["command_line"]
    assert cmp.plot() and "<table>" in cmp._repr_html_()
    folder = cmp.save(tmp_path / "cmp")
    res = CliRunner().invoke(main, ["rerun", str(folder), "--no-progress"])
    assert res.exit_code == 0 and "identical to the original" in res.output, res.output
    with pytest.raises(InputError, match="2 to 20"):
        dyadsim.compare(["usual_care"])
    assert dyadsim.compare is dyadsim.api.compare  # the public name is the function, no module in the way


def test_quickstart_notebook_executes(tmp_path: Path) -> None:
    """examples/quickstart.ipynb runs top to bottom on this environment's Python."""
    import sys

    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(ROOT / "examples" / "quickstart.ipynb", as_version=4)
    # The kernel is this Python (the project's environment), whatever kernels are installed.
    ksm = KernelSpecManager()
    spec_dir = tmp_path / "kernels" / "dyadsim-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dyadsim test", "language": "python"}))
    ksm.kernel_dirs = [str(tmp_path / "kernels")]
    km = KernelManager(kernel_name="dyadsim-test", kernel_spec_manager=ksm)
    client = nbclient.NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps(outputs)
    assert "Days of opioid use" in text and "image/png" in text
    assert (tmp_path / "results" / "quickstart" / "manifest.json").is_file()
