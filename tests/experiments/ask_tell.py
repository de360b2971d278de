"""ask_tell.py - `seqtune ask` / `seqtune tell` from outside, by four processes at
once on one real store: each asks 10 trials, computes Branin from the params it
was given, reports two intermediate steps on half of them, fails some and
completes the rest. Then the store must hold exactly trials 0..39, each once, in
the state the workers told, with the value computed from its stored params, the
intermediate rows, and the seed `ask` printed (an exact 63-bit integer) in
runs.seed and tags.seed. Also: tell refuses a finished trial, ask needs --spec for
a new study, and ask gives up (exit 2, naming the pid) while `seqtune run` holds
the study. Usage: python3 ask_tell.py (SEQTUNE_BIN in the environment)."""
import json, math, os, shutil, sqlite3, subprocess, sys, tempfile, time

S = os.environ["SEQTUNE_BIN"]
SPEC = {"name": "outer loop", "objective": {"builtin": "branin"},
        "search": {"n_trials": 1000, "sampler": {"name": "tpe", "seed": 5, "n_startup_trials": 8},
                   "pruner": {"name": "median", "n_startup_trials": 2, "n_warmup_steps": 0},
                   "direction": "minimize",
                   "space": {"x1": {"type": "float", "low": -5, "high": 10},
                             "x2": {"type": "float", "low": 0, "high": 15}}}}
ROUNDS, WORKERS = 10, 4


