/* SPDX-License-Identifier: MIT */
/*
 * users.h - the rules of the system classes _User, _Role and _Session,
 * and the user and session routes (signup, login, logout, me, loginAs).
 *
 * rest.c calls the users_* hooks around every write, delete and read of
 * these classes, so /classes/_User and /users behave the same.
 */
#ifndef PARSEC_USERS_H
#define PARSEC_USERS_H

#include <jansson.h>

#include "request.h"
#include "storage.h"

/* Create the system classes with their fields and unique indexes. */
int users_bootstrap(storage_t *st, perr_t *err);

/* Check and rewrite a write body of a system class in place (hash the
 * password, refuse emailVerified from clients, validate role names).
 * id is NULL on create. */
int users_before_write(request_t *req, const char *cls, const char *id,
                       json_t *body, perr_t *err);

/* The ACL a new object of cls gets when the body sets none. */
void users_default_acl(request_t *req, const char *cls, const char *id,
                       json_t *obj);

/* After a create: a signup gets its session token in resp. */
int users_after_create(request_t *req, const char *cls, const char *id,
                       json_t *body, json_t *resp, perr_t *err);

/* After an update: a password change ends the user's sessions (a user
 * changing its own gets a new token in resp); role writes mark roles
 * changed. */
void users_after_update(request_t *req, const char *cls, const char *id,
                        json_t *body, json_t *resp);

/* After a get: a user reading itself gets its session token back. */
void users_after_get(request_t *req, const char *cls, json_t *obj);

/* Before and after a delete. */
int users_before_delete(request_t *req, const char *cls, const char *id,
                        perr_t *err);
void users_after_delete(request_t *req, const char *cls, const char *id);

/* Narrow a query on a system class to what the caller may see (a user's
 * own sessions). *where may be replaced (new reference). */
int users_restrict_query(request_t *req, const char *cls, json_t **where,
                         perr_t *err);

/* Remove internal and protected fields from an object before it leaves. */
void users_sanitize(request_t *req, const char *cls, json_t *obj);

/* POST /users with authData that a user already holds: log that user
 * in and answer (0 or -1). 1 when the request is a plain signup. */
int users_signup_or_login(request_t *req);

int handlers_login(request_t *req);
int handlers_logout(request_t *req);
int handlers_users_me(request_t *req);
int handlers_login_as(request_t *req);
int handlers_upgrade_session(request_t *req);
int handlers_sessions_me(request_t *req);

#endif
