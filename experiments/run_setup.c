/*
 * run_setup.c - setting a study up: spec -> optimizer, the replay of the
 * stored trials, the study lock, the data's fingerprint and checks, the
 * broadcast of spec and candles, warm start; also for ask/tell from outside.
 */
#include "experiments/coord.h"

/* ---- set-up shared by both modes ------------------------------------------------- */

static int build_study(const exp_spec *spec, const opt_space *space, uint64_t seed,
                       opt_study **out, char err[256])
{
    opt_pruner_config none;   /* reproducible: pruning would depend on timing */
    opt_pruner_config_default(&none, OPT_PRUNER_NONE);
    *out = opt_study_new(space, spec->search.direction, &spec->search.sampler,
                         spec->search.reproducible ? &none : &spec->search.pruner,
                         (unsigned long)seed, err);
    return *out && exp_moo_setup(spec, *out, err) == 0 ? 0 : -1;
}

/* Replays every trial of the stored study into the optimizer (resume). */
static int replay_store(coord *c)
{
    trk_run_list runs = {0};
    trk_intermediate *im = NULL;
    int n_im = 0, rc = -1;
    trk_query q = {0};
    exp_moo_history h;
    if (exp_moo_history_load(c->spec, c->store, c->study_id, &h, c->err))
        return -1;
    if (trk_runs_query(c->store, c->study_id, &q, &runs, c->err))
        goto done;
    if (trk_study_intermediates(c->store, c->study_id, &im, &n_im, c->err))
        goto done;
    int k = 0;
    for (int i = 0; i < runs.n; i++) {
        const trk_run *r = &runs.runs[i];
        opt_trial_params p;
        if (exp_trial_params_from_run(c->space, r, &p, c->err))
            goto done;
        while (k < n_im && im[k].trial_number < r->trial_number)
            k++;
        int k0 = k;
        while (k < n_im && im[k].trial_number == r->trial_number)
            k++;
        int n_steps = k - k0;
        int steps[n_steps > 0 ? n_steps : 1];
        double vals[n_steps > 0 ? n_steps : 1];
        for (int s = 0; s < n_steps; s++) {
            steps[s] = (int)im[k0 + s].step;
            vals[s] = im[k0 + s].value;
        }
        opt_state st = r->state;
        opt_trial_record rec = {r->trial_number, st, r->value, &p, n_steps, steps, vals,
                                exp_moo_history_values(&h, r->trial_number)};
        if (opt_study_replay(c->opt, &rec, c->err))
            goto done;
        if (st != OPT_RUNNING) {
            c->n_finished++;
            c->n_complete += st == OPT_COMPLETE;
            c->n_pruned += st == OPT_PRUNED;
            c->n_fail += st == OPT_FAIL;
        }
    }
    rc = 0;
done:
    trk_run_list_free(&runs);
    exp_moo_history_free(&h);
    free(im);
    return rc;
}

/* The study seed: the spec's, else the one recorded by the first job, else new. */
static uint64_t study_seed(const exp_spec *spec, trk_store *store, int64_t study_id)
{
    if (spec->search.has_seed)
        return (uint64_t)spec->search.seed;
    trk_kv *tags = NULL;
    int n = 0;
    char err[256];
    uint64_t seed = 0;
    int found = 0;
    if (trk_study_tags(store, study_id, &tags, &n, err) == 0) {
        for (int i = 0; i < n; i++)
            if (strcmp(tags[i].key, "sampler_seed") == 0) {
                seed = strtoull(tags[i].value, NULL, 10);
                found = 1;
            }
        trk_kv_free(tags, n);
    }
    if (!found) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = coord_mix_seed((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20), (uint64_t)getpid()) %
               1000000007ull;
    }
    return seed;
}

/*
 * Rank 0 shares the outcome of its set-up, the canonical spec text and the packed
 * data with every rank (MPI_Bcast); workers parse the spec without touching any
 * file. Returns 0, -1 with err when the broadcast timed out (then every rank has
 * *code != 0), or -2 with err when this rank cannot go on (out of memory, a spec
 * it cannot parse): the caller then ends the job, as the other ranks wait in a
 * collective.
 */
