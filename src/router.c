/* SPDX-License-Identifier: MIT */
/*
 * router.c - the table from (method, path pattern) to handler, and the
 * matching of a request's path against it. A ":name" segment matches one
 * path segment and is handed to the handler in req->route.
 */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "request.h"
#include "users.h"
#include "userflows.h"
#include "util.h"

typedef struct {
    const char *method;
    const char *pattern;
    handler_fn fn;
} route_t;

/* Routes matched before /users, /roles and /sessions become classes. */
static const route_t named_routes[] = {
    {"GET", "/users/me", handlers_users_me},
    {"GET", "/login", handlers_login},
    {"POST", "/login", handlers_login},
    {"POST", "/logout", handlers_logout},
    {"POST", "/loginAs", handlers_login_as},
    {"POST", "/upgradeToRevocableSession", handlers_upgrade_session},
    {"GET", "/sessions/me", handlers_sessions_me},
    {"PUT", "/sessions/me", handlers_sessions_me},
};

static const route_t routes[] = {
    {"GET", "/health", handlers_health},
    {"GET", "/serverInfo", handlers_server_info},
    {"GET", "/classes/:className", handlers_find},
    {"POST", "/classes/:className", handlers_create},
    {"PUT", "/classes/:className", handlers_missing_id},
    {"DELETE", "/classes/:className", handlers_missing_id},
    {"GET", "/classes/:className/:objectId", handlers_get},
    {"PUT", "/classes/:className/:objectId", handlers_update},
    {"DELETE", "/classes/:className/:objectId", handlers_delete},
    {"POST", "/batch", handlers_batch},
    {"POST", "/requestPasswordReset", handlers_request_password_reset},
    {"POST", "/verificationEmailRequest", handlers_verification_email_request},
    {"GET", "/apps/:appId/verify_email", handlers_app_verify_email},
    {"GET", "/apps/:appId/request_password_reset", handlers_app_reset_form},
    {"POST", "/apps/:appId/request_password_reset", handlers_app_reset},
    {"GET", "/aggregate/:className", handlers_aggregate},
    {"GET", "/schemas", handlers_schemas_list},
    {"POST", "/schemas", handlers_schemas_create},
    {"GET", "/schemas/:className", handlers_schemas_get},
    {"POST", "/schemas/:className", handlers_schemas_create},
    {"PUT", "/schemas/:className", handlers_schemas_update},
    {"DELETE", "/schemas/:className", handlers_schemas_delete},
    {"DELETE", "/purge/:className", handlers_purge},
};

/* Match path against pattern, filling req->route from a copy of path. */
static int
router_match(request_t *req, const char *pattern, const char *path)
{
    char *buf = strdup(path);
    char *p = buf;
    const char *q = pattern;
    int nparams = 0;

    /* A trailing slash names the same resource. */
    size_t n = strlen(buf);
    if (n > 1 && buf[n - 1] == '/')
        buf[n - 1] = '\0';
    while (*q && *p) {
        if (*q == ':') {
            char *end = strchr(p, '/');

            if (end == p || nparams == REQUEST_MAX_PARAMS)
                break;
            req->route[nparams++] = p;
            while (*q && *q != '/')
                q++;
            if (end == NULL) {
                p += strlen(p);
            } else {
                *end = '\0';
                p = end + 1;
                if (*q != '/')
                    break;
                q++;
            }
            continue;
        }
        if (*q != *p)
            break;
        q++;
        p++;
    }
    if (*q == '\0' && *p == '\0') {
        free(req->route_buf);
        req->route_buf = buf;
        return 1;
    }
    free(buf);
    memset(req->route, 0, sizeof(req->route));
    return 0;
}

/* /users, /roles and /sessions are their system classes under another
 * name: rewrite them to /classes/_User and so on before matching. */
static void
router_alias(request_t *req)
{
    static const struct {
        const char *prefix;
        const char *cls;
    } aliases[] = {{"/users", "_User"}, {"/roles", "_Role"},
                   {"/sessions", "_Session"}};

    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(aliases[i].prefix);

        if (strncmp(req->path, aliases[i].prefix, n) == 0 &&
            (req->path[n] == '\0' || req->path[n] == '/')) {
            sbuf_t sb;

            sbuf_init(&sb);
            sbuf_printf(&sb, "/classes/%s%s", aliases[i].cls, req->path + n);
            free(req->path);
            req->path = sbuf_take(&sb);
            return;
        }
    }
}

void
request_dispatch(request_t *req)
{
    for (size_t i = 0; i < sizeof(named_routes) / sizeof(named_routes[0]); i++) {
        if (router_match(req, named_routes[i].pattern, req->path) &&
            strcmp(named_routes[i].method, req->method) == 0) {
            named_routes[i].fn(req);
            return;
        }
    }
    router_alias(req);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!router_match(req, routes[i].pattern, req->path))
            continue;
        if (strcmp(routes[i].method, req->method) == 0) {
            routes[i].fn(req);
            return;
        }
    }
    perr_set_code(&req->err, 108, 404, "Cannot %s %.200s", req->method,
                  req->path);
    request_fail(req);
}
