/* SPDX-License-Identifier: MIT */
/*
 * clp.h - class-level permissions: which callers may get, find, count,
 * create, update, delete or add fields to a class, which objects pointer
 * permissions let them reach, and which fields are hidden from them.
 *
 * The permissions live in the class's schema (parse-server's
 * classLevelPermissions JSON); this module only reads them.
 */
#ifndef PARSEC_CLP_H
#define PARSEC_CLP_H

#include <jansson.h>

#include "error.h"
#include "request.h"
#include "schema.h"

/*
 * May the caller perform op ("get", "find", "count", "create", "update",
 * "delete", "addField") on cls? 0 when yes; then *pointer_where is NULL,
 * or a new where object the objects must also match when only pointer
 * permissions let the caller in. -1 with 119 when no.
 */
int clp_check(const schema_class_t *cls, const char *op,
              const request_auth_t *auth, json_t **pointer_where, perr_t *err);

/* Check a classLevelPermissions document as the schemas API receives it
 * (107 when malformed, as parse-server answers). */
int clp_validate(json_t *clp, perr_t *err);

/* Remove the fields protectedFields hides from this caller. */
void clp_hide_fields(const schema_class_t *cls, const request_auth_t *auth,
                     json_t *obj);

#endif