int exp_data_share(int *code, char **spec_text, exp_data **data, exp_spec *spec,
                          int rank, double until, char err[256])
{
    /* Rank 0's waits end at the start-up bound (run_deadline.h): a worker that
     * stopped after it reported ready would hold a collective up for ever. */
#define BCAST(b, n, t) if (exp_bcast_bounded(b, n, t, rank, until)) goto timeout
    BCAST(code, 1, MPI_INT);
    if (*code)
        return 0;
    /* "spec_dir\0spec_text": workers resolve relative program paths like rank 0. */
    long dlen = rank == 0 ? (long)strlen(spec->spec_dir ? spec->spec_dir : ".") : 0;
    long len = rank == 0 ? dlen + 1 + (long)strlen(*spec_text) : 0;
    BCAST(&len, 1, MPI_LONG);
    BCAST(&dlen, 1, MPI_LONG);
    char *msg = malloc((size_t)len + 1);
    if (!msg)
        goto no_memory;
    if (rank == 0) {
        memcpy(msg, spec->spec_dir ? spec->spec_dir : ".", (size_t)dlen + 1);
        memcpy(msg + dlen + 1, *spec_text, (size_t)(len - dlen - 1));
    }
    if (exp_bcast_bounded(msg, (int)len, MPI_CHAR, rank, until)) {
        free(msg);
        goto timeout;
    }
    msg[len] = '\0';
    if (rank != 0) {
        exp_errors errs = {0};
        *spec_text = strdup(msg + dlen + 1);
        if (!*spec_text || exp_spec_parse(*spec_text, msg, 0, spec, &errs)) {
            snprintf(err, 256, "rank %d cannot parse the spec: %s", rank,
                     errs.n ? errs.msg[0] : "?");
            exp_errors_free(&errs);
            free(msg);
            return -2;
        }
    }
    free(msg);
    double *buf = NULL;
    long n = 0;
    if (rank == 0 && exp_data_pack(*data, &buf, &n))
        goto no_memory;
    if (exp_bcast_bounded(&n, 1, MPI_LONG, rank, until))
        goto timeout_buf;
    if (rank != 0 && n > 0 && !(buf = malloc(sizeof *buf * (size_t)n)))
        goto no_memory;
    for (long off = 0; off < n; off += 1L << 26) {
        long part = n - off < (1L << 26) ? n - off : (1L << 26);
        if (exp_bcast_bounded(buf + off, (int)part, MPI_DOUBLE, rank, until))
            goto timeout_buf;
    }
    if (rank != 0 && n > 0 && exp_data_unpack(buf, n, data, err)) {
        free(buf);
        return -2;
    }
    free(buf);
    return 0;
timeout_buf:
    free(buf);
timeout:
    snprintf(err, 256, "start-up: the broadcast of the spec and the candles did not complete "
             "within the start-up bound");
    return -1;
no_memory:
    snprintf(err, 256, "rank %d: out of memory for the spec and the candles", rank);
    return -2;
#undef BCAST
}

/* Study tags the report reads: the data file and range, the fold layout and
 * the number of workers. Failures here only lose report details. */
void coord_describe(coord *c, const exp_spec *spec, const exp_data *data,
                           const exp_objective *obj, int workers)
{
    char err[256], buf[64];
    snprintf(buf, sizeof buf, "%d", workers);
    trk_study_set_tag(c->store, c->study_id, "workers", buf, err);
    if (spec->objective_kind != EXP_OBJECTIVE_LSTM)
        return;
    double first, last;
    int rows;
    exp_data_range(data, &first, &last, &rows);
    trk_study_set_tag(c->store, c->study_id, "data_file", spec->data.path, err);
    snprintf(buf, sizeof buf, "%.0f", first);
    trk_study_set_tag(c->store, c->study_id, "data_start", buf, err);
    snprintf(buf, sizeof buf, "%.0f", last);
    trk_study_set_tag(c->store, c->study_id, "data_end", buf, err);
    char *layout = exp_objective_layout(obj, err);
    if (layout)
        trk_study_set_tag(c->store, c->study_id, "fold_layout", layout, err);
    free(layout);
}

