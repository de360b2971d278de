#!/usr/bin/python3
"""bench/sampler_peer.py - Optuna's half of the sampler benchmark (see bench/sampler).

Runs Optuna 3.x's TPESampler (multivariate, constant_liar, n_startup_trials 10, as
seqtune's tpe defaults; group=True on the conditional space) and RandomSampler on the
same six test functions and spaces as optimizer/testfuncs.c, 100 trials x N seeds, and times one TPE ask on the "mixed"
space after 100 / 1,000 / 10,000 finished trials (in-memory storage, study built with
add_trials). Prints a table, then one JSON line. Exits 3 when optuna is absent.
"""
import argparse
import json
import math
import statistics
import sys
import time

try:
    import optuna
    from optuna.distributions import (CategoricalDistribution, FloatDistribution,
                                      IntDistribution)
except ImportError:
    print("optuna is not importable", file=sys.stderr)
    sys.exit(3)

optuna.logging.set_verbosity(optuna.logging.ERROR)
import warnings  # noqa: E402
warnings.filterwarnings("ignore")


def branin(x):
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    u = x[1] - b * x[0] ** 2 + c * x[0] - r
    return a * u * u + s * (1 - t) * math.cos(x[0]) + s


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
     [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
     [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann6(x):
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6)))
                for i in range(4))


