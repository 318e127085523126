"""The script ``dyadsim dashboard`` starts with ``streamlit run app.py -- --runs DIR`` (the pages:
:mod:`dyadsim.dashboard.pages`; without ``--runs``, the folder named by the environment variable
``DYADSIM_DASHBOARD_RUNS``, else ``results``)."""
import argparse
import os

import streamlit as st

from dyadsim.dashboard.pages import RUNS_ENV, main

if __name__ == "__main__":  # not when a spawned process re-imports the main script ("__mp_main__")
    parser = argparse.ArgumentParser(prog="dyadsim dashboard", add_help=False, allow_abbrev=False)
    parser.add_argument("--runs", default=None)
    runs = parser.parse_known_args()[0].runs
    if runs:
        os.environ[RUNS_ENV] = runs
    st.set_page_config(page_title="dyadsim dashboard", layout="wide")
    main()
