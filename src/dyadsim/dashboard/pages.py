"""The dashboard's four pages: Scenario, Run and compare, Look, Open.

Every input is a Streamlit widget with a label (reachable with the keyboard: Tab moves between them)
and a key (what the tests set); a number is typed freely and the allowed range is shown beside it,
so that a bad value reaches the scenario's own validation and is refused with the command line's
message. Runs go to a worker process (:mod:`dyadsim.dashboard.background`); the sidebar polls its
status about once a second without rerunning the page.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from dyadsim.config.uncertainty import DEFAULT_SOURCE, PARAMETER_SOURCES
from dyadsim.core.errors import InputError
from dyadsim.dashboard import background, form
from dyadsim.dashboard import folders as F
from dyadsim.dashboard.show import show_folder

PAGES = ("Scenario", "Run and compare", "Look", "Open")
RUNS_ENV = "DYADSIM_DASHBOARD_RUNS"
"""Environment variable naming the runs folder (``dyadsim dashboard --runs DIR`` sets it)."""
ORIGIN = "scenario form"
"""How messages about the form's scenario name it (as the command line names the file)."""
SOURCE_HELP = {"posterior": "members of the calibrated posterior ensemble, one per replicate (intervals carry "
                            "parameter and stochastic uncertainty)",
               "prior": "draws from the parameters' priors, one per replicate",
               "point": "the parameters' values (intervals carry stochastic uncertainty only)"}
"""What each ``--parameters`` choice means (the command line's choices, :data:`PARAMETER_SOURCES`)."""
KEPT = (form.PROGRAMME_KEY, *form.BY_KEY, "name", "parameters", "reference", "start_from", "example",
        "folder_name", "look_folder", "open_folder", "open_path")
"""Widget keys whose values are kept while their page is not shown."""
POLL_S = 1.0
"""How often the sidebar reads a running job's status (seconds)."""


def runs_folder() -> Path:
    """The folder results are written to and opened from."""
    return Path(os.environ.get(RUNS_ENV) or "results")


def _state() -> Any:
    return st.session_state


def load_base(data: dict[str, Any], origin: str) -> None:
    """Make ``data`` the form's starting point: every widget takes the scenario's value."""
    s = _state()
    s["base"], s["base_origin"] = data, origin
    for key, value in form.values_of(data).items():
        s[key] = value
    s["name"] = str(data.get("name", "scenario"))


def _on_example() -> None:
    load_base(form.example_data(_state()["example"]), f"{_state()['example']}.yaml")


def _on_upload() -> None:
    up = _state().get("upload")
    if up is None:
        return
    try:
        load_base(form.uploaded_data(up.getvalue().decode("utf-8", errors="replace"), up.name), up.name)
        _state()["upload_error"] = None
    except InputError as exc:
        _state()["upload_error"] = str(exc)


def _on_programme() -> None:
    """A programme chosen: its dose fields take the starting point's values, or the programme's defaults."""
    _state().update(form.dose_values(_state()["base"], _state()[form.PROGRAMME_KEY]))


def form_values() -> dict[str, Any]:
    """The form's current values (widget keys -> values)."""
    s = _state()
    return {k: s.get(k) for k in (form.PROGRAMME_KEY, *form.BY_KEY)} | {"name": s.get("name")}


def current() -> tuple[dict[str, Any], form.Checked | None, str | None]:
    """The scenario the form describes: its mapping, the checked scenario (None if refused) and the
    refusal's message (None if valid)."""
    values = form_values()
    data = form.scenario_data(_state()["base"], values)
    data["name"] = values["name"]
    try:
        return data, form.check(data, ORIGIN), None
    except InputError as exc:
        return data, None, str(exc)


def _checked() -> tuple[dict[str, Any], form.Checked | None]:
    """The form's scenario and, if it passes the checks, the checked scenario (else the refusal is shown)."""
    data, checked, error = current()
    if error:
        st.error(error)
    return data, checked


def _cohort(checked: form.Checked) -> str:
    c = checked.scenario.cohort
    return f"{c.dyads} dyads x {c.replicates} replicates, {c.horizon_months} months after birth"


def _input(f: form.Field) -> None:
    """One widget for field ``f``, its allowed values in its help and caption."""
    help_ = f"allowed: {f.allowed()}"
    if f.kind in ("int", "float"):
        st.number_input(f.label, key=f.key, help=help_, step=1 if f.kind == "int" else 0.05,
                        format=None if f.kind == "int" else "%.3f")
        st.caption(f"allowed: {f.allowed()}")
    elif f.kind == "bool":
        st.checkbox(f.label, key=f.key, help=help_)
    elif f.kind == "choice":
        st.selectbox(f.label, f.choices(), key=f.key, help=help_)
    else:
        st.multiselect(f.label, f.choices(), key=f.key, help=help_)


