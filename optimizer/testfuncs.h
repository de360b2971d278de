/*
 * testfuncs.h - benchmark objective functions with their search spaces and known
 * optima: branin (2-D), hartmann6, rosenbrock5, styblinski_tang4 and "mixed", a
 * 6-parameter function shaped like the LSTM space (int with step, log int, int,
 * float, log float, numeric categorical), "conditional", whose space has
 * conditional parameters (inactive ones are NaN; the optimum needs layers 3 and
 * a specific units_3), and zdt1 (two objectives over 30 parameters). All are
 * minimised. The study runner
 * uses them as the built-in objective ("objective": {"builtin": "branin"}); the
 * sampler benchmark and tests use them to measure regret.
 */
#ifndef OPT_TESTFUNCS_H
#define OPT_TESTFUNCS_H

#include "optimizer/space.h"

typedef struct opt_testfunc opt_testfunc;

/* The function called name, or NULL. */
const opt_testfunc *opt_testfunc_find(const char *name);
/* Number of functions and the i-th one (registry order), for listing. */
int opt_testfunc_count(void);
const opt_testfunc *opt_testfunc_at(int i);

const char *opt_testfunc_name(const opt_testfunc *f);
/* Global minimum value (the regret of a value v is v - optimum); NaN for a
 * multi-objective function. */
double opt_testfunc_optimum(const opt_testfunc *f);
/* Objectives the function returns: 1, or 2..OPT_MAX_OBJECTIVES (zdt1: 2). */
int opt_testfunc_n_objectives(const opt_testfunc *f);
/* A new space holding the function's parameters; NULL + err on failure. Caller
 * frees with opt_space_free. */
opt_space *opt_testfunc_space(const opt_testfunc *f, char err[256]);
/* The objective at values (space order, space.h representation: categoricals by
 * index), as laid out by opt_testfunc_space; the first objective of a
 * multi-objective function. */
double opt_testfunc_eval(const opt_testfunc *f, const double *values);
/* Every objective's value at values into out[0..opt_testfunc_n_objectives). */
void opt_testfunc_eval_values(const opt_testfunc *f, const double *values, double *out);

/* ZDT1 (two objectives, both minimised) over [0, 1]^d, d >= 2: f1 = x1,
 * g = 1 + 9 sum(x2..xd) / (d - 1), f2 = g (1 - sqrt(f1 / g)); the Pareto front
 * is f2 = 1 - sqrt(f1) at x2..xd = 0. */
void opt_zdt1(const double *x, int d, double *f);

#endif
