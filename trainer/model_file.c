/*
 * model_file.c - save/load of a tr_lstm with its metadata (format in model_file.h).
 *
 * Saving serialises into a memory buffer, appends the FNV-1a 64 checksum and
 * writes the buffer durably. Loading reads the whole file, checks magic, version
 * and checksum before parsing, then parses with bounds checks on every field, so
 * a damaged file is an error message, never a crash.
 */
#include "trainer/model_file.h"

#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char MAGIC[8] = {'S', 'Q', 'T', 'L', 'S', 'T', 'M', 0};

#define MAX_STRING 4096
#define MAX_FEATURES 100000
#define MAX_SEQ_LEN 100000   /* the spec's training.seq_len range */

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int tr_model_meta_set_string(char **dst, const char *src)
{
    char *s = strdup(src ? src : "");
    if (!s)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

void tr_model_meta_free(tr_model_meta *meta)
{
    if (!meta)
        return;
    if (meta->feature_names)
        for (int i = 0; i < meta->n_features; i++)
            free(meta->feature_names[i]);
    free(meta->feature_names);
    free(meta->target_kind);
    free(meta->scaler_kind);
    free(meta->scaler_center);
    free(meta->scaler_scale);
    memset(meta, 0, sizeof *meta);
}

int tr_model_meta_alloc(tr_model_meta *meta, int n_features, char err[256])
{
    memset(meta, 0, sizeof *meta);
    if (n_features < 0 || n_features > MAX_FEATURES) {
        snprintf(err, 256, "model metadata: feature count %d out of range", n_features);
        return -1;
    }
    size_t k = n_features > 0 ? (size_t)n_features : 1;
    meta->feature_names = calloc(k, sizeof(char *));
    meta->scaler_center = calloc(k, sizeof(float));
    meta->scaler_scale = calloc(k, sizeof(float));
    meta->target_kind = strdup("");
    meta->scaler_kind = strdup("");
    if (!meta->feature_names || !meta->scaler_center || !meta->scaler_scale ||
        !meta->target_kind || !meta->scaler_kind)
        goto oom;
    meta->n_features = n_features;
    for (int i = 0; i < n_features; i++)
        if (!(meta->feature_names[i] = strdup("")))
            goto oom;
    return 0;
oom:
    tr_model_meta_free(meta);
    snprintf(err, 256, "model metadata: out of memory");
    return -1;
}

/* A growable byte buffer for serialising. */
typedef struct buf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(buf *b, uint32_t v)
{
    unsigned char x[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
    put(b, x, 4);
}

static void put_u64(buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(buf *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

static void put_str(buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    put(b, s ? s : "", n);
}

/* Writes n bytes to path durably (base/file.h). */
static int write_durably(const char *path, const unsigned char *p, size_t n, char err[256])
{
    char e[256];
    if (base_file_write(path, p, n, e) == 0)
        return 0;
    snprintf(err, 256, "model file %.240s", e);
    return -1;
}

int tr_model_save(const char *path, const tr_lstm *m, const tr_model_meta *meta,
                  char err[256])
{
    buf b = {0};
    const tr_lstm_config *c = &m->cfg;
    int rc = -1;
    put(&b, MAGIC, 8);
    put_u32(&b, TR_MODEL_FILE_VERSION);
    put_u32(&b, (uint32_t)c->n_features);
    put_u32(&b, (uint32_t)c->units);
    put_u32(&b, (uint32_t)c->layers);
    put_u32(&b, (uint32_t)c->seq_len);
    put_u32(&b, (uint32_t)c->head);
    put_u32(&b, (uint32_t)c->bidirectional);
    put_u32(&b, (uint32_t)(c->head == TR_HEAD_MULTICLASS ? c->n_classes : 0));
    put_f32(&b, c->dropout);
    for (int l = 0; l < c->layers; l++)
        put_u32(&b, (uint32_t)tr_lstm_layer_units(c, l));
    for (int l = 0; l < c->layers; l++)
        put_f32(&b, tr_lstm_layer_dropout(c, l));
    int nf = meta ? meta->n_features : 0;
    put_u32(&b, (uint32_t)nf);
    for (int i = 0; i < nf; i++)
        put_str(&b, meta->feature_names ? meta->feature_names[i] : "");
    put_str(&b, meta ? meta->target_kind : "");
    put_u32(&b, (uint32_t)(meta ? meta->horizon : 0));
    put_f32(&b, meta ? meta->deadband : 0.0f);
    put_u32(&b, (uint32_t)(meta ? meta->seq_len : c->seq_len));
    put_str(&b, meta ? meta->scaler_kind : "");
    int stats = meta && meta->scaler_center && meta->scaler_scale && nf > 0;
    put_u32(&b, (uint32_t)stats);
    for (int i = 0; stats && i < nf; i++)
        put_f32(&b, meta->scaler_center[i]);
    for (int i = 0; stats && i < nf; i++)
        put_f32(&b, meta->scaler_scale[i]);
    put_u32(&b, (uint32_t)(meta ? meta->n_classes : 0));
    put_u32(&b, (uint32_t)(meta ? meta->has_target_scaler != 0 : 0));
    put_f32(&b, meta ? meta->target_center : 0.0f);
    put_f32(&b, meta ? meta->target_scale : 0.0f);
    put_u64(&b, (uint64_t)m->n_params);
    for (size_t i = 0; i < m->n_params; i++)
        put_f32(&b, m->params[i]);
    if (!b.oom)
        put_u64(&b, fnv1a64(b.p, b.n));
    if (b.oom) {
        snprintf(err, 256, "model file %.200s: out of memory", path);
        goto fail;
    }
    rc = write_durably(path, b.p, b.n, err);
fail:
    free(b.p);
    return rc;
}

/* A bounded reader: any read past the end sets `bad`. */
typedef struct rd {
    const unsigned char *p;
    size_t n, at;
    int bad;
} rd;

static const unsigned char *take(rd *r, size_t n)
{
    if (r->bad || n > r->n - r->at) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->at;
    r->at += n;
    return q;
}

static uint32_t get_u32(rd *r)
{
    const unsigned char *q = take(r, 4);
    return q ? (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
               (uint32_t)q[3] << 24 : 0;
}

static uint64_t get_u64(rd *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static float get_f32(rd *r)
{
    uint32_t u = get_u32(r);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Reads a length-prefixed string into a new allocation (caller frees); NULL on error. */
static char *get_str(rd *r)
{
    uint32_t n = get_u32(r);
    if (n > MAX_STRING) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = take(r, n);
    if (!q)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, q, n);
    s[n] = 0;
    return s;
}

static unsigned char *read_all(const char *path, size_t *n, char err[256])
{
    /* Only a regular file, read up to its own size (/dev/zero or a FIFO would
     * be read without end, and opening a FIFO would wait for a writer). */
    int not_regular = 0;
    struct stat st;
    FILE *f = base_file_open_regular(path, &st, &not_regular);
    unsigned char *p = NULL;
    size_t cap = 0, len = 0;
    if (!f) {
        if (not_regular)
            snprintf(err, 256, "model file %.200s: is not a regular file", path);
        else
            snprintf(err, 256, "model file %.200s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t limit = (size_t)st.st_size;
    for (;;) {
        if (len > limit) {
            snprintf(err, 256, "model file %.200s: grew while it was read", path);
            goto fail;
        }
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *q = realloc(p, cap);
            if (!q) {
                snprintf(err, 256, "model file %.200s: out of memory", path);
                goto fail;
            }
            p = q;
        }
        size_t got = fread(p + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, 256, "model file %.200s: read error", path);
        goto fail;
    }
    fclose(f);
    *n = len;
    return p;
fail:
    fclose(f);
    free(p);
    return NULL;
}

/* 1 when the architecture is valid (tr_lstm_config_check, seq_len in the spec's
 * range) and its weight count (tr_lstm_param_count) equals `np`, the count the
 * file stores before its weights; checked before tr_lstm_new so that a small
 * corrupt file cannot make the loader allocate gigabytes (found by
 * fuzz/fuzz_model.c: the weights must then be in the file as well). */
static int arch_matches(const tr_lstm_config *c, uint64_t np)
{
    char e[256];
    return c->seq_len <= MAX_SEQ_LEN && tr_lstm_config_check(c, e) == 0 &&
           (uint64_t)tr_lstm_param_count(c) == np;
}

/* Version 3's per-layer sizes and dropouts into c (c->layers already read, and
 * bounded here before anything is read per layer). An entry equal to the
 * default (units, dropout) stays unset, so a model saved without overrides
 * loads as it was. Sets r->bad on a short or impossible section. */
static void get_layers(rd *r, tr_lstm_config *c)
{
    if (c->layers < 1 || c->layers > TR_LSTM_MAX_LAYERS) {
        r->bad = 1;
        return;
    }
    for (int l = 0; l < c->layers; l++) {
        uint32_t h = get_u32(r);
        if (h < 1 || h > INT32_MAX)
            r->bad = 1;
        c->layer_units[l] = (int)h == c->units ? 0 : (int)(h & INT32_MAX);
    }
    for (int l = 0; l < c->layers; l++) {
        float p = get_f32(r);
        c->layer_dropout[l] = p;
        if (memcmp(&p, &c->dropout, sizeof p) != 0)
            c->layer_dropout_set |= 1u << l;
    }
}

/* The file's envelope: magic, a format version this build reads, the checksum
 * over everything before it. *version is set and r->n ends before the checksum.
 * 0, or -1 and err. */
static int load_envelope(const char *path, rd *r, uint32_t *version, char err[256])
{
    const unsigned char *data = r->p;
    size_t n = r->n;
    if (n < 12 || memcmp(data, MAGIC, 8) != 0) {
        snprintf(err, 256, "model file %.180s: not a seqtune model file (bad magic)", path);
        return -1;
    }
    take(r, 8);
    *version = get_u32(r);
    if (*version > TR_MODEL_FILE_VERSION || *version == 0) {
        snprintf(err, 256, "model file %.100s: format version %u is not supported "
                 "(this build reads version %d%s)", path, *version, TR_MODEL_FILE_VERSION,
                 *version > TR_MODEL_FILE_VERSION ? "; it was written by a newer seqtune" : "");
        return -1;
    }
    if (n < 20) {
        snprintf(err, 256, "model file %.180s: truncated (%zu bytes)", path, n);
        return -1;
    }
    uint64_t want = (uint64_t)data[n - 8] | (uint64_t)data[n - 7] << 8 |
                    (uint64_t)data[n - 6] << 16 | (uint64_t)data[n - 5] << 24 |
                    (uint64_t)data[n - 4] << 32 | (uint64_t)data[n - 3] << 40 |
                    (uint64_t)data[n - 2] << 48 | (uint64_t)data[n - 1] << 56;
    if (fnv1a64(data, n - 8) != want) {
        snprintf(err, 256, "model file %.150s: checksum mismatch: the file is truncated "
                 "or corrupted (%zu bytes)", path, n);
        return -1;
    }
    r->n = n - 8;
    return 0;
}

/* The architecture header of a file of `version` (fields a version lacks are 0). */
static void load_arch(rd *r, uint32_t version, tr_lstm_config *c)
{
    memset(c, 0, sizeof *c);
    c->n_features = (int)get_u32(r);
    c->units = (int)get_u32(r);
    c->layers = (int)get_u32(r);
    c->seq_len = (int)get_u32(r);
    c->head = (tr_head)get_u32(r);
    c->bidirectional = (int)get_u32(r);   /* reserved, 0, in version 1 */
    c->n_classes = (int)get_u32(r);       /* multiclass head only; 0 in version 1 */
    if (version < 2)
        c->bidirectional = c->n_classes = 0;
    c->dropout = get_f32(r);
    if (version >= 3)
        get_layers(r, c);
}

/* The metadata section (nf feature names, target, scaler) into meta, allocated
 * for nf features; a malformed section sets r->bad. */
static void load_meta(rd *r, uint32_t version, uint32_t nf, tr_model_meta *meta)
{
    for (uint32_t i = 0; i < nf && !r->bad; i++) {
        free(meta->feature_names[i]);
        meta->feature_names[i] = get_str(r);
    }
    free(meta->target_kind);
    meta->target_kind = get_str(r);
    meta->horizon = (int)get_u32(r);
    meta->deadband = get_f32(r);
    meta->seq_len = (int)get_u32(r);
    free(meta->scaler_kind);
    meta->scaler_kind = get_str(r);
    uint32_t stats = get_u32(r);
    if (stats == 1) {
        for (uint32_t i = 0; i < nf; i++)
            meta->scaler_center[i] = get_f32(r);
        for (uint32_t i = 0; i < nf; i++)
            meta->scaler_scale[i] = get_f32(r);
    } else {
        free(meta->scaler_center);
        free(meta->scaler_scale);
        meta->scaler_center = meta->scaler_scale = NULL;
        if (stats != 0)
            r->bad = 1;
    }
    if (version >= 2) {
        meta->n_classes = (int)get_u32(r);
        meta->has_target_scaler = (int)get_u32(r);
        meta->target_center = get_f32(r);
        meta->target_scale = get_f32(r);
        if (meta->n_classes < 0 || meta->n_classes > 64 || (meta->has_target_scaler != 0 &&
            meta->has_target_scaler != 1))
            r->bad = 1;
    } else if (meta->target_kind) {   /* version 1: direction or return */
        meta->n_classes = strcmp(meta->target_kind, "return") == 0 ? 0 : 2;
    }
}

int tr_model_load(const char *path, int max_batch, int blas_threads, tr_lstm **out,
                  tr_model_meta *meta, char err[256])
{
    size_t n = 0;
    tr_lstm *m = NULL;
    char e2[256];
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    unsigned char *data = read_all(path, &n, err);
    if (!data)
        return -1;
    rd r = {data, n, 0, 0};
    uint32_t version = 0;
    if (load_envelope(path, &r, &version, err) < 0)
        goto fail;
    tr_lstm_config c;
    load_arch(&r, version, &c);
    c.max_batch = max_batch > 0 ? max_batch : 1;
    c.blas_threads = blas_threads;
    uint32_t nf = get_u32(&r);
    if (r.bad || nf > MAX_FEATURES) {
        snprintf(err, 256, "model file %.180s: malformed header", path);
        goto fail;
    }
    if (tr_model_meta_alloc(meta, (int)nf, e2)) {
        snprintf(err, 256, "model file %.100s: %.120s", path, e2);
        goto fail;
    }
    load_meta(&r, version, nf, meta);
    if (r.bad) {
        snprintf(err, 256, "model file %.180s: malformed metadata section", path);
        goto fail;
    }
    /* the stored weight count must match the architecture and the bytes left */
    size_t at = r.at;
    uint64_t np0 = get_u64(&r);
    r.at = at;
    if (r.bad || !arch_matches(&c, np0) || np0 > (r.n - r.at - 8) / 4 ||
        r.n - r.at - 8 != 4 * np0) {
        snprintf(err, 256, "model file %.100s: the architecture (%d features, %d units, "
                 "%d layers, seq_len %d) does not match the weights stored", path,
                 c.n_features, c.units, c.layers, c.seq_len);
        goto fail;
    }
    m = tr_lstm_new(&c, e2);
    if (!m) {
        snprintf(err, 256, "model file %.100s: bad architecture: %.120s", path, e2);
        goto fail;
    }
    uint64_t np = get_u64(&r);
    if (r.bad || np != m->n_params) {
        snprintf(err, 256, "model file %.150s: %llu weights stored, the architecture needs %zu",
                 path, (unsigned long long)np, m->n_params);
        goto fail;
    }
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] = get_f32(&r);
    if (r.bad || r.at != r.n) {
        snprintf(err, 256, "model file %.180s: malformed weights section", path);
        goto fail;
    }
    free(data);
    *out = m;
    return 0;
fail:
    free(data);
    tr_lstm_free(m);
    tr_model_meta_free(meta);
    return -1;
}
