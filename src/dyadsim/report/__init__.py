"""Layer 6, what a person looks at: the run report (HTML, figures), the comparison page, the
sensitivity plots and the drawings of the mechanism graph."""
