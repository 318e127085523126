"""Layer 4, the pipeline of one run: scenario -> population -> engine -> outcome tables -> store
(atomic folders, a DuckDB catalogue, manifests, reruns), and the executors of many runs (sweeps,
cost estimates)."""
