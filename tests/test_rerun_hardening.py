"""``dyadsim rerun`` checks every file by sha256 (of the original folder and of the rerun) and
names each one that differs; a manifest carries its own sha256 and is refused when edited or
damaged, when its fields have the wrong shape, or when it is not a small regular JSON file; the
Python API refuses bad overrides with the same InputError as the command line, writing nothing."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_reproducible import _cli  # a CLI call that fails the test on any uncaught exception

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SMALL = ["--dyads", "40", "--replicates", "1", "--seed", "5", "--no-progress"]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """usual_care, 40 dyads x 1 replicate, seed 5 (each test reruns a copy of it)."""
    out = tmp_path_factory.mktemp("orig") / "run"
    code, text = _cli(["run", str(EXAMPLES / "usual_care.yaml"), "--out", str(out), *SMALL])
    assert code == 0, text
    return out


@pytest.fixture
def run(original: Path, tmp_path: Path) -> Path:
    """A copy of :func:`original` that a test may edit."""
    return Path(shutil.copytree(original, tmp_path / "run"))


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


# 1. every file is hashed when written and compared on rerun


def test_manifest_records_the_sha256_of_every_file(run: Path) -> None:
    man = _manifest(run)
    assert set(man["file_sha256"]) == set(man["files"]) and "monthly.parquet" in man["files"]
    for name, digest in man["file_sha256"].items():
        assert hashlib.sha256((run / name).read_bytes()).hexdigest() == digest, name


def test_rerun_of_an_untouched_run_says_every_file_is_identical(run: Path) -> None:
    code, text = _cli(["rerun", str(run), "--no-progress"])
    assert code == 0 and "files identical to the original run" in text, text
    assert "DIFFER" not in text


def test_rerun_names_a_file_edited_after_the_run(run: Path) -> None:
    monthly = pd.read_parquet(run / "monthly.parquet")
    monthly.loc[0, "value"] = monthly.loc[0, "value"] + 1.0
    monthly.to_parquet(run / "monthly.parquet", index=False)
    code, text = _cli(["rerun", str(run), "--no-progress"])
    assert code == 1, text
    assert "monthly.parquet: the original" in text and "changed after the run was written" in text, text
    assert "files DIFFER from the original run" in text and "identical" not in text, text


def test_rerun_names_a_file_the_rerun_writes_differently(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dyadsim.jobs.run

    real = dyadsim.jobs.run.write_report

    def altered(result, folder):  # type: ignore[no-untyped-def]
        out = real(result, folder)
        with open(Path(folder) / "report.html", "a", encoding="utf-8") as fh:
            fh.write("<!-- not the original -->")
        return out

    monkeypatch.setattr(dyadsim.jobs.run, "write_report", altered)
    code, text = _cli(["rerun", str(run), "--no-progress"])
    assert code == 1, text
    assert "report.html: DIFFERS from the original run's" in text, text
    assert f"files DIFFER from the original run in {run}/: report.html" in text.splitlines(), text  # only it


def test_rerun_without_the_original_files_compares_with_the_recorded_hashes(run: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(run / "manifest.json", alone / "manifest.json")
    code, text = _cli(["rerun", str(alone / "manifest.json"), "--no-progress"])
    assert code == 0 and "files identical to the original run" in text and "no longer in" in text, text


def test_old_manifest_without_file_hashes_still_reruns(run: Path) -> None:
    man = _manifest(run)
    for key in ("file_sha256", "manifest_sha256"):  # what a manifest of an older dyadsim lacks
        man.pop(key, None)
    (run / "manifest.json").write_text(json.dumps(man, indent=2), encoding="utf-8")
    code, text = _cli(["rerun", str(run), "--no-progress"])
    assert code == 0, text
    assert "files were not checked" in text and "outcomes identical to the original run" in text, text


# 2. the manifest's own hash


def test_manifest_carries_its_own_sha256(run: Path) -> None:
    from dyadsim.run.store import canonical_json

    man = _manifest(run)
    digest = man.pop("manifest_sha256")
    assert hashlib.sha256(canonical_json(man)).hexdigest() == digest


@pytest.mark.parametrize("edit", [
    lambda m: m.update(seed=m["seed"] + 1),  # a value changed
    lambda m: m["scenarios_full"][0]["scenario"]["cohort"].update(dyads=41),  # deep inside
    lambda m: m.update(note="mine"),  # a field added
    lambda m: m.update(manifest_sha256="0" * 64),  # the hash itself
    lambda m: m.update(manifest_sha256=None),
], ids=["value", "nested-value", "added-field", "wrong-hash", "null-hash"])
def test_an_edited_manifest_is_refused(run: Path, tmp_path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    man = _manifest(run)
    edit(man)
    (run / "manifest.json").write_text(json.dumps(man, indent=2), encoding="utf-8")
    code, text = _cli(["rerun", str(run / "manifest.json"), "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2 and f"{run / 'manifest.json'}: field 'manifest_sha256'" in text, text
    assert "edited or damaged" in text and "Traceback" not in text, text
    assert not (tmp_path / "o").exists()


def test_a_manifest_rewritten_with_other_layout_is_accepted(run: Path) -> None:
    """Only the values are hashed: key order and indentation do not matter."""
    man = _manifest(run)
    (run / "manifest.json").write_text(json.dumps(dict(reversed(list(man.items())))), encoding="utf-8")
    code, text = _cli(["rerun", str(run), "--no-progress"])
    assert code == 0 and "files identical to the original run" in text, text


# 3. the manifest's shape is checked before use


@pytest.mark.parametrize("field, value", [
    ("scenarios_full", []),
    ("scenarios_full", [5]),
    ("scenarios_full", [{"scenario": 3}]),
    ("scenarios_full[0].text", 5),
    ("parameters", [1, 2]),
    ("population", "packaged"),
    ("source_hash", 3),
    ("parameter_draws", "yes"),
    ("files", ["../../etc/passwd"]),
    ("file_sha256", {"outcomes.parquet": "not a hash"}),
    ("file_sha256", ["outcomes.parquet"]),
])
def test_a_manifest_of_the_wrong_shape_is_refused(run: Path, tmp_path: Path, field: str, value: object) -> None:
    man = _manifest(run)
    man.pop("manifest_sha256")  # as an older manifest, so that the shape itself is what is checked
    if field == "scenarios_full[0].text":
        man["scenarios_full"][0]["text"] = value
    else:
        man[field] = value
    (run / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    code, text = _cli(["rerun", str(run), "--out", str(tmp_path / "o"), "--no-progress"])
    where = field.split("[")[0]  # the field, or the start of the indexed one
    assert code == 2 and f"{run / 'manifest.json'}: field '{where}" in text and "Traceback" not in text, text
    assert not (tmp_path / "o").exists()
