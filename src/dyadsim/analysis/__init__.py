"""Layer 5, what is computed from runs: paired comparisons with common random numbers, survival
curves and restricted mean times, sensitivity analysis (Morris, Sobol)."""
