"""Health economics of the simulated strategies: cost and utility inputs (:mod:`.inputs`), the
names of what is costed and weighted (:mod:`.names`), costs, life-years and QALYs per dyad from a
run's records (:mod:`.accounting`), the decision analysis (:mod:`.decision`) and the value of
information (:mod:`.voi`), the ``dyadsim economics`` job (:mod:`.job`, its settings and tables in
:mod:`.results`) and its report with the CHEERS 2022 checklist (:mod:`.report`)."""
