#!/usr/bin/python3
"""bench/sampler_moo_peer.py - Optuna's half of the multi-objective case of
bench/sampler: ZDT1 (30 parameters on [0, 1], both objectives minimised) with
Optuna 3.x's MOTPESampler and NSGAIISampler (their defaults) and RandomSampler,
TRIALS ask/tell rounds for each of SEEDS seeds from SEED0 on (seeds 1000 + i, as
bench_sampler --moo). Figures: the hypervolume of all the trials' objective
vectors against the reference point (11, 11) at half and at the whole budget
(mean, standard error, median over the seeds), computed here by its own sweep.
Prints a table, then one JSON line. Exits 3 when optuna is absent.
"""
import argparse
import json
import math
import statistics
import sys
import time

try:
    import optuna
    from optuna.distributions import FloatDistribution
except ImportError:
    print("optuna is not importable", file=sys.stderr)
    sys.exit(3)

optuna.logging.set_verbosity(optuna.logging.ERROR)
import warnings  # noqa: E402
warnings.filterwarnings("ignore")

D = 30
SPACE = {f"x{i + 1}": FloatDistribution(0.0, 1.0) for i in range(D)}
REF = (11.0, 11.0)


def zdt1(x):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    return x[0], g * (1 - math.sqrt(x[0] / g))


def hypervolume(points, ref=REF):
    """Area dominated by the points (both minimised) up to ref: the staircase."""
    inside = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    area, ymin = 0.0, ref[1]
    for x, y in inside:
        if y < ymin:
            area += (ref[0] - x) * (ymin - y)
            ymin = y
    return area


def make_sampler(kind, seed):
    if kind == "optuna_motpe":
        return optuna.samplers.MOTPESampler(seed=seed)
    if kind == "optuna_nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def run_one(kind, seed, trials):
    study = optuna.create_study(directions=["minimize", "minimize"],
                                sampler=make_sampler(kind, seed))
    values = []
    for _ in range(trials):
        trial = study.ask(SPACE)
        v = zdt1([trial.params[k] for k in SPACE])
        study.tell(trial, v)
        values.append(v)
    return hypervolume(values[:trials // 2]), hypervolume(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed0", type=int, default=0)
    ap.add_argument("--trials", type=int, default=300)
    args = ap.parse_args()
    out = {"zdt1": {}}
    print(f"{'function':8s} {'sampler':13s} {'mean@half':>10s} {'mean@all':>10s} {'se@all':>9s} "
          f"{'median@all':>10s} {'s/run':>7s}   (hypervolume, ref 11,11, {args.trials} trials, "
          f"{args.seeds} seeds)")
    for kind in ("optuna_motpe", "optuna_nsga2", "optuna_random"):
        half, full, secs = [], [], 0.0
        for s in range(args.seeds):
            t0 = time.process_time()  # CPU time, like bench_sampler.c
            h, f = run_one(kind, 1000 + args.seed0 + s, args.trials)
            secs += time.process_time() - t0
            half.append(h)
            full.append(f)
        row = {"mean_half": statistics.fmean(half), "mean": statistics.fmean(full),
               "se": statistics.stdev(full) / math.sqrt(len(full)) if len(full) > 1 else 0.0,
               "median": statistics.median(full), "seeds": args.seeds, "trials": args.trials,
               "seconds_per_run": secs / args.seeds, "hv_half": half, "hv": full}
        out["zdt1"][kind] = row
        print(f"{'zdt1':8s} {kind:13s} {row['mean_half']:10.4f} {row['mean']:10.4f} "
              f"{row['se']:9.4f} {row['median']:10.4f} {row['seconds_per_run']:7.2f}", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
