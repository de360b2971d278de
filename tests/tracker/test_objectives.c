/*
 * test_objectives.c - schema step 4 (tracker/objectives.h): a schema-3 file is
 * migrated with its rows kept and every study given its one objective (the
 * spec's search.metric, "value" for a spec that is not JSON); objectives are
 * recorded once and a different list is refused without a change; per-objective
 * run values round-trip (NaN as NULL), merge per run in trial order, and go
 * with their run and study.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/admin.h"
#include "tracker/objectives.h"
#include "tracker/store_int.h"

#include <math.h>
#include <sqlite3.h>

static char err[256];

static int count(trk_store *s, const char *sql)
{
    int v = -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_migration_from_v3_gives_each_study_its_objective(void)
{
    char p[600];
    tu_path(p, sizeof p, "v3.db");
    sqlite3 *db;
    CHECK_INT(sqlite3_open(p, &db), SQLITE_OK);
    CHECK_INT(trk_schema_migrate(db, 3, err), 0);
    CHECK_INT(sqlite3_exec(db, "INSERT INTO studies(id,name,spec,direction,created) VALUES"
                           "(1,'lstm','{\"search\":{\"metric\":\"sharpe\"}}','maximize',0),"
                           "(2,'odd','not json','minimize',0);"
                           "INSERT INTO runs(id,study_id,trial_number,state,value,started)"
                           " VALUES(7,1,0,'COMPLETE',1.5,0);", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    trk_store *s = trk_store_open(p, TRK_READONLY, err);
    CHECK(s == NULL);
    CHECK_STR_CONTAINS(err, "older than 4");
    s = trk_store_open(p, 0, err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    CHECK_INT(count(s, "PRAGMA user_version"), 4);
    trk_objective *o = NULL;
    int n = 0;
    TU_OK(trk_study_objectives(s, 1, &o, &n, err));
    CHECK_INT(n, 1);
    CHECK(n == 1 && strcmp(o[0].name, "sharpe") == 0 && o[0].maximize == 1);
    trk_objectives_free(o, n);
    TU_OK(trk_study_objectives(s, 2, &o, &n, err));
    CHECK(n == 1 && strcmp(o[0].name, "value") == 0 && o[0].maximize == 0);
    trk_objectives_free(o, n);
    CHECK_INT(count(s, "SELECT count(*) FROM runs WHERE value = 1.5"), 1);
    CHECK_INT(count(s, "SELECT count(*) FROM run_values"), 0);
    trk_store_close(s);
}

static void test_objectives_once_and_values_per_run(void)
{
    char p[600];
    tu_path(p, sizeof p, "moo.db");
    trk_store *s = trk_store_open(p, TRK_CREATE, err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s)
        return;
    int64_t sid, r0, r1, r2;
    TU_OK(trk_study_open(s, "moo", "{}", "maximize", 0, &sid, NULL, err));
    const char *names[2] = {"sharpe", "max_drawdown"}, *dirs[2] = {"maximize", "minimize"};
    TU_OK(trk_study_set_objectives(s, sid, 2, names, dirs, err));
    TU_OK(trk_study_set_objectives(s, sid, 2, names, dirs, err));   /* the same: fine */
    const char *other[2] = {"sharpe", "sortino"};
    CHECK_INT(trk_study_set_objectives(s, sid, 2, other, dirs, err), TRK_EINVAL);
    CHECK_STR_CONTAINS(err, "the study's objectives are sharpe (maximize), max_drawdown "
                       "(minimize); the spec asks for sharpe (maximize), sortino (minimize)");
    CHECK_INT(trk_study_set_objectives(s, sid, 1, names, dirs, err), TRK_EINVAL);
    const char *bad[1] = {"up"};
    CHECK_INT(trk_study_set_objectives(s, sid, 1, names, bad, err), TRK_EINVAL);
    CHECK_INT(count(s, "SELECT count(*) FROM study_objectives"), 2);

    TU_OK(trk_run_start(s, sid, 2, 1, 5, &r2, err));
    TU_OK(trk_run_start(s, sid, 0, 1, 5, &r0, err));
    TU_OK(trk_run_start(s, sid, 1, 1, 5, &r1, err));
    double v0[2] = {1.25, -0.5}, v2[2] = {0.5, NAN}, v2b[2] = {0.75, 0.125};
    TU_OK(trk_run_set_values(s, r0, v0, 2, err));
    TU_OK(trk_run_set_values(s, r2, v2, 2, err));
    CHECK_INT(trk_run_set_values(s, r1, v0, 5, err), TRK_EINVAL);
    trk_run_values *rv = NULL;
    int n = 0;
    TU_OK(trk_study_run_values(s, sid, &rv, &n, err));
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_INT(rv[0].trial_number, 0);
        CHECK(rv[0].run_id == r0 && rv[0].n == 2);
        CHECK_NEAR(rv[0].v[0], 1.25, 0);
        CHECK_NEAR(rv[0].v[1], -0.5, 0);
        CHECK_INT(rv[1].trial_number, 2);
        CHECK_NEAR(rv[1].v[0], 0.5, 0);
        CHECK(isnan(rv[1].v[1]));
    }
    free(rv);
    TU_OK(trk_run_set_values(s, r2, v2b, 2, err));   /* replaced */
    TU_OK(trk_study_run_values(s, sid, &rv, &n, err));
    CHECK(n == 2 && rv[1].v[1] == 0.125);
    free(rv);

    /* inside a batch the values are a savepoint that commits with the batch */
    TU_OK(trk_store_batch_begin(s, err));
    TU_OK(trk_run_set_values(s, r1, v2b, 2, err));
    TU_OK(trk_store_batch_end(s, err));
    CHECK_INT(count(s, "SELECT count(*) FROM run_values"), 6);

    TU_OK(trk_study_delete(s, "moo", NULL, err));
    CHECK_INT(count(s, "SELECT count(*) FROM run_values"), 0);
    CHECK_INT(count(s, "SELECT count(*) FROM study_objectives"), 0);
    trk_store_close(s);
}

int main(void)
{
    tu_scratch();
    test_migration_from_v3_gives_each_study_its_objective();
    test_objectives_once_and_values_per_run();
    return check_done();
}
