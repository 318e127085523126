"""Decision analysis of strategies: the efficiency frontier, ICERs, net benefit, CEAC, CEAF, EVPI.

* **Frontier** (:func:`frontier`): strategies sorted by cost; a strategy is *dominated* when another
  costs no more and gives at least as much effect (one of the two strictly); of those left, one is
  *extendedly dominated* when its ICER over the previous frontier strategy is higher than the next
  one's (a mix of its neighbours does better), removed one at a time until the ICERs rise. The
  ICER of each frontier strategy is over the frontier strategy before it (Drummond et al., Methods
  for the Economic Evaluation of Health Care Programmes; as dampack's ``calculate_icers``: statuses
  ND, D, ED).
* **Net benefit** at willingness to pay ``k`` per unit of effect: NMB = k x E - C, NHB = E - C / k.
* **Probabilistic analysis** over draws (rows) and strategies (columns): the CEAC is the share of
  draws in which each strategy has the highest NMB; the CEAF marks, at each ``k``, the strategy
  with the highest *expected* NMB and the probability that it is the best; the EVPI is
  ``E[max_d NMB_d] - max_d E[NMB_d]`` (per dyad, in money; Briggs, Claxton and Sculpher 2006,
  Decision Modelling for Health Economic Evaluation, chapter 7).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

STATUS = {"ND": "on the frontier", "D": "dominated", "ED": "extendedly dominated"}


def frontier(names: list[str], cost: np.ndarray, effect: np.ndarray) -> pd.DataFrame:
    """The incremental table: one row per strategy (sorted by cost, then effect) with ``status``
    (ND, D, ED), and for frontier strategies the incremental cost and effect over the previous
    frontier strategy and the ICER (``NaN`` for the first).

    Ties in both cost and effect keep the first strategy given and mark the other dominated.
    """
    cost = np.asarray(cost, dtype=np.float64)
    effect = np.asarray(effect, dtype=np.float64)
    if not (len(names) == len(cost) == len(effect)) or not len(names):
        raise ValueError("names, cost and effect must have the same, non-zero length")
    order = sorted(range(len(names)), key=lambda i: (cost[i], -effect[i], i))
    status = {i: "ND" for i in order}
    for i in order:  # strong dominance: another no dearer and no less effective, one strictly
        for j in order:
            if j != i and cost[j] <= cost[i] and effect[j] >= effect[i] and (
                    cost[j] < cost[i] or effect[j] > effect[i] or j < i):
                status[i] = "D"
                break
    while True:  # extended dominance, one at a time until the ICERs rise along the frontier
        nd = [i for i in order if status[i] == "ND"]
        icers = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in zip(nd, nd[1:])]
        bad = [nd[k + 1] for k in range(len(icers) - 1) if icers[k] > icers[k + 1]]
        if not bad:
            break
        status[bad[0]] = "ED"
    rows, prev = [], None
    for i in order:
        row = {"strategy": names[i], "cost": cost[i], "effect": effect[i], "status": status[i],
               "incremental_cost": np.nan, "incremental_effect": np.nan, "icer": np.nan}
        if status[i] == "ND":
            if prev is not None:
                dc, de = cost[i] - cost[prev], effect[i] - effect[prev]
                row.update(incremental_cost=dc, incremental_effect=de, icer=dc / de)
            prev = i
        rows.append(row)
    return pd.DataFrame(rows)


def net_benefit(cost: np.ndarray, effect: np.ndarray, wtp: float) -> tuple[np.ndarray, np.ndarray]:
    """Net monetary and net health benefit at willingness to pay ``wtp`` per unit of effect."""
    cost, effect = np.asarray(cost, dtype=np.float64), np.asarray(effect, dtype=np.float64)
    return wtp * effect - cost, effect - cost / wtp


def evpi(nmb: np.ndarray) -> float:
    """Expected value of perfect information from net monetary benefit draws, shape (draws, strategies)."""
    nmb = np.asarray(nmb, dtype=np.float64)
    best = int(nmb.mean(axis=0).argmax())
    # E[max_d NMB_d] - E[NMB_best], one mean of differences: never below zero, exactly zero when the
    # same strategy is best in every draw
    return float((nmb.max(axis=1) - nmb[:, best]).mean())


def acceptability(names: list[str], cost: np.ndarray, effect: np.ndarray, wtps: list[float]) -> pd.DataFrame:
    """CEAC, CEAF and EVPI over draws: for each willingness to pay, each strategy's probability of
    having the highest NMB, its expected NMB, whether it is the optimal one (highest expected NMB:
    the CEAF), and the EVPI (per dyad). ``cost``, ``effect``: shape (draws, strategies)."""
    cost, effect = np.asarray(cost, dtype=np.float64), np.asarray(effect, dtype=np.float64)
    rows = []
    for k in wtps:
        nmb = k * effect - cost
        best = nmb.argmax(axis=1)
        expected = nmb.mean(axis=0)
        optimal = int(expected.argmax())
        value = evpi(nmb)
        for j, name in enumerate(names):
            rows.append({"wtp": k, "strategy": name, "probability_best": float((best == j).mean()),
                         "expected_nmb": float(expected[j]), "optimal": j == optimal, "evpi": value})
    return pd.DataFrame(rows)
