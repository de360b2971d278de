/*
 * testfuncs.c - the benchmark functions (see testfuncs.h). Standard definitions:
 * Branin on [-5,10]x[0,15] (minimum 0.397887); Hartmann-6 on [0,1]^6 (minimum
 * -3.32237); Rosenbrock in 5-D on [-2.048, 2.048]^5 (minimum 0); Styblinski-Tang
 * in 4-D on [-5,5]^4 (minimum -39.16617 per dimension). "mixed" is a smooth bowl
 * over an LSTM-like space with its minimum 0 at seq_len 64, units 96, layers 2,
 * dropout 0.2, learning_rate 1e-3, batch_size 64, with an interaction between
 * dropout and the learning rate. "conditional" is a conditional space (layers
 * 1-4, one units_k per active layer, dropout, an optimizer whose momentum is
 * active only for "sgd") with its minimum 0 at layers 3, units_1 128, units_2
 * 64, units_3 32, dropout 0.2, sgd with momentum 0.9; every other layer count
 * costs at least 0.4.
 * "zdt1" is Zitzler-Deb-Thiele's first two-objective problem in its standard
 * size, 30 parameters x1..x30 on [0, 1].
 */
#include "optimizer/testfuncs.h"
#include "optimizer/study.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct opt_testfunc {
    const char *name;
    double optimum;          /* single-objective: the global minimum; NaN otherwise */
    int (*space)(opt_space *s, char err[256]);
    double (*eval)(const double *x);
    int n_objectives;        /* 0 or 1: eval; >= 2: eval_values */
    void (*eval_values)(const double *x, double *f);
};

static double branin(const double *x)
{
    const double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10,
                 t = 1 / (8 * M_PI);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
    return a * u * u + s * (1 - t) * cos(x[0]) + s;
}

static int branin_space(opt_space *s, char err[256])
{
    if (opt_space_add_float(s, "x1", -5, 10, 0, 0, err) < 0)
        return -1;
    return opt_space_add_float(s, "x2", 0, 15, 0, 0, err);
}