int exp_launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("PMI_SIZE");
}

/*
 * A launcher that started several tasks of this step while MPI sees a world of
 * one: `srun` without a PMI plugin (Slurm's default MpiDefault is none) starts
 * independent copies, each of which would try to coordinate the study alone.
 * 0, or -1 with err naming the fix.
 */
int exp_launch_check(int world, char err[256])
{
    const char *tasks = getenv("SLURM_STEP_NUM_TASKS");
    long n = tasks ? strtol(tasks, NULL, 10) : 0;
    if (world > 1 || n <= 1)
        return 0;
    snprintf(err, 256, "srun started %ld tasks but MPI sees a world of 1 (no PMI): launch "
             "with `srun --mpi=pmix` (or `mpirun` inside the allocation)", n);
    return -1;
}

/*
 * One coordinator per study: an exclusive flock on <artifact root>/<study name>.lock
 * (the kernel releases it when the process ends, even by SIGKILL). A second
 * `seqtune run --resume` while the first job still runs is refused instead of
 * two coordinators writing the same trials. 0, or -1 with err.
 */
static int study_lock(coord *c, const char *name, char err[256])
{
    char path[4096];
    const char *root = trk_store_artifact_root(c->store);
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        snprintf(err, 256, "%.200s: %s", root, strerror(errno));
        return -1;
    }
    trk_study_lock_path(c->store, name, path, sizeof path); /* any name: see admin.h */
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (c->lock_fd < 0) {
        snprintf(err, 256, "%.200s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "?";
        ssize_t n = pread(c->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 1] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        snprintf(err, 256, "study '%.100s' is being run by another seqtune process (pid %s); "
                 "stop it first", name, pid);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(c->lock_fd, 0) != 0 || pwrite(c->lock_fd, pid, (size_t)len, 0) != len) {
        snprintf(err, 256, "%.200s: cannot write the lock", path);
        return -1;
    }
    return 0;
}


/* Records the data fingerprint with a new study; on resume, refuses candles
 * that differ from the recorded ones (studies from before the fingerprint get
 * it recorded now). 0, or -1 with err. */
static int data_check(coord *c, const exp_spec *spec, const exp_data *data, int existed,
                      char err[256])
{
    (void)data;
    if (spec->objective_kind != EXP_OBJECTIVE_LSTM)
        return 0;
    const char *now = c->data_fp;
    trk_kv *tags = NULL;
    int n = 0;
    const char *then = NULL;
    if (existed && trk_study_tags(c->store, c->study_id, &tags, &n, err))
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(tags[i].key, "data_fingerprint") == 0)
            then = tags[i].value;
    int rc = 0;
    if (then && strcmp(then, now) != 0) {
        snprintf(err, 256, "--resume: %.50s differs from the data the study started on "
                 "(then %.64s...; now %.64s...)", spec->data.path, then, now);
        rc = -1;
    } else if (!then) {
        rc = trk_study_set_tag(c->store, c->study_id, "data_fingerprint", now, err) ? -1 : 0;
    }
    trk_kv_free(tags, n);
    return rc;
}

/* How long `run` waits for a store locked by another program: $SEQTUNE_LOCK_WAIT_S
 * seconds (a positive number), else TRK_WAIT_DEFAULT_S. */
static double lock_wait_s(void)
{
    const char *e = getenv("SEQTUNE_LOCK_WAIT_S");
    char *end;
    double v = e ? strtod(e, &end) : 0;
    return e && end != e && *end == '\0' && v > 0 && v < 1e7 ? v : TRK_WAIT_DEFAULT_S;
}

static void lock_notice(void *ctx, const char *path, double limit_s)
{
    (void)ctx;
    fprintf(stderr, "seqtune: %s: waiting for a lock held by another program (another "
            "writer of the store); giving up after %g s (SEQTUNE_LOCK_WAIT_S), Ctrl-C stops\n",
            path, limit_s);
}

