"""tracker_peer.py - the peer of bench_tracker: Optuna 3.1's RDB storage on SQLite.
Optuna has no batched metric logging, so its figure is trial.report(value, step)
(one intermediate value per call), and a trial's life (ask, 6 params, 10 reports,
tell) stands for "runs finished". Optuna cannot filter or order trials in the
database, so there is no query figure. Prints one JSON line."""
import json
import os
import tempfile
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
with tempfile.TemporaryDirectory() as d:
    storage = "sqlite:///" + os.path.join(d, "peer.db")
    study = optuna.create_study(study_name="peer", storage=storage, direction="minimize")

    trial = study.ask()
    rows = 300
    t0 = time.perf_counter()
    for step in range(rows):
        trial.report(1.0 / (1 + step), step)
    report_rate = rows / (time.perf_counter() - t0)
    study.tell(trial, 0.5)

    n = 20
    t0 = time.perf_counter()
    for i in range(n):
        t = study.ask()
        t.suggest_int("units", 16, 256, log=True)
        t.suggest_int("layers", 1, 3)
        t.suggest_float("dropout", 0.0, 0.5)
        t.suggest_float("lr", 1e-4, 1e-2, log=True)
        t.suggest_categorical("batch_size", [32, 64, 128])
        t.suggest_categorical("act", ["relu", "tanh"])
        for step in range(10):
            t.report(0.1 * step, step)
        study.tell(t, 0.5)
    trial_rate = n / (time.perf_counter() - t0)

print(json.dumps({"optuna_reports_per_s": round(report_rate, 1),
                  "optuna_trials_per_s": round(trial_rate, 1)}))
