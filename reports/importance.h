/*
 * importance.h - hyperparameter importance by PED-ANOVA (Watanabe et al., 2023,
 * "PED-ANOVA: Efficiently Quantifying Hyperparameter Importance in Arbitrary
 * Subspaces"), the same method as Optuna's PedAnovaImportanceEvaluator with its
 * defaults (top quantile 0.1 against all trials).
 *
 * For each parameter, two densities are estimated: p_top over the best 10% of
 * the trials (at least 2) and p_all over all of them. The parameter's importance
 * is the Pearson divergence
 *
 *     D = sum_g p_all(g) * (p_top(g) / p_all(g) - 1)^2
 *
 * on a grid: a parameter whose good values concentrate in a small region scores
 * high, one whose good trials look like all trials scores ~0. Numeric parameters
 * are scaled to [0,1] by their observed range (pass log10 values for log-scaled
 * ones) and estimated by Gaussian kernel densities on a grid of 100 cells, both
 * with one bandwidth (Scott's rule on the top set, at least 0.02), so that equal
 * distributions score 0 whatever the sample sizes; categorical parameters use
 * category frequencies with one pseudo-count per category. Importances are then
 * normalised to sum 1.
 *
 * Conditional parameters: a NaN in x marks a parameter absent from a trial
 * (inactive there). Each parameter is scored over the trials that have it, its
 * top set the best 10% of those, as PED-ANOVA does for a subspace; one present
 * in fewer than REP_PED_MIN_TRIALS trials scores 0.
 */
#ifndef REPORTS_IMPORTANCE_H
#define REPORTS_IMPORTANCE_H

#define REP_PED_TOP_QUANTILE 0.1
#define REP_PED_GRID 100
#define REP_PED_MIN_TRIALS 4

/* x: n rows of p values (row-major; categorical columns hold the category index
 * 0..n_cats[j]-1; NaN = absent); y: the n objective values (finite); categorical[j] != 0 marks
 * categorical columns, n_cats[j] their number of categories (ignored otherwise;
 * both arrays may be NULL = all numeric). maximize selects "best" = largest y.
 * Writes the normalised importances into imp[p] (sum 1, or all 0 when no
 * parameter matters) and, when raw != NULL, the unnormalised divergences.
 * Returns 0, or -1 with err set when n < REP_PED_MIN_TRIALS or an input is bad. */
int rep_importance_ped_anova(const double *x, const double *y, int n, int p,
                             const int *categorical, const int *n_cats, int maximize,
                             double *imp, double *raw, char err[256]);

#endif
