/* SPDX-License-Identifier: MIT */
/*
 * authprovider.c - OAuth2 introspection through libcurl (authprovider.h).
 * Each call uses its own curl handle, so worker threads validate at once;
 * a short timeout keeps a slow provider from holding a worker.
 */
#include "authprovider.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define AUTHPROVIDER_TIMEOUT_S 10L
#define AUTHPROVIDER_MAX_ANSWER (64 * 1024)

int
authprovider_check_enabled(json_t *config, const char *provider, perr_t *err)
{
    json_t *spec = json_object_get(config, provider);

    if (strcmp(provider, "anonymous") == 0 && spec == NULL)
        return 0;
    if (!json_is_object(spec))
        return perr_set_code(err, 252, 400,
                             "This authentication method is unsupported.");
    if (json_is_false(json_object_get(spec, "enabled")))
        return perr_set_code(err, 252, 400,
                             "This authentication method is disabled.");
    return 0;
}

static size_t
authprovider_on_data(char *data, size_t size, size_t n, void *ctx)
{
    sbuf_t *sb = ctx;

    if (sb->len + size * n > AUTHPROVIDER_MAX_ANSWER)
        return 0;  /* abort: no provider needs to say this much */
    sbuf_append_len(sb, data, size * n);
    return size * n;
}

/* POST token to url; the answer's JSON into *out. 0 or -1. */
static int
authprovider_introspect(json_t *spec, const char *token, json_t **out)
{
    const char *url = json_string_value(json_object_get(spec,
                                                        "introspectionURL"));
    const char *id = json_string_value(json_object_get(spec, "clientId"));
    const char *secret = json_string_value(json_object_get(spec,
                                                           "clientSecret"));
    CURL *curl = curl_easy_init();
    char *escaped = NULL, *form = NULL;
    long status = 0;
    sbuf_t answer;
    CURLcode rc;

    *out = NULL;
    if (curl == NULL || url == NULL) {
        curl_easy_cleanup(curl);
        return -1;
    }
    sbuf_init(&answer);
    escaped = curl_easy_escape(curl, token, 0);
    form = malloc(strlen(escaped) + 7);
    sprintf(form, "token=%s", escaped);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, AUTHPROVIDER_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, authprovider_on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    if (id != NULL && secret != NULL) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, id);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, secret);
    }
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        log_warn("auth provider at %s unreachable: %s", url,
                 curl_easy_strerror(rc));
    else if (status == 200 && answer.len > 0)
        *out = json_loadb(answer.data, answer.len, 0, NULL);
    sbuf_cleanup(&answer);
    curl_free(escaped);
    free(form);
    curl_easy_cleanup(curl);
    return *out ? 0 : -1;
}

int
authprovider_validate(json_t *config, const char *provider, json_t *entry,
                      perr_t *err)
{
    json_t *spec = json_object_get(config, provider);
    json_t *token = json_object_get(entry, "token");
    json_t *answer = NULL, *sub;
    bool ok;

    if (strcmp(provider, "anonymous") == 0 && !json_object_get(spec,
                                                               "introspectionURL"))
        return 0;  /* anonymous ids need no proof */
    if (token == NULL)
        token = json_object_get(entry, "access_token");
    if (!json_is_string(token))
        return perr_set_code(err, 251, 400, "authData.%s needs a token",
                             provider);
    if (authprovider_introspect(spec, json_string_value(token), &answer))
        return perr_set_code(err, 251, 400,
                             "The %s token could not be verified.", provider);
    sub = json_object_get(answer, "sub");
    ok = json_is_true(json_object_get(answer, "active")) &&
         (sub == NULL || (json_is_string(sub) &&
                          strcmp(json_string_value(sub),
                                 json_string_value(json_object_get(entry,
                                                                   "id"))) == 0));
    json_decref(answer);
    if (!ok)
        return perr_set_code(err, 251, 400, "The %s token is invalid.",
                             provider);
    return 0;
}
