"""Layer 7, the jobs that both faces call: a run, a comparison or a sensitivity analysis written
to a folder, end to end. The command line (:mod:`dyadsim.cli`) and the Python API
(:mod:`dyadsim.api`) parse their input their own way and then call the same function here."""
