"""Adding a mechanism with an output is one new file in ``model/modules/`` (plus its test, and its
arrows in ``data/graph.yaml`` when it reads new ones): shown here on a copy of the package.

The mechanism counts the postpartum days on which craving is above a threshold and reports the
count as a column of the outcomes table, and the days by postpartum month. It is found, placed in the day after the use cycle, given
its parameter, its state and its column, run by the NumPy reference and lowered by the code
generator, and it changes no other output (it writes only its own state).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parent.parent / "src"

MODULE = '''\
"""High-craving days: postpartum days with craving above a threshold (an output only; a test's example)."""
from __future__ import annotations

import numpy as np

from dyadsim.core.registry import Final, Param, Recorded, State, declare_params, declare_states
from dyadsim.model.states import S

AFTER = "use_cycle"
P = declare_params("craving_days", (
    Param("threshold", 0.5, "0-1", 0.1, 0.9, "assumed (an example)", "craving level that counts"),
))
Z = declare_states((
    State("high_craving_today", "flag", 0, 1, "craving above the threshold today"),
    State("high_craving_days", "days", 0, 2000, "postpartum days with craving above the threshold"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """None yet."""
    s[Z.high_craving_today] = 0.0
    s[Z.high_craving_days] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Count today if born, followed and craving is above the threshold."""
    high = 1.0 * (s[S.craving] > p[P.threshold])
    s[Z.high_craving_today] = high
    s[Z.high_craving_days] = s[Z.high_craving_days] + s[S.born] * s[S.followed] * high


FINAL = (Final("high_craving_days", "high_craving_days", doc="postpartum days with craving above the threshold"),)
RECORDED = (Recorded("high_craving", "high_craving_today", report="sum", doc="days with craving above the threshold"),)
'''

PROBE = '''\
import json, sys
import numpy as np
from dyadsim.engine import access, codegen
from dyadsim.engine.run import simulate
from dyadsim.model.modules import UPDATE_ORDER
from dyadsim.model.params import ParamSet
from dyadsim.run.results import outcomes_table

out = simulate(ParamSet(), 60, 5, engine="numpy")
df = outcomes_table(out)
order = [m.__name__.rsplit(".", 1)[-1] for m in UPDATE_ORDER]
src = codegen.generate()
print(json.dumps({"order": order, "owner": access.owners().get("high_craving_days"),
                  "generated": "lane_step_craving_days" in src,
                  "columns": list(df.columns),
                  "values": df.drop(columns=["care_setting"]).astype(str).to_dict(orient="list")}))
'''


def _probe(src: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin", "NUMBA_CACHE_DIR": str(src / ".nb")})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_mechanism_is_one_file(tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(SRC / "dyadsim", base / "dyadsim", ignore=shutil.ignore_patterns("__pycache__"))
    added = tmp_path / "added"
    shutil.copytree(base, added)
    (added / "dyadsim" / "model" / "modules" / "craving_days.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    before, after = _probe(base), _probe(added)
    # Placed in the day right after the use cycle, owning its state, lowered by the code generator.
    assert after["order"] == before["order"][:before["order"].index("use_cycle") + 1] + ["craving_days"] + \
        before["order"][before["order"].index("use_cycle") + 1:]
    assert after["owner"] == "craving_days" and after["generated"] and not before["generated"]
    # Its column is in the outcomes table, with counts that are possible and not all zero.
    months = sorted(c for c in after["columns"] if c.startswith("high_craving_m"))
    assert set(after["columns"]) - set(before["columns"]) == {"high_craving_days", *months} and len(months) == 12
    days = np.asarray(after["values"]["high_craving_days"], dtype=float)
    assert days.min() >= 0 and days.max() <= 366 and days.max() > 0
    by_month = np.sum([np.asarray(after["values"][c], dtype=float) for c in months], axis=0)
    # The monthly sums cover the days she was alive; the end-of-run count every day followed.
    alive = np.asarray(after["values"]["maternal_death"], dtype=float) == 0
    assert np.all(by_month <= days) and np.array_equal(by_month[alive], days[alive])
    # It writes only its own state, so every other output is unchanged, value for value.
    changed = [c for c in before["values"] if before["values"][c] != after["values"][c]]
    assert changed == [], changed
