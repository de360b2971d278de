#!/usr/bin/python3
"""study_peer.py - the study bench/study runs in seqtune, written the way users
write it in Python: Optuna (TPE, multivariate) around a PyTorch nn.LSTM and a
hand-written walk-forward loop, numpy for features, labels, folds and scaling.

   study_peer.py SPEC.json [--replay PARAMS.json]

Reads the same spec file seqtune runs (only what this study uses: the candle
file, the features log_return[:LAG], realized_vol:N, volume_z:N, hl_range,
hour_of_day, day_of_week, the direction target, the folds, the holdout, the
embargo, the standard scaler, epochs, early stopping, ReduceLROnPlateau,
clipping, the space and the TPE settings; the pruner must be "none").
Each trial re-does its folds the usual way: split, scale, build windows, fit,
predict; then the best parameters are refit on the search rows and scored once
on the holdout. With --replay, the trials are seqtune's parameter sets (a JSON
list of objects, in order) queued with enqueue_trial, so both sides train the
same models. One thread. The last line is one JSON object.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import optuna
import torch


def load_candles(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1)
    return {"ts": a[:, 0].astype(np.int64), "open": a[:, 1], "high": a[:, 2],
            "low": a[:, 3], "close": a[:, 4], "volume": a[:, 5]}


def feature(c, text):
    name, *args = text.split(":")
    cl, n = c["close"], len(c["close"])
    out = np.full(n, np.nan)
    if name == "log_return":
        lag = int(args[0]) if args else 1
        out[lag:] = np.log(cl[lag:] / cl[:-lag])
        return [out], lag
    if name == "realized_vol":
        w = int(args[0]) if args else 24
        r = np.full(n, np.nan)
        r[1:] = np.log(cl[1:] / cl[:-1])
        win = np.lib.stride_tricks.sliding_window_view(r[1:], w)
        out[w:] = win.std(axis=1, ddof=1)
        return [out], w
    if name == "volume_z":
        w = int(args[0]) if args else 20
        lv = np.log1p(c["volume"])
        win = np.lib.stride_tricks.sliding_window_view(lv, w)
        m, sd = win.mean(axis=1), win.std(axis=1)
        z = np.where(sd > 0, (lv[w - 1:] - m) / np.where(sd > 0, sd, 1), 0.0)
        out[w - 1:] = z
        return [out], w - 1
    if name == "hl_range":
        return [(c["high"] - c["low"]) / cl], 0
    if name in ("hour_of_day", "day_of_week"):
        ts = c["ts"]
        day = ts // 86400
        if name == "hour_of_day":
            ang = 2 * np.pi * (ts - day * 86400) / 86400.0
        else:
            ang = 2 * np.pi * ((day + 3) % 7) / 7.0
        return [np.sin(ang), np.cos(ang)], 0
    sys.exit("study_peer.py: feature %r is not written here" % text)


def prepare(spec, base):
    path = spec["data"]["path"]
    if not os.path.isabs(path):
        path = os.path.join(base, path)
    c = load_candles(path)
    cols, warm = [], 0
    for f in spec["features"]:
        cs, w = feature(c, f)
        cols += cs
        warm = max(warm, w)
    X = np.stack(cols, axis=1)[warm:].astype(np.float32)
    cl = c["close"]
    h = spec.get("target", {}).get("horizon", 1)
    y = np.full(len(cl), np.nan, dtype=np.float32)
    ret = np.log(cl[h:] / cl[:-h])
    y[:-h] = np.where(ret > 0, 1.0, np.where(ret < 0, 0.0, np.nan))
    return X, y[warm:]


def windows_in(y, a, b, limit, seq_len, gap):
    e = np.arange(a, b)
    keep = (e >= seq_len - 1) & np.isfinite(y[a:b]) & (e + gap < limit)
    return e[keep]


def make_folds(rows, y, v, seq_len):
    H = rows - int(round(v.get("holdout_fraction", 0.15) * rows))
    k = v.get("folds", 5)
    T = H // (k + 1)
    first = H - k * T
    gap = 1 + v.get("embargo", 0)   # horizon 1
    folds = []
    for i in range(k):
        tb = first + i * T
        vl = int(round(v.get("val_fraction", 0.15) * tb))
        folds.append((windows_in(y, 0, tb - vl, tb - vl, seq_len, gap),
                      windows_in(y, tb - vl, tb, tb, seq_len, gap),
                      windows_in(y, tb, tb + T, tb + T, seq_len, gap), tb - vl))
    vl = int(round(v.get("val_fraction", 0.15) * H))
    final = (windows_in(y, 0, H - vl, H - vl, seq_len, gap),
             windows_in(y, H - vl, H, H, seq_len, gap),
             windows_in(y, H, rows, rows + gap, seq_len, gap), H - vl)
    return folds, final


class Net(torch.nn.Module):
    def __init__(self, n_in, units, layers, dropout):
        super().__init__()
        self.lstm = torch.nn.LSTM(n_in, units, layers, batch_first=True,
                                  dropout=dropout if layers > 1 else 0.0)
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(units, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1, :])).squeeze(-1)


def log_loss(p, y):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def fit_and_score(X, y, fold, p, tr, seed):
    train, val, test, fit_end = fold
    mean = X[:fit_end].mean(axis=0)
    std = X[:fit_end].std(axis=0)
    std[std == 0] = 1
    Xs = ((X - mean) / std).astype(np.float32)
    L = p["seq_len"]
    win = np.lib.stride_tricks.sliding_window_view(Xs, L, axis=0).transpose(0, 2, 1)

    def batch(ends):
        return torch.from_numpy(np.ascontiguousarray(win[ends - L + 1])), \
            torch.from_numpy(y[ends])

    torch.manual_seed(seed)
    net = Net(X.shape[1], p["units"], p["layers"], p["dropout"])
    opt = torch.optim.Adam(net.parameters(), lr=p["learning_rate"], weight_decay=p["l2"])
    plat = tr.get("lr_plateau", {})
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, factor=plat.get("factor", 0.5), patience=plat.get("patience", 5))
    lossf = torch.nn.BCEWithLogitsLoss()
    best, best_state, since = math.inf, None, 0
    rng = np.random.default_rng(seed)
    bs = p["batch_size"]
    for epoch in range(tr.get("max_epochs", 100)):
        net.train()
        order = rng.permutation(train)
        for i in range(0, len(order), bs):
            xb, yb = batch(order[i:i + bs])
            opt.zero_grad()
            loss = lossf(net(xb), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), tr.get("clip_norm", 1.0))
            opt.step()
        net.eval()
        with torch.no_grad():
            vl = 0.0
            for i in range(0, len(val), bs):
                xb, yb = batch(val[i:i + bs])
                vl += lossf(net(xb), yb).item() * len(yb)
            vl /= max(len(val), 1)
        sched.step(vl)
        if vl < best:
            best, since = vl, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            since += 1
            if since >= tr.get("patience", 15):
                break
    net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        probs = np.concatenate([torch.sigmoid(net(batch(test[i:i + bs])[0])).numpy()
                                for i in range(0, len(test), bs)])
    return log_loss(probs, y[test])


def suggest(trial, space):
    p = {}
    for name, d in space.items():
        if d["type"] == "int":
            p[name] = trial.suggest_int(name, d["low"], d["high"], step=d.get("step", 1),
                                        log=d.get("log", False))
        elif d["type"] == "float":
            p[name] = trial.suggest_float(name, d["low"], d["high"], log=d.get("log", False))
        else:
            p[name] = trial.suggest_categorical(name, d["choices"])
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--replay", help="JSON list of parameter sets to run in order")
    a = ap.parse_args()
    t0 = time.perf_counter()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spec = json.load(open(a.spec))
    s, tr, v = spec["search"], spec.get("training", {}), spec.get("validation", {})
    X, y = prepare(spec, os.path.dirname(os.path.abspath(a.spec)))
    base = dict(tr)
    fixed = {k: tr.get(k, d) for k, d in (("seq_len", 32), ("units", 32), ("layers", 1),
                                           ("dropout", 0.0), ("learning_rate", 1e-3),
                                           ("batch_size", 64), ("l2", 0.0))}
    seed = s["sampler"].get("seed", 0)

    def objective(trial):
        p = dict(fixed)
        p.update(suggest(trial, s["space"]))
        folds, _ = make_folds(len(X), y, v, p["seq_len"])
        vals = [fit_and_score(X, y, f, p, base, seed + k + 1) for k, f in enumerate(folds)]
        return float(np.mean(vals))

    sm = s["sampler"]
    sampler = optuna.samplers.TPESampler(
        n_startup_trials=sm.get("n_startup_trials", 10), multivariate=sm.get("multivariate", True),
        constant_liar=sm.get("constant_liar", True), n_ei_candidates=sm.get("n_ei_candidates", 24),
        seed=seed)
    study = optuna.create_study(direction=s.get("direction", "minimize"), sampler=sampler)
    n = s.get("n_trials", 20)
    if a.replay:
        sets = json.load(open(a.replay))
        for ps in sets:
            study.enqueue_trial(ps)
        n = len(sets)
    study.optimize(objective, n_trials=n)
    t_search = time.perf_counter() - t0
    p = dict(fixed)
    p.update(study.best_params)
    _, final = make_folds(len(X), y, v, p["seq_len"])
    holdout = fit_and_score(X, y, final, p, base, seed)
    wall = time.perf_counter() - t0
    print("peer (Optuna %s + PyTorch %s)%s: %d trials in %.1f s (%.0f trials/h), best %.5f, "
          "holdout log loss %.5f" % (optuna.__version__, torch.__version__,
                                     " replaying seqtune's parameter sets" if a.replay else "",
                                     n, wall, 3600 * n / wall, study.best_value, holdout))
    print(json.dumps({"peer_wall_s": wall, "peer_search_s": t_search, "n_trials": n,
                      "peer_best_value": study.best_value, "peer_best_params": study.best_params,
                      "peer_holdout_log_loss": holdout, "replay": bool(a.replay),
                      "optuna": optuna.__version__, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