static double hartmann6(const double *x)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                   {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                   {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                   {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    double f = 0;
    for (int i = 0; i < 4; i++) {
        double e = 0;
        for (int j = 0; j < 6; j++)
            e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
        f -= alpha[i] * exp(-e);
    }
    return f;
}

static int cube_space(opt_space *s, int d, double lo, double hi, char err[256])
{
    for (int i = 0; i < d; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i + 1);
        if (opt_space_add_float(s, name, lo, hi, 0, 0, err) < 0)
            return -1;
    }
    return 0;
}

static int hartmann6_space(opt_space *s, char err[256])
{
    return cube_space(s, 6, 0, 1, err);
}

static double rosenbrock5(const double *x)
{
    double f = 0;
    for (int i = 0; i < 4; i++)
        f += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return f;
}

static int rosenbrock5_space(opt_space *s, char err[256])
{
    return cube_space(s, 5, -2.048, 2.048, err);
}

static double styblinski_tang4(const double *x)
{
    double f = 0;
    for (int i = 0; i < 4; i++)
        f += 0.5 * (pow(x[i], 4) - 16 * x[i] * x[i] + 5 * x[i]);
    return f;
}

static int styblinski_tang4_space(opt_space *s, char err[256])
{
    return cube_space(s, 4, -5, 5, err);
}

static const double mixed_batches[3] = {32, 64, 128};

static double mixed(const double *x)
{
    double seq = (x[0] - 64) / 40.0;
    double units = log(x[1] / 96.0);
    double layers = fabs(x[2] - 2);
    double drop = (x[3] - 0.2) / 0.15;
    double lr = log10(x[4]) + 3.0;
    int b = (int)x[5];
    double batch = b == 1 ? 0.0 : b == 0 ? 0.15 : 0.35;
    return seq * seq + 0.8 * units * units + 0.3 * layers + drop * drop + lr * lr +
           0.8 * drop * lr + batch;
}

static int mixed_space(opt_space *s, char err[256])
{
    if (opt_space_add_int(s, "window", 20, 120, 4, 0, err) < 0 ||
        opt_space_add_int(s, "width", 16, 256, 1, 1, err) < 0 ||
        opt_space_add_int(s, "layers", 1, 3, 1, 0, err) < 0 ||
        opt_space_add_float(s, "dropout", 0.0, 0.5, 0, 0, err) < 0 ||
        opt_space_add_float(s, "step_size", 1e-4, 1e-2, 1, 0, err) < 0)
        return -1;
    return opt_space_add_categorical_num(s, "batch_size", mixed_batches, 3, err);
}

/* Cost of each layer count (1-4) and the best size of each layer. */
static const double cond_layer_cost[4] = {1.0, 0.6, 0.0, 0.4};
static const double cond_units_best[4] = {128, 64, 32, 48};

/* x: layers, units_1..units_4 (NaN when inactive), dropout, optimizer (0 adam,
 * 1 sgd), momentum (NaN unless sgd). */
static double conditional(const double *x)
{
    int layers = (int)x[0];
    double f = cond_layer_cost[layers - 1];
    for (int k = 0; k < layers; k++) {
        double u = log(x[1 + k] / cond_units_best[k]);
        f += 0.3 * u * u;
    }
    double d = (x[5] - 0.2) / 0.15, m = (x[7] - 0.9) / 0.3;
    return f + 0.25 * d * d + (x[6] == 0 ? 0.1 : 0.2 * m * m);
}

static int conditional_space(opt_space *s, char err[256])
{
    static const char *const optimizers[2] = {"adam", "sgd"};
    static const char *const units[4] = {"units_1", "units_2", "units_3", "units_4"};
    if (opt_space_add_int(s, "layers", 1, 4, 1, 0, err) < 0)
        return -1;
    for (int k = 0; k < 4; k++)
        if (opt_space_add_int(s, units[k], 16, 256, 1, 1, err) < 0)
            return -1;
    if (opt_space_add_float(s, "dropout", 0.0, 0.5, 0, 0, err) < 0 ||
        opt_space_add_categorical_str(s, "optimizer", optimizers, 2, err) < 0 ||
        opt_space_add_float(s, "momentum", 0.0, 0.99, 0, 0, err) < 0)
        return -1;
    for (int k = 1; k < 4; k++) {   /* units_k+1 when layers >= k+1 */
        double need = k + 1;
        if (opt_space_set_condition(s, 1 + k, "layers", OPT_COND_GE, &need, 1, err) < 0)
            return -1;
    }
    double sgd = 1;   /* the index of "sgd" */
    return opt_space_set_condition(s, 7, "optimizer", OPT_COND_EQ, &sgd, 1, err);
}

#define ZDT1_DIMS 30

static int zdt1_space(opt_space *s, char err[256])
{
    return cube_space(s, ZDT1_DIMS, 0, 1, err);
}

static void zdt1_values(const double *x, double *f)
{
    opt_zdt1(x, ZDT1_DIMS, f);
}

static const opt_testfunc registry[] = {
    {"branin", 0.39788735772973816, branin_space, branin, 1, NULL},
    {"hartmann6", -3.3223680114155147, hartmann6_space, hartmann6, 1, NULL},
    {"rosenbrock5", 0.0, rosenbrock5_space, rosenbrock5, 1, NULL},
    {"styblinski_tang4", -39.16616570377142 * 4, styblinski_tang4_space, styblinski_tang4, 1, NULL},
    {"mixed", 0.0, mixed_space, mixed, 1, NULL},
    {"conditional", 0.0, conditional_space, conditional, 1, NULL},
    {"zdt1", NAN, zdt1_space, NULL, 2, zdt1_values},
};

int opt_testfunc_count(void)
{
    return (int)(sizeof registry / sizeof registry[0]);
}

const opt_testfunc *opt_testfunc_at(int i)
{
    return i >= 0 && i < opt_testfunc_count() ? &registry[i] : NULL;
}

const opt_testfunc *opt_testfunc_find(const char *name)
{
    for (int i = 0; name && i < opt_testfunc_count(); i++)
        if (strcmp(registry[i].name, name) == 0)
            return &registry[i];
    return NULL;
}

const char *opt_testfunc_name(const opt_testfunc *f)
{
    return f->name;
}

double opt_testfunc_optimum(const opt_testfunc *f)
{
    return f->optimum;
}

opt_space *opt_testfunc_space(const opt_testfunc *f, char err[256])
{
    opt_space *s = opt_space_new();
    if (!s) {
        snprintf(err, 256, "test function '%s': out of memory", f->name);
        return NULL;
    }
    if (f->space(s, err) < 0) {
        opt_space_free(s);
        return NULL;
    }
    return s;
}

int opt_testfunc_n_objectives(const opt_testfunc *f)
{
    return f->n_objectives > 1 ? f->n_objectives : 1;
}

double opt_testfunc_eval(const opt_testfunc *f, const double *values)
{
    double v[OPT_MAX_OBJECTIVES];
    if (!f->eval) {
        f->eval_values(values, v);
        return v[0];
    }
    return f->eval(values);
}

void opt_testfunc_eval_values(const opt_testfunc *f, const double *values, double *out)
{
    if (f->eval)
        out[0] = f->eval(values);
    else
        f->eval_values(values, out);
}

void opt_zdt1(const double *x, int d, double *f)
{
    double g = 0;
    for (int i = 1; i < d; i++)
        g += x[i];
    g = 1 + 9 * g / (d - 1);
    f[0] = x[0];
    f[1] = g * (1 - sqrt(x[0] / g));
}
