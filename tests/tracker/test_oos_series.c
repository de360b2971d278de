/*
 * test_oos_series.c - the per-trial out-of-sample series table (tracker/oos.h)
 * on a real SQLite file: float32 values (NaN too) come back bit for bit, a fold
 * written twice keeps the last, a store that never had a series reads as empty
 * (also read-only), the query filters by run and orders by trial and fold, a
 * series of an unknown run is refused, and the JSON form matches the blobs.
 */
#include "tests/check.h"
#include "tests/tracker/trk_testutil.h"
#include "tracker/oos.h"
#include "tracker/query.h"

#include <cjson/cJSON.h>

int main(void)
{
    const char *dir = tu_scratch();
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/s.db", dir);
    trk_store *s = trk_store_open(path, TRK_CREATE, err);
    CHECK(s != NULL);
    int64_t study = 0, r0 = 0, r1 = 0;
    CHECK(trk_study_open(s, "s", "{}", "minimize", 0, &study, NULL, err) == 0);
    CHECK(trk_run_start(s, study, 0, 1, 7, &r0, err) == 0);
    CHECK(trk_run_start(s, study, 1, 1, 8, &r1, err) == 0);

    trk_oos *l = NULL;
    int n = -1;
    CHECK(trk_oos_query(s, study, 0, &l, &n, err) == 0);
    CHECK_INT(n, 0);    /* no table yet: empty, not an error */

    float ret[5] = {0.01f, -0.02f, 0, 1e-7f, 0.3f}, pred[5] = {0.5f, NAN, 0.61f, 0.4f, 0.2f};
    float bh[5] = {0.011f, -0.021f, 0.001f, 0, 0.31f}, ret2[3] = {1, 2, 3};
    CHECK(trk_oos_put(s, r1, 1, 120, 1000, 1500, 5, ret, pred, bh, err) == 0);
    CHECK(trk_oos_put(s, r1, 0, 100, 800, 1000, 3, ret2, ret2, ret2, err) == 0);
    CHECK(trk_oos_put(s, r0, 0, 100, 800, 1000, 3, ret2, ret2, ret2, err) == 0);
    CHECK(trk_oos_put(s, r0, 0, 100, 800, 1000, 5, ret, pred, bh, err) == 0);   /* replaces */
    CHECK(trk_oos_put(s, 9999, 0, 0, 0, 0, 5, ret, pred, bh, err) < 0);      /* no such run */
    CHECK(trk_oos_put(s, r0, 0, 0, 0, 0, -1, ret, pred, bh, err) == TRK_EINVAL);

    CHECK(trk_oos_query(s, study, 0, &l, &n, err) == 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(l[0].trial_number, 0);
        CHECK_INT(l[0].n, 5);
        CHECK(memcmp(l[0].ret, ret, sizeof ret) == 0);
        CHECK(memcmp(l[0].bh, bh, sizeof bh) == 0);
        CHECK(isnan(l[0].pred[1]) && l[0].pred[2] == 0.61f);
        CHECK_INT(l[1].trial_number, 1);
        CHECK_INT(l[1].fold, 0);
        CHECK_INT(l[2].fold, 1);
        CHECK_INT(l[2].row0, 120);
        CHECK_INT(l[2].t1, 1500);
        CHECK_INT(l[2].state, TRK_RUNNING);
    }
    trk_oos_free(l, n);
    CHECK(trk_oos_query(s, study, r1, &l, &n, err) == 0);
    CHECK_INT(n, 2);
    trk_oos_free(l, n);

    cJSON *j = trk_oos_json(s, study, r0, err);
    CHECK(cJSON_GetArraySize(j) == 1);
    const cJSON *f = cJSON_GetArrayItem(j, 0);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "pred");
    CHECK(cJSON_IsNull(cJSON_GetArrayItem(p, 1)));
    CHECK((float)cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(f, "ret"), 3)->valuedouble == 1e-7f);
    cJSON_Delete(j);
    trk_store_close(s);

    s = trk_store_open(path, TRK_READONLY, err);
    CHECK(s != NULL);
    CHECK(trk_oos_query(s, study, 0, &l, &n, err) == 0);
    CHECK_INT(n, 3);
    trk_oos_free(l, n);
    CHECK(trk_oos_put(s, r0, 2, 0, 0, 0, 5, ret, pred, bh, err) < 0);   /* read-only */
    trk_store_close(s);
    return check_done();
}
