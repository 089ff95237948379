/* SPDX-License-Identifier: MIT */
/*
 * session.h - who a session token belongs to, and which roles that user
 * holds (transitively), behind a bounded in-memory cache.
 *
 * A request with a session token costs a database round trip only when
 * the token is not cached. Logout, session deletion, password changes and
 * user deletion drop the affected entries; any change to _Role bumps a
 * generation number that makes every cached role list stale.
 */
#ifndef PARSEC_SESSION_H
#define PARSEC_SESSION_H

#include <stdint.h>

#include "error.h"
#include "storage.h"


/* The caller a valid token identifies. */
typedef struct {
    char *user_id;          /* owned */
    char **acl_ids;         /* owned, NULL-terminated: "*", the user id and
                               "role:Name" for each role held */
} session_identity_t;

/* Resolve token: 209 when it is unknown or expired. */
int session_resolve(storage_t *st, const char *token, session_identity_t *out,
                    perr_t *err);
void session_identity_cleanup(session_identity_t *id);

/* Create a session for user_id; *token receives "r:..." (caller frees)
 * The session expires after length_s seconds. action is "signup",
 * "login" or "upgrade"; provider e.g. "password". */
int session_create(storage_t *st, const char *user_id, const char *action,
                   const char *provider, const char *installation_id,
                   int length_s, char **token, perr_t *err);

/* Delete every session of user_id except the one with token keep (may
 * be NULL), from the database and the cache. */
int session_destroy_user(storage_t *st, const char *user_id, const char *keep,
                         perr_t *err);

/* Drop cache entries. */
void session_forget_token(const char *token);
void session_forget_user(const char *user_id);
/* Roles changed: every cached role list must be recomputed. */
void session_roles_changed(void);

void session_cache_cleanup(void);

#endif
