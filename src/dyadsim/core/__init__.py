"""Layer 0, the ground every other layer stands on: input errors, counter-based random numbers,
interrupt handling, the registry of parameters, states and streams, safe YAML, interval statistics
and the package version. Imports nothing else of the package (docs/architecture.md)."""
