/*
 * params/params.c — the fixed names of the style features and estimators (params.h).
 * These spellings are the YAML enum values and the HDF5/CSV column names.
 */
#include "params/params.h"

const char *const params_feature_names[FEAT_N] = {"tokens", "headers", "lists", "bold",
                                                  "emoji"};
const char *const params_estimator_names[EST_N] = {"bt", "bt_style", "elo"};