def scenario_page() -> None:
    """Start from a shipped example or a scenario file; change the cohort, programme and dose, MOUD
    policy, care setting and supports."""
    s = _state()
    st.title("Scenario", anchor=False)
    st.radio("Start from", ("a shipped example", "a scenario file"), key="start_from", horizontal=True)
    if s["start_from"] == "a shipped example":
        st.selectbox("Example", form.scenario_examples(), key="example", on_change=_on_example,
                     help="the examples shipped with dyadsim ('dyadsim example --list')")
    else:
        st.file_uploader("Scenario file (YAML)", type=["yaml", "yml"], key="upload", on_change=_on_upload)
        if s.get("upload_error"):
            st.error(s["upload_error"])
    st.caption(f"Starting point: {s['base_origin']}")
    st.text_input("Scenario name", key="name", help="letters, digits, space and _ . + - (it labels tables and files)")
    cols = st.columns(2)
    for i, section in enumerate(form.SECTIONS):
        with cols[i % 2]:
            st.subheader(section, anchor=False)
            if section == "Programme":
                st.selectbox("Group programme", list(form.PROGRAMME_LABELS), key=form.PROGRAMME_KEY,
                             format_func=form.PROGRAMME_LABELS.get, on_change=_on_programme)
            for f in form.FIELDS:
                if f.section != section:
                    continue
                if f.key.startswith("dose.") and (s[form.PROGRAMME_KEY] == form.NO_PROGRAMME or (
                        f.name == "components" and not form.has_components(s[form.PROGRAMME_KEY]))):
                    continue
                _input(f)
    st.subheader("Parameters", anchor=False)
    st.selectbox("Parameter sets", PARAMETER_SOURCES, key="parameters", format_func=lambda x: f"{x}: {SOURCE_HELP[x]}")
    data, checked = _checked()
    if checked is not None:
        st.success(f"{checked.scenario.name}: valid; {_cohort(checked)}.")
    with st.expander("The scenario file this form makes"):
        import yaml

        st.code(yaml.safe_dump(data, sort_keys=False), language="yaml")


def _start(kind: str) -> None:
    """Start a run or a comparison of the form's scenario (button callback)."""
    s = _state()
    job = s.get("job")
    if job is not None and not job.finished:
        s["start_error"] = "a run is going on: wait for it or cancel it first"
        return
    data, checked, error = current()
    if error:
        s["start_error"] = error
        return
    scenarios = [data]
    if kind == "compare":
        ref = form.example_data(s["reference"])
        ref["cohort"] = dict(data.get("cohort", {}))  # as on the command line, the first's cohort is used for all
        scenarios = [ref, data]
        try:
            form.check(ref, f"{s['reference']}.yaml")
        except InputError as exc:
            s["start_error"] = str(exc)
            return
    names = [str(d["name"]) for d in scenarios]
    name = s.get("folder_name") or background.default_name(names, kind)
    try:
        s["job"] = background.start(kind, scenarios, runs_folder(), name, s.get("parameters", DEFAULT_SOURCE))
        s["start_error"] = None
        s["folder_name"] = ""
        s["job_shown"] = False
    except InputError as exc:
        s["start_error"] = str(exc)


def run_page() -> None:
    """Run the scenario, or compare it with a reference, in the background."""
    s = _state()
    st.title("Run and compare", anchor=False)
    _, checked = _checked()
    if checked is not None:
        st.write(f"Scenario **{checked.scenario.name}**: {_cohort(checked)}; parameters: "
                 f"{s.get('parameters', DEFAULT_SOURCE)}. Results go to `{runs_folder()}/`.")
    st.text_input("Result folder name (empty: the scenario's name and the time)", key="folder_name",
                  help="letters, digits and _ . + -")
    st.selectbox("Compare with (the reference: differences are the scenario minus it)", form.scenario_examples(),
                 key="reference")
    left, right = st.columns(2)
    left.button("Run the scenario", key="run_button", on_click=_start, args=("run",), type="primary",
                disabled=checked is None)
    right.button("Compare with the reference", key="compare_button", on_click=_start, args=("compare",),
                 disabled=checked is None)
    if s.get("start_error"):
        st.error(s["start_error"])
    job = s.get("job")
    if job is not None:
        st.caption("The same on the command line:")
        st.code(job.command, language="bash")
        status = job.status()
        if status["state"] == "done":
            st.success(status["message"])
            st.button("Look at the results", key="look_button", on_click=_look_at, args=(str(job.out),))
        elif status["state"] in ("failed", "cancelled"):
            st.error(status["message"])


def _look_at(path: str) -> None:
    _state()["look_folder"] = path
    _state()["page"] = "Look"