def rosenbrock5(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def styblinski_tang4(x):
    return sum(0.5 * (v ** 4 - 16 * v * v + 5 * v) for v in x)


BATCHES = [32, 64, 128]


def mixed(x):
    seq = (x[0] - 64) / 40.0
    units = math.log(x[1] / 96.0)
    layers = abs(x[2] - 2)
    drop = (x[3] - 0.2) / 0.15
    lr = math.log10(x[4]) + 3.0
    batch = {64: 0.0, 32: 0.15, 128: 0.35}[x[5]]
    return (seq * seq + 0.8 * units * units + 0.3 * layers + drop * drop + lr * lr
            + 0.8 * drop * lr + batch)


COND_LAYER_COST = [1.0, 0.6, 0.0, 0.4]
COND_UNITS_BEST = [128, 64, 32, 48]


def conditional(trial):
    """optimizer/testfuncs.c's "conditional", written define-by-run: units_k
    exists when layers >= k, momentum when the optimizer is sgd."""
    layers = trial.suggest_int("layers", 1, 4)
    f = COND_LAYER_COST[layers - 1]
    for k in range(layers):
        u = math.log(trial.suggest_int(f"units_{k + 1}", 16, 256, log=True) / COND_UNITS_BEST[k])
        f += 0.3 * u * u
    d = (trial.suggest_float("dropout", 0.0, 0.5) - 0.2) / 0.15
    f += 0.25 * d * d
    if trial.suggest_categorical("optimizer", ["adam", "sgd"]) == "adam":
        return f + 0.1
    m = (trial.suggest_float("momentum", 0.0, 0.99) - 0.9) / 0.3
    return f + 0.2 * m * m


def cube(d, lo, hi):
    return {f"x{i + 1}": FloatDistribution(lo, hi) for i in range(d)}


MIXED_SPACE = {
    "window": IntDistribution(20, 120, step=4),
    "width": IntDistribution(16, 256, log=True),
    "layers": IntDistribution(1, 3),
    "dropout": FloatDistribution(0.0, 0.5),
    "step_size": FloatDistribution(1e-4, 1e-2, log=True),
    "batch_size": CategoricalDistribution(BATCHES),
}

FUNCS = [
    ("branin", branin, {"x1": FloatDistribution(-5, 10), "x2": FloatDistribution(0, 15)},
     0.39788735772973816),
    ("hartmann6", hartmann6, cube(6, 0, 1), -3.3223680114155147),
    ("rosenbrock5", rosenbrock5, cube(5, -2.048, 2.048), 0.0),
    ("styblinski_tang4", styblinski_tang4, cube(4, -5, 5), -39.16616570377142 * 4),
    ("mixed", mixed, MIXED_SPACE, 0.0),
    ("conditional", conditional, None, 0.0),   # define-by-run: space None
]
CHECKPOINTS = (25, 50, 100)


def make_sampler(kind, seed, group=False):
    if kind == "optuna_tpe":
        # group=True (a joint model per group of co-occurring parameters) for a
        # conditional space, as seqtune's TPE does there
        return optuna.samplers.TPESampler(n_startup_trials=10, multivariate=True, group=group,
                                          constant_liar=True, seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def run_one(fn, space, optimum, kind, seed, trials):
    study = optuna.create_study(sampler=make_sampler(kind, seed, group=space is None))
    best, reg = math.inf, {}
    for t in range(1, trials + 1):
        if space is None:   # define-by-run
            trial = study.ask()
            v = fn(trial)
        else:
            trial = study.ask(space)
            v = fn([trial.params[k] for k in space])
        study.tell(trial, v)
        best = min(best, v)
        if t in CHECKPOINTS:
            reg[t] = best - optimum
    return reg


def time_ask(n, asks, seed=7):
    import random
    rnd = random.Random(11)
    study = optuna.create_study(sampler=make_sampler("optuna_tpe", seed))
    trials = []
    for _ in range(n):
        params = {
            "window": 20 + 4 * rnd.randrange(26), "width": rnd.randint(16, 256),
            "layers": rnd.randint(1, 3), "dropout": rnd.uniform(0, 0.5),
            "step_size": 10 ** rnd.uniform(-4, -2), "batch_size": rnd.choice(BATCHES)}
        trials.append(optuna.trial.create_trial(
            params=params, distributions=MIXED_SPACE, value=mixed(list(params.values()))))
    study.add_trials(trials)
    t0 = time.process_time()  # CPU time, like bench_sampler.c
    for _ in range(asks):
        trial = study.ask(MIXED_SPACE)
        study.tell(trial, mixed([trial.params[k] for k in MIXED_SPACE]))
    return (time.process_time() - t0) * 1e3 / asks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--funcs", default=None)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--no-regret", action="store_true")
    args = ap.parse_args()
    out = {"regret": {}}
    if not args.no_regret:
        print(f"{'function':17s} {'sampler':12s} {'mean@25':>9s} {'mean@50':>9s} "
              f"{'mean@100':>9s} {'se@100':>9s} {'med@25':>9s} {'med@50':>9s} {'med@100':>9s}")
        for name, fn, space, optimum in FUNCS:
            if args.funcs and name not in args.funcs.split(","):
                continue
            out["regret"][name] = {}
            for kind in ("optuna_tpe", "optuna_random"):
                regs = [run_one(fn, space, optimum, kind, 1000 + s, args.trials)
                        for s in range(args.seeds)]
                row = {}
                for c in CHECKPOINTS:
                    v = [r[c] for r in regs if c in r]
                    if not v:
                        continue
                    row[f"mean_{c}"] = statistics.fmean(v)
                    row[f"se_{c}"] = (statistics.stdev(v) / math.sqrt(len(v))
                                      if len(v) > 1 else 0.0)
                    row[f"median_{c}"] = statistics.median(v)
                out["regret"][name][kind] = row
                g = lambda k: row.get(k, float("nan"))  # noqa: E731
                print(f"{name:17s} {kind:12s} {g('mean_25'):9.4g} {g('mean_50'):9.4g} "
                      f"{g('mean_100'):9.4g} {g('se_100'):9.3g} {g('median_25'):9.4g} "
                      f"{g('median_50'):9.4g} {g('median_100'):9.4g}", flush=True)
    if not args.no_timing:
        for n, asks in ((100, 20), (1000, 10), (10000, 3)):
            ms = time_ask(n, asks)
            out[f"ask_ms_at_{n}"] = ms
            print(f"optuna tpe ask after {n:5d} trials: {ms:.3f} ms", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
