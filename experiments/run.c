/*
 * run.c - the study runner: the coordinator (rank 0), the workers (ranks 1..N-1)
 * and the single-process mode, around one coordinator state machine.
 *
 * A trial's life as the coordinator sees it:
 *
 *     opt_ask + trk_run_start ──► RUNNING ──REPORT(step)──► opt_report, pruner ──► DECISION
 *                                    │                                  (prune: worker stops)
 *                                    └──RESULT──► trk_run_finish + opt_tell ──► COMPLETE | PRUNED | FAIL
 *
 * Invariants: (1) only the coordinator (coord.c) writes the store during a study;
 * (2) a trial is RUNNING in the store before its parameters leave rank 0, so a
 * crash leaves it RUNNING and `--resume` marks it FAIL ("lost"); (3) the study
 * ends when exactly n_trials trials are finished (COMPLETE + PRUNED + FAIL,
 * counting those of earlier jobs), or at timeout_s, after which running trials
 * still finish; (4) waiting never spins (wire.h).
 *
 * Without an MPI launcher the same coordinator calls the objective in-process,
 * and its report callback answers the pruner directly. This file gives the
 * ranks their roles and ends the study; the other parts are named in coord.h.
 */
#include "experiments/coord.h"

volatile sig_atomic_t exp_stop_signal = 0;

static void on_signal(int sig)
{
    exp_stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}


static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}


/* A worker's whole study: trials until STOP, then FINISH after the refit. */
static int run_worker(exp_objective *obj)
{
    exp_worker_loop(obj);
    MPI_Status st;
    exp_wire_wait(0, EXP_TAG_FINISH, MPI_COMM_WORLD, &st, NULL, 0);
    cJSON_Delete(exp_wire_recv(&st, MPI_COMM_WORLD));
    return exp_stop_signal ? EXP_EXIT_INTERRUPTED : EXP_EXIT_OK;
}

/* The study's banner on stderr (unless quiet). */
static void run_banner(const coord *c, const exp_spec *spec, const exp_run_options *opt,
                       int mpi, int workers)
{
    if (!opt->quiet)
        fprintf(stderr, "seqtune: study '%s': %d trial(s) to run (%d already finished), "
                "%s, %d worker(s), store %s\n", spec->name,
                c->n_target > c->n_finished ? c->n_target - c->n_finished : 0, c->n_finished,
                exp_sampler_name(spec->search.sampler.kind), workers, opt->db_path);
    if (spec->search.reproducible && mpi && workers > spec->search.reproducible_lag)
        fprintf(stderr, "seqtune: %s: search.reproducible_lag %d < %d workers: at most %d "
                "trials run at once\n", spec->name, spec->search.reproducible_lag, workers,
                spec->search.reproducible_lag);
}

/* After a signal: the record, and every rank ends with 130 (mpirun passes it on);
 * a job with a lost or undrained worker is ended here. */
static int run_interrupted(coord *c, int mpi, int world)
{
    coord_interrupted(c);
    if (mpi && world > 1 && (!c->drained || c->n_lost)) {
        coord_close(c);
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_INTERRUPTED);
    }
    for (int w = 1; mpi && w < world; w++) {
        coord_send_empty(w, EXP_TAG_STOP);
        coord_send_empty(w, EXP_TAG_FINISH);
    }
    return EXP_EXIT_INTERRUPTED;
}

/* The end of the search on rank 0 (rc: the loop's): the failure record, or the
 * refit, holdout and export (finish.c); lost workers end the job. The exit code. */
static int run_end(coord *c, const exp_spec *spec, exp_objective *obj,
                   const exp_run_options *opt, int mpi, int world, int rc, double wall,
                   double cpu)
{
    char err[256];
    int code;
    for (int w = 1; mpi && w < world; w++)
        if (!c->lost || !c->lost[w])
            coord_send_empty(w, EXP_TAG_STOP);
    if (rc) {
        exp_cli_error(spec->name, "%s", c->err);
        trk_study_fail_running(c->store, c->study_id, c->err, NULL, err);
        trk_study_set_status(c->store, c->study_id, TRK_STUDY_INTERRUPTED, err);
        code = EXP_EXIT_FAILED;
        if (mpi)
            MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    } else {
        char share[32];
        snprintf(share, sizeof share, "%.4f", wall > 0 ? cpu / wall : 0);
        trk_study_set_tag(c->store, c->study_id, "coordinator_cpu_share", share, err);
        exp_finish_params fp = {spec, c->store, c->study_id, c->opt, obj, opt->quiet,
                                mpi ? world - 1 : 1, wall, cpu, &exp_stop_signal, -1};
        exp_objective_set_stop(obj, &exp_stop_signal);
        code = exp_finish_study(&fp);
        if (code == EXP_EXIT_OK && exp_stop_signal)
            code = EXP_EXIT_INTERRUPTED;   /* the result is stored; the signal is still news */
    }
    if (c->n_lost) {
        exp_cli_error(spec->name, "%d worker(s) stopped answering; their trials are FAIL and "
                      "the study finished on the others (exit %d)", c->n_lost, EXP_EXIT_FAILED);
        if (code == EXP_EXIT_OK)
            code = EXP_EXIT_FAILED;
        /* MPI_Finalize waits for every rank, the lost ones too: end the job here. */
        coord_close(c);
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, code);
    }
    for (int w = 1; mpi && w < world; w++)
        coord_send_empty(w, EXP_TAG_FINISH);
    return code;
}

