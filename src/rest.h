/* SPDX-License-Identifier: MIT */
/*
 * rest.h - the Parse semantics of objects: create, get, find, update and
 * delete, with schema inference, field operations, ACLs and includes.
 *
 * Handlers call these with a request (for identity and config) and JSON
 * already parsed; these call storage and know nothing of HTTP.
 */
#ifndef PARSEC_REST_H
#define PARSEC_REST_H

#include <jansson.h>

#include "request.h"

/* Create an object; *out is {objectId, createdAt, ...op results}, and
 * *location the object's URL (caller frees). */
int rest_create(request_t *req, const char *cls, json_t *body, json_t **out,
                char **location, perr_t *err);

/* Update object id; *out is {updatedAt, ...op results}. */
int rest_update(request_t *req, const char *cls, const char *id, json_t *body,
                json_t **out, perr_t *err);

/* Delete object id. */
int rest_delete(request_t *req, const char *cls, const char *id, perr_t *err);

/* Fetch object id; params may hold keys and include. */
int rest_get(request_t *req, const char *cls, const char *id, json_t *params,
             json_t **out, perr_t *err);

/* Run a query from its parameters (where, order, limit, skip, keys,
 * include, count, ...); *out is {"results": [...], "count": N}. */
int rest_find(request_t *req, const char *cls, json_t *params, json_t **out,
              perr_t *err);

/* GET /aggregate: a pipeline or distinct over the objects matching
 * where; *out is {"results": [...]}. The caller checks the master key. */
int rest_aggregate(request_t *req, const char *cls, json_t *params,
                   json_t **out, perr_t *err);

#endif
