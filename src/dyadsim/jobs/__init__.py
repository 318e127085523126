"""Layer 7, the jobs that every face calls: a run, a comparison or a sensitivity analysis written
to a folder, end to end. The command line (:mod:`dyadsim.cli`), the Python API (:mod:`dyadsim.api`)
and the dashboard (:mod:`dyadsim.dashboard`) parse their input their own way and then call the same
function here."""
