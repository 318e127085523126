"""Layer 3, what a user writes: scenario files (validated), the shipped examples, the parameter
space that sensitivity analysis and parameter draws sample, and how well grounded the parameters are."""
