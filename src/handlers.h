/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - one function per API route. Each reads its inputs from the
 * request, calls rest, and finishes the request with request_reply or
 * request_fail. The route table lives in router.c.
 */
#ifndef PARSEC_HANDLERS_H
#define PARSEC_HANDLERS_H

#include "request.h"

typedef int (*handler_fn)(request_t *req);

int handlers_health(request_t *req);
int handlers_server_info(request_t *req);
int handlers_find(request_t *req);
int handlers_get(request_t *req);
int handlers_create(request_t *req);
int handlers_update(request_t *req);
int handlers_delete(request_t *req);
int handlers_missing_id(request_t *req);
int handlers_batch(request_t *req);
int handlers_aggregate(request_t *req);
int handlers_schemas_list(request_t *req);
int handlers_schemas_get(request_t *req);
int handlers_schemas_create(request_t *req);
int handlers_schemas_update(request_t *req);
int handlers_schemas_delete(request_t *req);
int handlers_purge(request_t *req);

#endif
