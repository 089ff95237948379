/* SPDX-License-Identifier: MIT */
/*
 * auth.c - application id and key checks (see auth.h). Compares secrets in
 * constant time so response timing does not reveal how much of a key was
 * right.
 */
#include "auth.h"

#include <stdbool.h>
#include <string.h>

/* The ACL ids of a caller with no user: only public entries apply. */
static const char *const auth_public_ids[] = {"*", NULL};

static bool
auth_equal(const char *sent, const char *want)
{
    size_t ls, lw;
    unsigned char diff = 0;

    if (sent == NULL || want == NULL)
        return false;
    ls = strlen(sent);
    lw = strlen(want);
    for (size_t i = 0; i < lw; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < ls ? sent[i] : 0);
    return diff == 0 && ls == lw;
}

int
auth_check_keys(const config_t *cfg, const auth_keys_t *sent,
                request_auth_t *auth, perr_t *err)
{
    const char *const configured[] = {cfg->client_key, cfg->javascript_key,
                                      cfg->rest_api_key, cfg->dotnet_key};
    const char *const given[] = {sent->client_key, sent->javascript_key,
                                 sent->rest_api_key, sent->dotnet_key};
    bool any_configured = false, any_given = false, any_match = false;

    if (!auth_equal(sent->app_id, cfg->app_id))
        return perr_set(err, PERR_INVALID_API_KEY, NULL);
    auth->master = false;
    auth->read_only = false;
    auth->acl_ids = auth_public_ids;
    if (sent->master_key != NULL) {
        if (auth_equal(sent->master_key, cfg->master_key)) {
            auth->master = true;
        } else if (auth_equal(sent->master_key, cfg->read_only_master_key)) {
            auth->master = true;
            auth->read_only = true;
        } else {
            return perr_set(err, PERR_INVALID_API_KEY, NULL);
        }
        auth->acl_ids = NULL;
        return 0;
    }
    for (size_t i = 0; i < 4; i++) {
        any_configured = any_configured || configured[i] != NULL;
        any_given = any_given || given[i] != NULL;
        any_match = any_match || (configured[i] != NULL &&
                                  auth_equal(given[i], configured[i]));
    }
    if (!any_configured || any_match)
        return 0;
    return perr_set(err, any_given ? PERR_INVALID_API_KEY : PERR_MISSING_API_KEY,
                    NULL);
}