def _job_status() -> None:
    """The sidebar's view of the session's job: progress, what it is doing, a cancel button; when it
    ends, the whole page is rerun once (to show the results)."""
    s = _state()
    job = s["job"]
    status = job.status()
    total = max(int(status.get("total") or 1), 1)
    done = min(int(status.get("done") or 0), total)
    counted = f"{done:,} of {total:,} dyads: " if total > 1 else ""  # the total is known once the scenario is read
    st.progress(done / total, text=f"{counted}{status.get('message', '')}")
    if status["state"] not in background.FINISHED:
        st.button("Cancel the run", key="cancel_button", on_click=job.cancel)
    elif not s.get("job_shown"):
        s["job_shown"] = True
        if status["state"] == "done":
            s["look_folder"] = str(job.out)
        st.rerun()


def sidebar() -> None:
    """The page choice and the session's run: while it goes on, its status is read every
    :data:`POLL_S` seconds by a fragment (only the fragment reruns, not the page)."""
    with st.sidebar:
        st.radio("Page", PAGES, key="page")
        job = _state().get("job")
        if job is not None:
            st.subheader("Run", anchor=False)
            st.fragment(_job_status, run_every=None if job.finished and _state().get("job_shown") else POLL_S)()
        st.caption(f"Results folder: {runs_folder()}")


def look_page() -> None:
    """The results of the last run (or of the folder chosen on the Open page)."""
    st.title("Look", anchor=False)
    folders = F.list_folders(runs_folder())
    if not folders:
        st.info("No results yet: run a scenario on the Run and compare page, or open a folder on the Open page.")
        return
    paths = [str(f.path) for f in folders]
    chosen = _state().get("look_folder")
    if chosen not in paths and chosen and (folder := F.read_folder(Path(chosen))) is not None:
        folders.insert(0, folder)
        paths.insert(0, chosen)
    labels = {str(f.path): f.label for f in folders}
    if _state().get("look_folder") not in paths:
        _state()["look_folder"] = paths[0]
    st.selectbox("Results", paths, key="look_folder", format_func=labels.get)
    folder = next(f for f in folders if str(f.path) == _state()["look_folder"])
    show_folder(folder, runs_folder(), "look")


def _on_open_path() -> None:
    """A folder's path typed: show that folder."""
    typed = (_state().get("open_path") or "").strip()
    folder = F.read_folder(Path(typed).expanduser()) if typed else None
    if folder is not None:
        _state()["open_folder"] = str(folder.path)


def open_page() -> None:
    """Every earlier result folder in the runs folder, or any folder by its path."""
    st.title("Open", anchor=False)
    folders = F.list_folders(runs_folder())
    st.write(f"{len(folders)} result folder(s) in `{runs_folder()}/` (runs, comparisons, trials, power, "
             "sensitivity, calibration and any other results dyadsim wrote), newest first.")
    if folders:
        st.dataframe([{"folder": f.path.name, "kind": f.kind, "made": f.created[:19].replace("T", " ")}
                      for f in folders], hide_index=True, key="open_list")
    st.text_input("Or a folder's path", key="open_path", help="any folder holding a dyadsim manifest.json",
                  on_change=_on_open_path)
    options = [str(f.path) for f in folders]
    typed = (_state().get("open_path") or "").strip()
    if typed:
        folder = F.read_folder(Path(typed).expanduser())
        if folder is None:
            st.error(f"{typed}: field 'folder': holds no dyadsim manifest.json; give a folder dyadsim wrote")
            return
        if str(folder.path) not in options:
            options.insert(0, str(folder.path))
            folders.insert(0, folder)
    if not options:
        return
    labels = {str(f.path): f.label for f in folders}
    if _state().get("open_folder") not in options:
        _state()["open_folder"] = options[0]
    st.selectbox("Folder", options, key="open_folder", format_func=labels.get)
    folder = next(f for f in folders if str(f.path) == _state()["open_folder"])
    st.button("Show it on the Look page", key="open_button", on_click=_look_at, args=(str(folder.path),))
    show_folder(folder, runs_folder(), "open")


def main() -> None:
    """The app: the form's starting point on first load, the sidebar, the chosen page."""
    s = _state()
    for key in KEPT:  # widget values outlive the pages that show them (Streamlit drops a hidden widget's)
        if key in s:
            s[key] = s[key]
    if "base" not in s:
        s["example"] = "usual_care"
        s["parameters"] = DEFAULT_SOURCE
        s["reference"] = "usual_care"
        load_base(form.example_data("usual_care"), "usual_care.yaml")
        from dyadsim.dashboard.show import notice

        notice(DEFAULT_SOURCE)  # read the targets once now, not when a result is first shown
    sidebar()
    {"Scenario": scenario_page, "Run and compare": run_page, "Look": look_page, "Open": open_page}[s["page"]]()