/* Rank 0's search: the loop, then its end. The exit code. */
static int run_coordinator(coord *c, const exp_spec *spec, const exp_data *data,
                           exp_objective *obj, const exp_run_options *opt, int mpi, int world)
{
    coord_describe(c, spec, data, obj, mpi ? world - 1 : 1);
    c->quiet = opt->quiet;
    c->tty = isatty(2);
    c->t0 = exp_now();
    c->deadline = spec->search.timeout_s > 0 ? c->t0 + spec->search.timeout_s : 0;
    run_banner(c, spec, opt, mpi, mpi ? world - 1 : 1);
    double cpu0 = cpu_seconds();
    int rc = mpi && world > 1 ? coord_loop_mpi(c, world) : coord_loop_local(c, obj);
    double wall = exp_now() - c->t0, cpu = cpu_seconds() - cpu0;
    if (c->progress_shown && !exp_stop_signal)
        fputc('\n', stderr);
    if (exp_stop_signal && rc == 0)
        return run_interrupted(c, mpi, world);
    return run_end(c, spec, obj, opt, mpi, world, rc, wall, cpu);
}

/* After the study: the store must read back (the close checkpointed the WAL
 * into the database: what is on disk now is all there is). */
static int run_verify(const char *db_path, int code)
{
    char err[256];
    if (!trk_store_verify(db_path, err))
        return code;
    exp_cli_error(db_path, "the store cannot be read back after the study (%s): its "
                  "-wal file was truncated or removed, or the disk lost writes, while the "
                  "study ran. Recover from a backup copy of the store (with its -wal "
                  "file), or run the study again into a new store", err);
    return EXP_EXIT_FAILED;
}

int exp_run_main(const exp_run_options *opt)
{
    int mpi = exp_launched_by_mpi();
    int rank = 0, world = 1;
    install_signals();
    exp_deadlines dl;
    exp_deadlines_init(&dl, 0);
    double startup_until = 0;
    char start_err[256];
    if (mpi && exp_startup_init(&rank, &world, &dl, &exp_stop_signal, &startup_until, start_err)) {
        /* nothing is in the store yet: end the job, stopped rank and all */
        exp_cli_error("run", "%s", start_err);
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    }
    char launch_err[256];
    if (exp_launch_check(world, launch_err)) {
        const char *procid = getenv("SLURM_PROCID");
        if (!procid || strcmp(procid, "0") == 0)
            exp_cli_error("run", "%s", launch_err);
        if (mpi)
            MPI_Finalize();
        return EXP_EXIT_INPUT;
    }
    int code = 0;
    exp_spec spec;
    memset(&spec, 0, sizeof spec);
    coord c;
    memset(&c, 0, sizeof c);
    c.lock_fd = -1;
    char *spec_text = NULL;
    exp_data *data = NULL;
    exp_objective *obj = NULL;
    char err[256] = "";

    if (rank == 0)
        code = coord_open(&c, opt, &spec, &spec_text, &data, &obj);
    c.dl = dl;
    c.dl.trial_limit_s = spec.trial_timeout_s > 0 ? spec.trial_timeout_s : 0;
    startup_until = exp_now() + dl.startup_s;   /* rank 0's set-up took its own time */
    int shared = mpi ? exp_data_share(&code, &spec_text, &data, &spec, rank, startup_until, err) : 0;
    if (shared == -2 ||
        (mpi && code == 0 && world > 1 &&
         coord_startup_confirm(&c, rank, world, shared, startup_until, err))) {
        if (shared == -2)   /* the other ranks wait in a collective: end the job */
            exp_cli_error("run", "%s", err);
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, EXP_EXIT_FAILED);
    }
    if (code)
        goto out;
    if (exp_run_hosts_gather(&c.hosts, mpi, rank, world, &spec, spec_text, err)) {
        exp_cli_error(spec.name, "%s", err);
        code = EXP_EXIT_FAILED;
        goto out;
    }
    if (rank != 0)
        obj = exp_objective_new(&spec, data, err);
    if (!obj) {
        if (rank == 0)
            exp_cli_error(spec.name, "%s", err);
        code = EXP_EXIT_INPUT;
        goto out;   /* every rank fails the same way on the same spec */
    }
    code = rank != 0 ? run_worker(obj) : run_coordinator(&c, &spec, data, obj, opt, mpi, world);
out:
    exp_objective_free(obj);
    exp_data_free(data);
    int wrote = rank == 0 && c.store && c.study_id > 0 && code != EXP_EXIT_INPUT;
    coord_close(&c);
    if (wrote)
        code = run_verify(opt->db_path, code);
    exp_spec_free(&spec);
    free(spec_text);
    if (mpi)
        MPI_Finalize();
    return code;
}
