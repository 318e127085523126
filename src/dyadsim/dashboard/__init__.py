"""The dashboard face: ``dyadsim dashboard``, a local Streamlit page for people who will not open a
terminal or write YAML.

It parses its input its own way (a form over a shipped example or an uploaded scenario file) and then
calls the same functions as the command line: the scenario's validation (:mod:`dyadsim.config.scenario`,
so a bad value is refused with the command line's message), :func:`dyadsim.jobs.run.run_into` and
:func:`dyadsim.jobs.compare.write_loaded` (in a worker process, :mod:`~dyadsim.dashboard.worker`, so
the page keeps answering), and the figures the run and comparison jobs already write.

* :mod:`~dyadsim.dashboard.form`: the scenario form, its allowed ranges and its checks;
* :mod:`~dyadsim.dashboard.background`: runs in a worker process, their progress and cancelling;
* :mod:`~dyadsim.dashboard.worker`: the worker process itself;
* :mod:`~dyadsim.dashboard.folders`: earlier result folders, what they hold, the mechanism graph;
* :mod:`~dyadsim.dashboard.show`: how a result folder is shown;
* :mod:`~dyadsim.dashboard.pages`: the four pages; ``app.py``: the script ``streamlit run`` starts;
* :mod:`~dyadsim.dashboard.serve`: the server started in the background (the browser test, the screenshot).
"""