/* Rank 0 (or the only process): everything up to the first trial. Exit code on
 * failure, 0 when the coordinator is ready. */
/* Loads the spec and its data, then opens the store and the study: bad data is
 * refused before the store is created or a study row is written. */
/* Loads the warm-start history (before the study is opened: a bad name leaves
 * no trace in the store). 0 ok, -1 with the error shown. */
static int coord_warm_open(coord *c, const exp_spec *spec)
{
    const char *other = spec->search.warm_start;
    if (strcmp(other, spec->name) == 0) {
        c->warm_not_found = 1;
        exp_cli_error(spec->name, "search.warm_start.study: a study cannot warm-start from itself");
        return -1;
    }
    const char *metrics[OPT_MAX_OBJECTIVES];
    for (int k = 0; k < exp_spec_n_objectives(spec); k++)
        metrics[k] = exp_spec_objective_name(spec, k);
    if (exp_warm_load(&c->warm, c->store, other, c->space, exp_spec_n_objectives(spec),
                      metrics, &c->warm_not_found, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return -1;
    }
    return 0;
}

/* Records the history as the study tag warm_start and says so. */
static int coord_warm_tag(coord *c, const exp_spec *spec, int quiet)
{
    const char *other = spec->search.warm_start;
    char tag[512];
    snprintf(tag, sizeof tag, "%s: %d finished trial(s) as history, %d dropped (a parameter "
             "missing or outside this space)", other, c->warm.n, c->warm.n_dropped);
    if (trk_study_set_tag(c->store, c->study_id, "warm_start", tag, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return -1;
    }
    if (!quiet)
        fprintf(stderr, "seqtune: %s: warm start from %s\n", spec->name, tag);
    return 0;
}

/* Reads the spec and checks everything that can refuse the run before the
 * store is opened: a refused run leaves no study behind (no RUNNING study with
 * no trials that blocks the name). 0, or an exit code after a message. */
static int coord_check(coord *c, const exp_run_options *opt, exp_spec *spec, char **spec_text,
                       exp_data **data, exp_objective **obj)
{
    exp_errors errs = {0};
    if (exp_spec_load(opt->spec_path, spec, &errs)) {
        for (int i = 0; i < errs.n; i++)
            exp_cli_error(opt->spec_path, "%s", errs.msg[i]);
        exp_errors_free(&errs);
        return EXP_EXIT_INPUT;
    }
    if (opt->n_trials > 0)
        spec->search.n_trials = opt->n_trials;
    *spec_text = exp_spec_to_string(spec, 0);
    c->spec = spec;
    c->n_target = spec->search.n_trials;
    if (exp_spec_space(spec, &c->space, c->err)) {
        exp_cli_error(opt->spec_path, "search.space: %s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (exp_data_load(spec, data, c->err)) {
        exp_cli_error("data", "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    *obj = exp_objective_new(spec, *data, c->err);
    if (!*obj) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    opt_study *probe = NULL;
    if (build_study(spec, c->space, 1, &probe, c->err)) {
        exp_cli_error(opt->spec_path, "search: %s", c->err);
        return EXP_EXIT_INPUT;
    }
    opt_study_free(probe);
    if (spec->search.warm_start && access(opt->db_path, F_OK) != 0) {
        /* a new store holds no study to warm-start from: say so, create nothing */
        exp_cli_error(spec->name, "search.warm_start.study: no study '%s' in this store "
                      "(%s does not exist yet)", spec->search.warm_start, opt->db_path);
        return EXP_EXIT_INPUT;
    }
    if (spec->objective_kind == EXP_OBJECTIVE_LSTM) {
        /* Some trial can run (the folds fit at the smallest seq_len; larger
         * ones that do not fit fail as trials), and the candles can be read for
         * their fingerprint. */
        if (exp_objective_fits(*obj, c->err)) {
            exp_cli_error(opt->spec_path, "%s", c->err);
            return EXP_EXIT_INPUT;
        }
        if (exp_data_fingerprint(spec, *data, c->data_fp, c->err)) {
            exp_cli_error("data.path", "%s", c->err);
            return EXP_EXIT_INPUT;
        }
    }
    return 0;
}

/* Opens the store, takes the study lock and creates or resumes the study
 * (*existed: it was there). 0, or an exit code after a message. */
static int coord_open_study(coord *c, const exp_run_options *opt, exp_spec *spec,
                            const char *spec_text, exp_data *data, int *existed)
{
    trk_wait_opts wait = {lock_wait_s(), &exp_stop_signal, lock_notice, NULL};
    c->store = trk_store_open_wait(opt->db_path, TRK_CREATE, &wait, c->err);
    if (!c->store) {
        exp_cli_error(opt->db_path, "%s", c->err);
        return exp_stop_signal ? EXP_EXIT_INTERRUPTED : EXP_EXIT_INPUT;
    }
    if (study_lock(c, spec->name, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (spec->search.warm_start && coord_warm_open(c, spec))
        return c->warm_not_found ? EXP_EXIT_INPUT : EXP_EXIT_FAILED;
    int64_t old_id = 0;
    if (opt->resume && trk_study_find(c->store, spec->name, &old_id, c->err) == 0 &&
        exp_moo_record(spec, c->store, old_id, c->err)) {   /* before the spec is replaced */
        exp_cli_error(spec->name, "--resume: %s", c->err);
        return EXP_EXIT_INPUT;
    }
    int rc = trk_study_open(c->store, spec->name, spec_text,
                            exp_direction_name(spec->search.direction),
                            opt->resume ? TRK_RESUME : 0, &c->study_id, existed, c->err);
    if (rc) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    if (exp_moo_record(spec, c->store, c->study_id, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (data_check(c, spec, data, *existed, c->err)) {
        exp_cli_error("data.path", "%s", c->err);
        return EXP_EXIT_INPUT;
    }
    return 0;
}

/* Builds the optimizer of an opened study: lost trials, the seed, replay of
 * the store, enqueued and warm-start trials, the reproducible schedule. 0, or
 * an exit code after a message. */
static int coord_start_search(coord *c, const exp_run_options *opt, exp_spec *spec, int existed)
{
    if (existed) {
        int lost = 0;
        if (trk_study_fail_running(c->store, c->study_id, "lost", &lost, c->err)) {
            exp_cli_error(spec->name, "%s", c->err);
            return EXP_EXIT_FAILED;
        }
        if (lost && !opt->quiet)
            fprintf(stderr, "seqtune: %s: %d trial(s) left running by an earlier job "
                    "recorded as FAIL (lost)\n", spec->name, lost);
    }
    c->seed = study_seed(spec, c->store, c->study_id);
    char seedbuf[32];
    snprintf(seedbuf, sizeof seedbuf, "%" PRIu64, c->seed);
    if (trk_study_set_tag(c->store, c->study_id, "sampler_seed", seedbuf, c->err) ||
        build_study(spec, c->space, c->seed, &c->opt, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (existed && replay_store(c)) {
        exp_cli_error(spec->name, "resume: %s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (exp_enqueue_init(&c->enq, spec->search.enqueue, c->space, c->store, c->study_id,
                         c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (spec->search.warm_start && coord_warm_tag(c, spec, opt->quiet))
        return EXP_EXIT_FAILED;
    if (spec->search.reproducible &&
        exp_repro_init(&c->repro, c->opt, spec->search.direction, &spec->search.sampler,
                       (unsigned long)c->seed, spec->search.reproducible_lag,
                       spec->search.warm_start ? &c->warm : NULL, c->err)) {
        exp_cli_error(spec->name, "%s", c->err);
        return EXP_EXIT_FAILED;
    }
    if (spec->search.reproducible && spec->search.pruner.kind != OPT_PRUNER_NONE)
        fprintf(stderr, "seqtune: %s: search.reproducible: the %s pruner is off (its decisions "
                "would depend on which trials finished first)\n", spec->name,
                opt_pruner_kind_name(spec->search.pruner.kind));
    return 0;
}

int coord_open(coord *c, const exp_run_options *opt, exp_spec *spec, char **spec_text,
                      exp_data **data, exp_objective **obj)
{
    int existed = 0, rc = coord_check(c, opt, spec, spec_text, data, obj);
    if (rc == 0)
        rc = coord_open_study(c, opt, spec, *spec_text, *data, &existed);
    return rc ? rc : coord_start_search(c, opt, spec, existed);
}

void coord_close(coord *c)
{
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    exp_run_hosts_free(&c->hosts);
    exp_repro_free(&c->repro);
    exp_enqueue_free(&c->enq);
    exp_warm_free(&c->warm);
    opt_study_free(c->opt);
    opt_space_free(c->space);
    trk_store_close(c->store);
    free(c->run);
    free(c->lost);
}

/* Start-up, phase 1: every worker says it has the spec and the candles. When one
 * does not by the start-up bound (or the broadcast timed out), rank 0 names it,
 * leaves the study INTERRUPTED with no trial and returns -1: the caller ends
 * the job (exit 3). */
int coord_startup_confirm(coord *c, int rank, int world, int shared, double until,
                          char err[256])
{
    if (rank != 0) {
        exp_startup_ready(1);
        return 0;
    }
    int w = shared ? -1 : exp_startup_wait(world, 1, until, &exp_stop_signal, err);
    if (w == 0)
        return 0;
    if (w == 1)
        snprintf(err, 256, "start-up: interrupted by signal %d", (int)exp_stop_signal);
    if (shared)   /* name the ranks that did not get the data */
        exp_startup_wait(world, 1, exp_now() + 0.5, NULL, err);
    exp_cli_error(c->spec->name, "%s; no trial was started, the study is INTERRUPTED "
                  "(--resume goes on)", err);
    trk_study_set_status(c->store, c->study_id, TRK_STUDY_INTERRUPTED, err);
    coord_close(c);
    return -1;
}

/* Records the trials that were running when a signal came, and the study state. */
void coord_interrupted(coord *c)
{
    int n = 0;
    char err[256];
    trk_study_fail_running(c->store, c->study_id, "interrupted", &n, err);
    n += c->n_interrupted;   /* the ones the workers answered for themselves */
    trk_study_set_status(c->store, c->study_id, TRK_STUDY_INTERRUPTED, err);
    if (c->progress_shown)
        fputc('\n', stderr);
    fprintf(stderr, "seqtune: %s: interrupted by signal %d; %d finished trial(s) kept, "
            "%d running trial(s) recorded as FAIL (interrupted); continue with --resume\n",
            c->spec->name, (int)exp_stop_signal, c->n_finished - c->n_interrupted, n);
}


/* ---- the same set-up for ask/tell from outside (experiments/study_setup.h) ---- */

int exp_study_setup(const exp_spec *spec, trk_store *store, int64_t study_id,
                    opt_space **space, opt_study **opt, uint64_t *seed, char err[256])
{
    coord c;
    memset(&c, 0, sizeof c);
    c.store = store;
    c.study_id = study_id;
    *space = NULL;
    *opt = NULL;
    if (exp_spec_space(spec, &c.space, err))
        return -1;
    c.seed = study_seed(spec, store, study_id);
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, c.seed);
    c.spec = spec;
    int rc = trk_study_set_tag(store, study_id, "sampler_seed", buf, err) ||
             exp_moo_record(spec, store, study_id, err) ||
             build_study(spec, c.space, c.seed, &c.opt, err) || replay_store(&c);
    if (rc && c.err[0])
        snprintf(err, 256, "%s", c.err);
    *space = c.space;
    *opt = c.opt;
    *seed = c.seed;
    return rc ? -1 : 0;
}

uint64_t exp_trial_seed(uint64_t study_seed, int number)
{
    return coord_mix_seed(study_seed, (uint64_t)number);
}
