/* SPDX-License-Identifier: MIT */
/*
 * authprovider.h - third-party authData providers configured by the
 * operator. A provider validates a client's token by OAuth2 token
 * introspection (RFC 7662): parsec POSTs the token to the provider's
 * introspection URL and accepts it when the answer says "active" (and,
 * when it names a subject, that subject is the id the client claims).
 *
 * Configured in the JSON config file as
 *   "auth": { "name": { "introspectionURL": "https://...",
 *                       "clientId": "...", "clientSecret": "...",
 *                       "enabled": true } }
 * "anonymous" is built in and may be turned off with "enabled": false.
 */
#ifndef PARSEC_AUTHPROVIDER_H
#define PARSEC_AUTHPROVIDER_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/* Is provider usable under config (the "auth" object, may be NULL)?
 * 252 when unknown or disabled. */
int authprovider_check_enabled(json_t *config, const char *provider,
                               perr_t *err);

/* Validate entry ({"id", "token" or "access_token"}) with the provider's
 * introspection URL. 251 when refused or unverifiable. */
int authprovider_validate(json_t *config, const char *provider, json_t *entry,
                          perr_t *err);

#endif