def branin(x1, x2):
    return ((x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)


def sh(*args):
    p = subprocess.run([S, *args, "--db", "s.db"], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def worker(w):
    log = open("w%d.log" % w, "w")
    for i in range(ROUNDS):
        rc, out, err = sh("ask", "--study", "outer loop")
        assert rc == 0, (rc, err)
        a = json.loads(out)
        v = branin(a["params"]["x1"], a["params"]["x2"])
        kind = "FAIL" if (w + i) % 5 == 0 else "COMPLETE"
        steps = i % 2 == 0
        if steps:
            for step in (0, 1):
                rc, out, err = sh("tell", "--study", "outer loop", "--trial", str(a["trial"]),
                                  "--step", str(step), "--intermediate", repr(v + 1 - step))
                assert rc == 0 and isinstance(json.loads(out)["prune"], bool), (rc, out, err)
        if kind == "FAIL":
            rc, out, err = sh("tell", "--study", "outer loop", "--trial", str(a["trial"]), "--state", "fail")
        else:
            rc, out, err = sh("tell", "--study", "outer loop", "--trial", str(a["trial"]), "--value", repr(v))
        assert rc == 0, (rc, err)
        log.write(json.dumps({"trial": a["trial"], "seed": a["seed"], "params": a["params"],
                              "kind": kind, "steps": steps, "value": v}) + "\n")
    return 0


def main():
    fails = []
    def check(cond, what):
        if not cond:
            fails.append(what)
            print("FAIL:", what)

    tmp = tempfile.mkdtemp(prefix="seqtune-asktell-")
    os.chdir(tmp)
    holder = None
    try:
        json.dump(SPEC, open("spec.json", "w"))
        rc, out, err = sh("ask", "--study", "outer loop")
        check(rc == 2 and "no such file" in err, "ask without a store: %d %s" % (rc, err))
        rc, out, err = sh("ask", "--study", "outer loop", "--spec", "spec.json")  # creates it
        check(rc == 0 and json.loads(out)["trial"] == 0, "first ask: %d %s" % (rc, err))
        first = json.loads(out)
        v0 = branin(first["params"]["x1"], first["params"]["x2"])
        check(sh("tell", "--study", "outer loop", "--trial", "0", "--value", repr(v0))[0] == 0, "first tell")
        rc, out, err = sh("ask", "--study", "other")
        check(rc == 2 and "give --spec to create it" in err, "ask without the study: %d %s" % (rc, err))
        t0 = time.time()
        ps = [subprocess.Popen([sys.executable, __file__, "worker", str(w)], env=os.environ) for w in range(WORKERS)]
        codes = [p.wait(timeout=300) for p in ps]
        wall = time.time() - t0
        check(codes == [0] * WORKERS, "worker exit codes %s" % codes)
        told = [json.loads(l) for w in range(WORKERS) for l in open("w%d.log" % w)]
        told.append({"trial": 0, "seed": first["seed"], "params": first["params"], "kind": "COMPLETE",
                     "steps": False, "value": v0})
        check(len(told) == WORKERS * ROUNDS + 1, "%d trials logged" % len(told))
        db = sqlite3.connect("s.db")
        rows = db.execute("SELECT r.id, r.trial_number, r.state, r.value, r.seed FROM runs r"
                          " JOIN studies s ON s.id = r.study_id WHERE s.name = 'outer loop'"
                          " ORDER BY r.trial_number").fetchall()
        check([r[1] for r in rows] == list(range(WORKERS * ROUNDS + 1)),
              "trial numbers %s" % [r[1] for r in rows])
        by_trial = {t["trial"]: t for t in told}
        check(len(by_trial) == len(told), "a trial number was handed out twice")
        for rid, num, state, value, seed in rows:
            t = by_trial.get(num)
            if not t:
                check(False, "trial %d in the store, told by nobody" % num)
                continue
            check(state == t["kind"], "trial %d: state %s, told %s" % (num, state, t["kind"]))
            params = dict(db.execute("SELECT key, num FROM params WHERE run_id = ?", (rid,)))
            check(params == t["params"], "trial %d: stored params %s != asked %s" % (num, params, t["params"]))
            if state == "COMPLETE":
                check(value == branin(params["x1"], params["x2"]), "trial %d: value %r" % (num, value))
            check(seed == t["seed"], "trial %d: runs.seed %r != asked %r" % (num, seed, t["seed"]))
            tag = db.execute("SELECT value FROM tags WHERE run_id = ? AND key = 'seed'", (rid,)).fetchone()
            check(tag and tag[0] == str(t["seed"]), "trial %d: tags.seed %r" % (num, tag))
            steps = db.execute("SELECT step, value FROM metrics WHERE run_id = ? AND key = 'objective'"
                               " ORDER BY step", (rid,)).fetchall()
            want = [(0, t["value"] + 1 - 0), (1, t["value"] + 1 - 1)] if t["steps"] else []
            check(steps == want, "trial %d: intermediates %s != %s" % (num, steps, want))
        check(any(t["seed"] > 2 ** 53 for t in told), "no seed above 2^53 to test exactness")
        check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        done = 0
        rc, out, err = sh("tell", "--study", "outer loop", "--trial", str(done), "--value", "1")
        check(rc == 2 and "already" in err, "tell on a finished trial: %d %s" % (rc, err))
        rc, out, err = sh("tell", "--study", "outer loop", "--trial", "999", "--value", "1")
        check(rc == 2 and "no trial 999" in err, "tell on a missing trial: %d %s" % (rc, err))
        rc, out, err = sh("tell", "--study", "outer loop", "--trial", "1")
        check(rc == 1, "tell with nothing to tell: %d" % rc)

        # a `seqtune run` holds its study: ask waits --wait seconds, then says who
        held = dict(SPEC, name="held")
        held["objective"] = {"builtin": "branin", "sleep_s": 0.05}
        json.dump(held, open("held.json", "w"))
        holder = subprocess.Popen([S, "run", "held.json", "--db", "s.db", "--quiet"])
        for _ in range(200):
            if sh("trials", "--study", "held", "--format", "csv")[1].count("\n") > 1:
                break
            time.sleep(0.05)
        rc, out, err = sh("ask", "--study", "held", "--wait", "0.5")
        check(rc == 2 and "(pid %d)" % holder.pid in err, "ask while running: %d %s" % (rc, err))
        print("ask/tell: %d processes, %d trials in %.1f s" % (WORKERS, len(told), wall))
    finally:
        if holder:
            holder.kill()
            holder.wait()
        os.chdir("/")
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failures" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(worker(int(sys.argv[2])) if len(sys.argv) > 2 else main())
