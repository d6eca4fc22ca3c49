#!/usr/bin/env python3
"""Solves a `nuanxin matching solve` file with OR-Tools' SimpleMinCostFlow, the same model as the engine:
supply = demand at each task, task->helper (capacity 1, the pair's cost), helper->sink (the helper's
capacity), task->sink "unfilled" (capacity = demand, the task's unassigned cost). Prints {"cost": N} on
stdout, and the time of each phase on stderr. Arcs are handed over as numpy arrays, OR-Tools' fastest path.

    python3 ortools_solve.py problem.json
"""
import json
import sys
import time

import numpy as np
from ortools.graph.python import min_cost_flow


def main(path):
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        problem = json.load(f)
    t1 = time.perf_counter()
    default = problem.get("unassigned_cost")
    tasks, helpers, arcs = problem["tasks"], problem["helpers"], problem["arcs"]
    nt, nh = len(tasks), len(helpers)
    task_index = {t["id"]: i for i, t in enumerate(tasks)}
    helper_index = {h["id"]: nt + i for i, h in enumerate(helpers)}
    sink = nt + nh
    demand = np.array([t.get("demand", 1) for t in tasks], dtype=np.int64)
    unassigned = np.array([t.get("unassigned_cost", default) for t in tasks], dtype=np.int64)
    capacity = np.array([h["capacity"] for h in helpers], dtype=np.int64)
    tails = np.concatenate([
        np.fromiter((task_index[a["task"]] for a in arcs), dtype=np.int32, count=len(arcs)),
        np.arange(nt, nt + nh, dtype=np.int32),
        np.arange(nt, dtype=np.int32),
    ])
    heads = np.concatenate([
        np.fromiter((helper_index[a["helper"]] for a in arcs), dtype=np.int32, count=len(arcs)),
        np.full(nh, sink, dtype=np.int32),
        np.full(nt, sink, dtype=np.int32),
    ])
    caps = np.concatenate([np.ones(len(arcs), dtype=np.int64), capacity, demand])
    costs = np.concatenate([
        np.fromiter((a["cost"] for a in arcs), dtype=np.int64, count=len(arcs)),
        np.zeros(nh, dtype=np.int64),
        unassigned,
    ])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.concatenate([demand, np.zeros(nh, dtype=np.int64), [-int(demand.sum())]])
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    t2 = time.perf_counter()
    status = flow.solve()
    t3 = time.perf_counter()
    if status != flow.OPTIMAL:
        sys.exit(f"OR-Tools: status {status}")
    print(json.dumps({"cost": flow.optimal_cost()}))
    print(
        f"ortools: read+parse {t1 - t0:.3f} s, build {t2 - t1:.3f} s, solve {t3 - t2:.3f} s, "
        f"read+build+solve {t3 - t0:.3f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main(sys.argv[1])
