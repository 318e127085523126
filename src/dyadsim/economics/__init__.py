"""Health economics of the simulated strategies: cost and utility inputs (:mod:`.inputs`), costs,
life-years and QALYs per dyad from a run's records (:mod:`.accounting`), decision analysis and the
value of information (:mod:`.decision`, :mod:`.voi`), the ``dyadsim economics`` job
(:mod:`.job`) and its report (:mod:`.report`)."""
