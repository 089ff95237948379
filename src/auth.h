/* SPDX-License-Identifier: MIT */
/*
 * auth.h - decides who a request is from its application id and keys.
 *
 * parse-server's rules: the application id must match; a master key must
 * match the master (or read-only master) key; when any client key is
 * configured, one of the keys sent must match its configured value.
 * Refusals are 403 "unauthorized" with 902 (no key sent) or 903 (wrong).
 */
#ifndef PARSEC_AUTH_H
#define PARSEC_AUTH_H

#include "config.h"
#include "error.h"
#include "request.h"

/* The credentials a request carried (any may be NULL). */
typedef struct {
    const char *app_id;
    const char *master_key;
    const char *client_key;
    const char *javascript_key;
    const char *rest_api_key;
    const char *dotnet_key;
} auth_keys_t;

/* Check sent against cfg and fill auth (master, read-only, ACL ids).
 * Returns 0, or -1 with err set to the refusal. */
int auth_check_keys(const config_t *cfg, const auth_keys_t *sent,
                    request_auth_t *auth, perr_t *err);

#endif
