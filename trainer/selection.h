/*
 * selection.h - is the chosen trial's edge real? The statistics that turn "the
 * best trial" into a decision (DESIGN.md, "Selection as a decision"):
 *
 *   tr_pbo_cscv         Probability of Backtest Overfitting by combinatorially
 *                       symmetric cross-validation (Bailey, Borwein, Lopez de
 *                       Prado, Zhu) over a T x N matrix of per-bar out-of-sample
 *                       returns of N trials
 *   tr_diebold_mariano  a paired test of two per-sample loss series (the model's
 *                       holdout loss against a baseline's), Newey-West variance
 *   tr_verdict          edge / no edge from the Deflated Sharpe Ratio and the
 *                       test against no skill, with the reasons in words, plus
 *                       the two side questions (LSTM vs linear, PBO)
 *
 * Double precision throughout; GSL for the normal distribution and the fit.
 * Nothing here allocates except tr_pbo_cscv (its logit arrays).
 */
#ifndef TR_SELECTION_H
#define TR_SELECTION_H

/* The result of CSCV over C(S, S/2) splits. Arrays are owned by the result and
 * freed with tr_pbo_result_free (safe on a zeroed struct). */
typedef struct tr_pbo_result {
    int n_splits;          /* C(S, S/2) */
    int n_trials, n_bars, n_blocks;
    double pbo;            /* fraction of splits with logit <= 0 */
    double *logit;         /* (n_splits) ln(w / (1 - w)), w = OOS rank of the IS best / (N + 1) */
    double *is_sharpe;     /* (n_splits) per-bar Sharpe of the IS best, in sample */
    double *oos_sharpe;    /* (n_splits) and out of sample */
    double slope, intercept;   /* least squares of oos_sharpe on is_sharpe (degradation) */
    double p_oos_loss;     /* fraction of splits whose IS best has an OOS Sharpe < 0 */
} tr_pbo_result;

/*
 * CSCV over m, a t x n row-major matrix (row = bar, column = trial) of per-bar
 * returns. Rows are cut into s contiguous blocks (block b holds rows
 * [b t / s, (b + 1) t / s)); every choice of s/2 blocks is the in-sample set,
 * its complement the out-of-sample set. Performance is the per-bar Sharpe
 * ratio mean / sample sd (0 when sd is 0). The in-sample best (lowest column
 * on ties) gets its out-of-sample rank r in 1..n (ties share the mean rank),
 * w = r / (n + 1). Needs n >= 2, s even in [2, 24], t >= 2 s, finite values.
 * Returns 0, or -1 with err; the caller frees r with tr_pbo_result_free.
 */
int tr_pbo_cscv(const double *m, int t, int n, int s, tr_pbo_result *r, char err[256]);
void tr_pbo_result_free(tr_pbo_result *r);

/* The Diebold-Mariano test of d_i = loss_a[i] - loss_b[i], i < n. */
typedef struct tr_dm_result {
    int n, lag;
    double mean_diff;      /* mean of d (negative: a has the lower loss) */
    double se;             /* sqrt(Newey-West long-run variance / n) */
    double stat;           /* mean_diff / se (+-INFINITY when se is 0 and mean_diff is not) */
    double pvalue;         /* one-sided, H1: a's expected loss is lower = Phi(stat) */
    double ci_low, ci_high;    /* 95 % interval of the mean difference */
} tr_dm_result;

/*
 * The long-run variance is gamma_0 + 2 sum_{k=1..L} (1 - k / (L + 1)) gamma_k
 * (Bartlett weights), gamma_k = 1/n sum_{i>=k} (d_i - mean)(d_{i-k} - mean).
 * lag < 0 picks L = floor(4 (n / 100)^(2/9)). Needs n >= 2 and finite losses.
 * Returns 0, or -1 with err.
 */
int tr_diebold_mariano(const double *loss_a, const double *loss_b, int n, int lag,
                       tr_dm_result *r, char err[256]);

/* The thresholds of the verdict (spec section `selection`). */
typedef struct tr_selection_config {
    double dsr_min;        /* 0.95: the Deflated Sharpe Ratio must reach it */
    double dm_alpha;       /* 0.05: the one-sided DM p-value against no skill must be below it */
    double pbo_max;        /* 0.5: a PBO at or above it says the ranking does not carry */
    int pbo_blocks;        /* 16: CSCV blocks S (even) */
    int pbo_min_trials;    /* 4: fewer trials with every fold: no PBO */
} tr_selection_config;

void tr_selection_config_default(tr_selection_config *c);

/* What the verdict is decided from; NaN where a figure could not be computed
 * (then the criterion that needs it fails). */
typedef struct tr_verdict_input {
    double dsr;            /* Deflated Sharpe Ratio of the holdout returns */
    int dsr_trials;        /* the trials it counts (every evaluated one) */
    double dm_p_noskill;   /* DM p-value of the model against no skill */
    const char *noskill_name;  /* "majority class", "class frequencies" or "persistence" */
    double dm_p_linear;    /* DM p-value of the model against the linear baseline (NaN: none) */
    double pbo;            /* NaN: not computed */
    int pbo_trials;        /* trials with every fold (the CSCV columns) */
    const char *linear_name;   /* "logistic" (NULL), "softmax" or "linear regression" */
} tr_verdict_input;

#define TR_VERDICT_REASONS 4

typedef struct tr_verdict {
    int edge;              /* 1: both criteria hold */
    int n_reasons;
    char reasons[TR_VERDICT_REASONS][320];   /* criteria first, then the two side lines */
} tr_verdict;

/* Decides the verdict and writes its reasons in plain words, each with its
 * number and threshold. */
void tr_verdict_decide(const tr_verdict_input *in, const tr_selection_config *c, tr_verdict *v);

#endif
