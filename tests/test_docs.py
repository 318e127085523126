"""Documentation generated from declarations stays in step with the code."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_model_doc_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("make_model_doc", ROOT / "scripts" / "make_model_doc.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    assert (ROOT / "docs" / "model.md").read_text(encoding="utf-8") == mod.render(), \
        "docs/model.md is stale: run .venv/bin/python scripts/make_model_doc.py"


def test_readme_quick_start_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/main.sh" in readme and "bash scripts/test.sh" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci


def test_readme_python_example_runs() -> None:
    """The Python block of the README runs as written (with its own small cohort)."""
    import contextlib
    import io
    import os
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks, "README has no Python example"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            for code in blocks:
                exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert "Days of opioid use" in buf.getvalue()


def test_odd_doc_up_to_date() -> None:
    """docs/odd.md (ODD protocol, Grimm et al. 2020) is regenerated from the declarations."""
    spec = importlib.util.spec_from_file_location("make_odd_doc", ROOT / "scripts" / "make_odd_doc.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    text = (ROOT / "docs" / "odd.md").read_text(encoding="utf-8")
    assert text == mod.render(), "docs/odd.md is stale: run .venv/bin/python scripts/make_odd_doc.py"
    # The seven elements of the protocol, in order, and every module as a submodel.
    heads = ["1. Purpose and patterns", "2. Entities, state variables, and scales",
             "3. Process overview and scheduling", "## Design concepts", "5. Initialization", "6. Input data",
             "7. Submodels"]
    pos = [text.index(h) for h in heads]
    assert pos == sorted(pos)
    from dyadsim.model import modules

    for m in modules.UPDATE_ORDER:
        assert f"`{m.__name__.rsplit('.', 1)[-1]}`" in text.split("7. Submodels", 1)[1]


def test_every_dotted_name_in_the_docs_exists() -> None:
    """Every ``dyadsim.<module>[.<name>]`` the docs, the README and the docstrings mention can be
    imported, so a moved module or a renamed function cannot leave a stale reference behind."""
    import importlib
    import re

    root = Path(__file__).resolve().parent.parent
    files = [root / "README.md", *sorted((root / "docs").glob("*.md")), *sorted((root / "src").rglob("*.py"))]
    stale = []
    for f in files:
        for name in sorted(set(re.findall(r"\bdyadsim(?:\.[A-Za-z_][A-Za-z0-9_]*)+", f.read_text(encoding="utf-8")))):
            parts = name.split(".")
            obj, k = None, len(parts)
            while k > 0:
                try:
                    obj = importlib.import_module(".".join(parts[:k]))
                    break
                except ImportError:
                    k -= 1
            for attr in parts[k:]:
                obj = getattr(obj, attr, None)
                if obj is None:
                    stale.append(f"{f.relative_to(root)}: {name}")
                    break
    assert not stale, "names that do not exist:\n" + "\n".join(stale)
