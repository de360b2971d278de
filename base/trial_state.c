/*
 * trial_state.c - the text form of the trial state (see trial_state.h).
 */
#include "base/trial_state.h"

#include <string.h>
#include <strings.h>

static const char *const names[TRIAL_N_STATES] = {"RUNNING", "COMPLETE", "PRUNED", "FAIL"};

const char *trial_state_name(trial_state s)
{
    return (unsigned)s < TRIAL_N_STATES ? names[s] : "?";
}

int trial_state_parse(const char *name, int any_case)
{
    for (int i = 0; name && i < TRIAL_N_STATES; i++)
        if ((any_case ? strcasecmp(name, names[i]) : strcmp(name, names[i])) == 0)
            return i;
    return -1;
}
