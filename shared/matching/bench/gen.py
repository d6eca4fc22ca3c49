#!/usr/bin/env python3
"""Makes a matching problem in the JSON contract of `nuanxin matching solve`, shaped like a district's run.

Tasks cluster around community centres (where the elders live), helpers spread wider; each task's candidates
are its nearest helpers (about ARCS / TASKS of them), so neighbouring tasks compete for the same people.
Costs are the distance in metres (halved) plus a preference of up to 2,000, capped at 10,000; capacities
1-3, demands 1-2, a tenth of the tasks urgent (their own higher unassigned cost), 3 % with no candidate.
Deterministic for a seed.

    python3 gen.py --tasks 10000 --helpers 50000 --arcs 200000 --seed 1 > problem.json
    python3 gen.py --tasks 1000 --helpers 1000 --arcs 20000 --unit > assignment.json
"""
import argparse
import json
import math
import random
import sys

SIDE = 20_000  # metres: a district of 20 km x 20 km
CELL = 500


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--helpers", type=int, default=50_000)
    ap.add_argument("--arcs", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unit", action="store_true", help="every demand and capacity 1 (a plain assignment problem)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    centres = [(rng.uniform(0, SIDE), rng.uniform(0, SIDE)) for _ in range(30)]

    def place(near_share, sigma):
        if rng.random() < near_share:
            cx, cy = rng.choice(centres)
            x, y = rng.gauss(cx, sigma), rng.gauss(cy, sigma)
        else:
            x, y = rng.uniform(0, SIDE), rng.uniform(0, SIDE)
        return min(max(x, 0.0), SIDE - 1), min(max(y, 0.0), SIDE - 1)

    helpers = [place(0.5, 1500) for _ in range(args.helpers)]
    grid = {}
    for i, (x, y) in enumerate(helpers):
        grid.setdefault((int(x // CELL), int(y // CELL)), []).append(i)
    cells = SIDE // CELL

    def nearest(x, y, k):
        """The k nearest helpers: rings of cells until k are found and no closer one can be outside."""
        cx, cy = int(x // CELL), int(y // CELL)
        found = []
        ring = 0
        while True:
            for gx in range(cx - ring, cx + ring + 1):
                for gy in range(cy - ring, cy + ring + 1):
                    if max(abs(gx - cx), abs(gy - cy)) == ring:
                        for h in grid.get((gx, gy), ()):
                            hx, hy = helpers[h]
                            found.append((math.hypot(hx - x, hy - y), h))
            if len(found) >= k:
                found.sort()
                if found[k - 1][0] <= ring * CELL or ring > cells:
                    return found[:k]
            ring += 1

    tasks = [place(0.8, 800) for _ in range(args.tasks)]
    without = set(rng.sample(range(args.tasks), args.tasks * 3 // 100))
    with_arcs = [t for t in range(args.tasks) if t not in without]
    # Split the arcs over the tasks that have candidates: the mean per task, give or take a few.
    base, extra = divmod(args.arcs, len(with_arcs))
    counts = {t: base + (1 if i < extra else 0) for i, t in enumerate(with_arcs)}
    for _ in range(len(with_arcs)):
        a, b = rng.sample(with_arcs, 2)
        shift = rng.randint(0, 3)
        if counts[a] - shift >= 1 and counts[b] + shift <= args.helpers:
            counts[a] -= shift
            counts[b] += shift

    out = sys.stdout
    out.write('{"unassigned_cost": 8000,\n"tasks": [\n')
    for t in range(args.tasks):
        demand = 2 if rng.random() < 0.3 else 1
        item = {"id": f"task-{t}", "demand": 1 if args.unit else demand}
        if rng.random() < 0.1:
            item["unassigned_cost"] = 20_000
        out.write(("," if t else "") + json.dumps(item) + "\n")
    out.write('],\n"helpers": [\n')
    for h in range(args.helpers):
        out.write(("," if h else "") + json.dumps({"id": f"helper-{h}", "capacity": 1 if args.unit else rng.randint(1, 3)}) + "\n")
    out.write('],\n"arcs": [\n')
    first = True
    for t in with_arcs:
        x, y = tasks[t]
        for dist, h in nearest(x, y, counts[t]):
            cost = min(10_000, int(dist / 2) + rng.randint(0, 2000))
            out.write(("" if first else ",") + f'{{"task": "task-{t}", "helper": "helper-{h}", "cost": {cost}}}\n')
            first = False
    out.write("]}\n")


if __name__ == "__main__":
    main()
