/*
 * print_model_layers.c - test helper: loads a model file with the product's loader
 * (tr_model_load) and prints its architecture as one JSON line,
 *   {"layers": L, "bidirectional": 0|1, "n_params": N, "units": [H_1..H_L],
 *    "dropout": [p_1..p_L]}
 * each layer's size and dropout resolved as the trainer uses them. Exit 0, or 2
 * with the loader's error on stderr. Used by layers_e2e.sh.
 */
#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "trainer/model_file.h"

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc != 2) {
        fprintf(stderr, "usage: print_model_layers MODEL_FILE\n");
        return 1;
    }
    char err[256];
    tr_lstm *m = NULL;
    tr_model_meta meta;
    if (tr_model_load(argv[1], 1, 1, &m, &meta, err)) {
        fprintf(stderr, "print_model_layers: %s\n", err);
        return 2;
    }
    const tr_lstm_config *c = &m->cfg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "layers", c->layers);
    cJSON_AddNumberToObject(o, "bidirectional", c->bidirectional);
    cJSON_AddNumberToObject(o, "n_params", (double)m->n_params);
    cJSON *u = cJSON_AddArrayToObject(o, "units");
    cJSON *d = cJSON_AddArrayToObject(o, "dropout");
    for (int l = 0; l < c->layers; l++) {
        cJSON_AddItemToArray(u, cJSON_CreateNumber(tr_lstm_layer_units(c, l)));
        cJSON_AddItemToArray(d, cJSON_CreateNumber(tr_lstm_layer_dropout(c, l)));
    }
    char *text = cJSON_PrintUnformatted(o);
    int rc = text ? 0 : 2;
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
    tr_lstm_free(m);
    tr_model_meta_free(&meta);
    return rc;
}
