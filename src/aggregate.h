/* SPDX-License-Identifier: MIT */
/*
 * aggregate.h - Parse's aggregate pipeline and distinct, evaluated over
 * objects that storage has already filtered by the query's where.
 *
 * Stages: $match, $group (_id as a field, an object of fields or date
 * parts, or null; $sum $avg $min $max $first $last $push $addToSet),
 * $project, $sort, $limit, $skip, $count and $unwind. Field references are
 * "$name" or "$a.b"; "$_id" and "$objectId" name the object id. Results
 * carry the group key as objectId, as parse-server answers.
 */
#ifndef PARSEC_AGGREGATE_H
#define PARSEC_AGGREGATE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/* Check a pipeline (an array of one-key stage objects) before any data
 * is read: 102 for an unknown stage or a malformed one. */
int aggregate_check(json_t *pipeline, perr_t *err);

/* Run pipeline over docs (an array, consumed). *out is a new array. */
int aggregate_run(json_t *docs, json_t *pipeline, json_t **out, perr_t *err);

/* The distinct values of field across docs (not consumed); elements of
 * array values count one by one. */
json_t *aggregate_distinct(json_t *docs, const char *field);

#endif
