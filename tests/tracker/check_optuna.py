"""check_optuna.py - loads an Optuna storage written by `seqtune export --format
optuna` with real Optuna and compares every trial with the expectations the C test
wrote (EXPECTED.json). Exit 0 when all match, 1 with the differences printed.
Usage: python3 check_optuna.py STORAGE.db STUDY_NAME EXPECTED.json"""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
db, name, expected_path = sys.argv[1:4]
want = json.load(open(expected_path))
study = optuna.load_study(study_name=name, storage="sqlite:///" + db)
bad = []


def same(a, b):
    if isinstance(b, str) and b in ("inf", "-inf", "nan"):
        b = float(b)
    if isinstance(a, float) and isinstance(b, (int, float)):
        if math.isnan(b):
            return math.isnan(a)
        return a == b or abs(a - b) <= 1e-12 * max(1.0, abs(b))
    return a == b and type(a) == type(b)


if study.direction.name != want["direction"]:
    bad.append("direction %s != %s" % (study.direction.name, want["direction"]))
trials = study.get_trials(deepcopy=False)
if len(trials) != len(want["trials"]):
    bad.append("trial count %d != %d" % (len(trials), len(want["trials"])))
for t, w in zip(trials, want["trials"]):
    tag = "trial %d" % w["number"]
    if t.number != w["number"]:
        bad.append("%s: number %d" % (tag, t.number))
    if t.state.name != w["state"]:
        bad.append("%s: state %s != %s" % (tag, t.state.name, w["state"]))
    if w["value"] is None:
        if t.value is not None:
            bad.append("%s: value %r, expected none" % (tag, t.value))
    elif t.value is None or not same(float(t.value), w["value"]):
        bad.append("%s: value %r != %r" % (tag, t.value, w["value"]))
    if set(t.params) != set(w["params"]):
        bad.append("%s: param keys %s != %s" % (tag, sorted(t.params), sorted(w["params"])))
    for k, v in w["params"].items():
        if k in t.params and not same(t.params[k], v):
            bad.append("%s: param %s = %r (%s) != %r" % (tag, k, t.params[k], type(t.params[k]).__name__, v))
        if k in t.distributions and type(t.distributions[k]).__name__ != w["dists"][k]:
            bad.append("%s: %s distribution %s" % (tag, k, type(t.distributions[k]).__name__))
    got_iv = sorted(t.intermediate_values.items())
    want_iv = [(s, v) for s, v in w["intermediate"]]
    if len(got_iv) != len(want_iv) or any(gs != ws or not same(float(gv), wv)
                                          for (gs, gv), (ws, wv) in zip(got_iv, want_iv)):
        bad.append("%s: intermediate values %r != %r" % (tag, got_iv, want_iv))
    for k, v in w.get("user_attrs", {}).items():
        if t.user_attrs.get(k) != v:
            bad.append("%s: user attr %s = %r != %r" % (tag, k, t.user_attrs.get(k), v))
if study.best_trial.number != want["best_number"]:
    bad.append("best trial %d != %d" % (study.best_trial.number, want["best_number"]))
for b in bad:
    print("MISMATCH:", b, file=sys.stderr)
print("%d trials compared, %d mismatches" % (len(trials), len(bad)), file=sys.stderr)
sys.exit(1 if bad else 0)
