/*
 * features.h - the registry of causal indicators computed from candles.
 *
 * A feature is named in the spec as "name" or "name:arg[:arg...]" ("rsi:14",
 * "macd:12:26:9"). Every indicator at bar t uses bars <= t only; the warm-up
 * bars an indicator needs are reported so the caller drops them.
 */
#ifndef TR_FEATURES_H
#define TR_FEATURES_H

/* One entry of the registry: base name, how many integer arguments it takes
 * (min..max; missing ones take the defaults), and a one-line description. */
typedef struct tr_feature_info {
    const char *name;
    int min_args, max_args;
    int defaults[3];
    const char *args;   /* e.g. "PERIOD" or "FAST:SLOW:SIGNAL" */
    const char *help;
} tr_feature_info;

/* The registry; *n receives its length. Static storage, never freed. */
const tr_feature_info *tr_feature_list(int *n);

/* Checks a feature text such as "rsi:14": 0 when the name is known and its
 * arguments are whole numbers in range, else -1 with `err` naming the problem
 * (an unknown name gets the list of known ones). */
int tr_feature_check(const char *text, char err[256]);

#endif
