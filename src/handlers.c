/* SPDX-License-Identifier: MIT */
/*
 * handlers.c - the API routes (see handlers.h): health, server info, the
 * objects API under /classes and /batch. Thin by design: they pick their
 * inputs out of the request and leave the meaning to rest.c.
 */
#include "handlers.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "log.h"
#include "rest.h"
#include "schema.h"
#include "users.h"

int
handlers_health(request_t *req)
{
    return request_reply(req, 200, json_pack("{s:s}", "status", "ok"));
}

int
handlers_server_info(request_t *req)
{
    if (!req->auth.master) {
        perr_set(&req->err, PERR_OPERATION_FORBIDDEN,
                 "unauthorized: master key is required");
        return request_fail(req);
    }
    return request_reply(
        req, 200,
        json_pack("{s:s, s:{s:{s:b, s:b, s:b, s:b}, s:{s:b}}}",
                  "parseServerVersion", PARSEC_VERSION, "features",
                  "schemas", "addField", 1, "removeField", 0, "addClass", 1,
                  "removeClass", 0, "globalConfig", "create", 0));
}

/* The query parameters of a find or get: the query string, or the body
 * when the JS SDK sent the query as POST with _method GET. */
static json_t *
handlers_query_params(request_t *req)
{
    if (json_is_object(req->body) && json_object_size(req->params) == 0)
        return req->body;
    if (json_is_object(req->body))
        json_object_update_missing(req->params, req->body);
    return req->params;
}

int
handlers_find(request_t *req)
{
    json_t *out;

    if (rest_find(req, req->route[0], handlers_query_params(req), &out,
                  &req->err))
        return request_fail(req);
    return request_reply(req, 200, out);
}

int
handlers_aggregate(request_t *req)
{
    json_t *out;

    if (!req->auth.master) {
        perr_set_code(&req->err, 119, 403,
                      "unauthorized: master key is required");
        return request_fail(req);
    }
    if (rest_aggregate(req, req->route[0], handlers_query_params(req), &out,
                       &req->err))
        return request_fail(req);
    return request_reply(req, 200, out);
}

int
handlers_get(request_t *req)
{
    json_t *out;

    if (rest_get(req, req->route[0], req->route[1], handlers_query_params(req),
                 &out, &req->err))
        return request_fail(req);
    return request_reply(req, 200, out);
}

/* The write body, or an empty object when none was sent. */
static json_t *
handlers_body(request_t *req)
{
    if (req->body == NULL)
        req->body = json_object();
    return req->body;
}

int
handlers_create(request_t *req)
{
    json_t *out;
    char *location = NULL;
    int rc;

    handlers_body(req);
    rc = users_signup_or_login(req);
    if (rc != 1)
        return rc;
    if (rest_create(req, req->route[0], req->body, &out, &location,
                    &req->err))
        return request_fail(req);
    free(req->location);
    req->location = location;
    return request_reply(req, 201, out);
}

int
handlers_update(request_t *req)
{
    json_t *out;

    if (rest_update(req, req->route[0], req->route[1], handlers_body(req),
                    &out, &req->err))
        return request_fail(req);
    return request_reply(req, 200, out);
}

int
handlers_delete(request_t *req)
{
    if (rest_delete(req, req->route[0], req->route[1], &req->err))
        return request_fail(req);
    return request_reply(req, 200, json_object());
}

int
handlers_missing_id(request_t *req)
{
    if (schema_check_class_name(req->route[0], &req->err))
        return request_fail(req);
    perr_set(&req->err, PERR_MISSING_OBJECT_ID,
             "%s needs an objectId in the path", req->method);
    return request_fail(req);
}

/* ------------------------------------------------------------ batch */

/* The path of a sub-request below the mount path, or NULL. */
static const char *
handlers_batch_path(request_t *req, const char *path)
{
    const char *mount = req->cfg->mount_path;
    size_t n = strlen(mount);

    if (strncmp(path, mount, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return NULL;
    return path + n;
}

/* Run one sub-request and return its {"success"} or {"error"} entry. */
static json_t *
handlers_batch_one(request_t *parent, json_t *sub)
{
    const char *method = json_string_value(json_object_get(sub, "method"));
    const char *path = json_string_value(json_object_get(sub, "path"));
    json_t *body = json_object_get(sub, "body");
    const char *rel;
    request_t child;
    json_t *entry;

    rel = handlers_batch_path(parent, path);
    if (method == NULL)
        method = "GET";
    request_init(&child, parent->cfg, parent->st, method, rel);
    for (char *p = child.method; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    child.auth = parent->auth;
    /* The child borrows the parent's identity; it must not free it. */
    child.auth.session_token = parent->auth.session_token
                                   ? strdup(parent->auth.session_token) : NULL;
    child.auth.installation_id = parent->auth.installation_id
                                     ? strdup(parent->auth.installation_id)
                                     : NULL;
    child.auth.user_id = parent->auth.user_id ? strdup(parent->auth.user_id)
                                              : NULL;
    child.auth.acl_owned = NULL;
    if (body != NULL)
        child.body = json_incref(body);
    request_dispatch(&child);
    if (child.status >= 200 && child.status < 300)
        entry = json_pack("{s:O}", "success", child.response);
    else
        entry = json_pack("{s:O}", "error", child.response);
    request_cleanup(&child);
    return entry;
}

/*
 * After a batch transaction was rolled back, the schema cache may hold
 * fields or classes its sub-requests added, which the database no longer
 * has: every class is read again, and a class a sub-request named that is
 * gone is forgotten.
 */
static void
handlers_batch_forget(request_t *req, json_t *requests)
{
    json_t *docs, *doc, *sub;
    size_t i;
    perr_t ignored;

    if (req->st->ops->load_schemas(req->st, &docs, &ignored))
        return;
    json_array_foreach(docs, i, doc) {
        schema_class_t *cls = schema_class_from_json(doc);

        if (cls != NULL)
            schema_cache_put(cls);
        schema_class_release(cls);
    }
    json_array_foreach(requests, i, sub) {
        const char *rel = handlers_batch_path(
            req, json_string_value(json_object_get(sub, "path")));
        char name[256];
        bool present = false;
        json_t *d;
        size_t k;

        if (rel == NULL || sscanf(rel, "/classes/%255[^/?]", name) != 1)
            continue;
        json_array_foreach(docs, k, d) {
            const char *have = json_string_value(json_object_get(d, "className"));

            present = present || (have != NULL && strcmp(have, name) == 0);
        }
        if (!present)
            schema_cache_remove(name);
    }
    json_decref(docs);
}

/*
 * "transaction": true: every sub-request in one database transaction.
 * The first that fails undoes all of them and is the answer, as in
 * parse-server; otherwise the answer is the usual list of successes.
 */
static int
handlers_batch_transaction(request_t *req, json_t *requests)
{
    json_t *out, *sub;
    size_t i;

    if (req->st->ops->begin(req->st, &req->err))
        return request_fail(req);
    out = json_array();
    json_array_foreach(requests, i, sub) {
        json_t *entry = handlers_batch_one(req, sub);
        json_t *failure = json_object_get(entry, "error");

        if (failure != NULL) {
            int code = (int)json_integer_value(json_object_get(failure, "code"));
            const char *msg = json_string_value(json_object_get(failure, "error"));

            req->st->ops->rollback(req->st);
            handlers_batch_forget(req, requests);
            perr_set_code(&req->err, code ? code : 1, perr_status_for_code(code),
                          "%s", msg ? msg : "");
            json_decref(entry);
            json_decref(out);
            return request_fail(req);
        }
        json_array_append_new(out, entry);
    }
    if (req->st->ops->commit(req->st, &req->err)) {
        handlers_batch_forget(req, requests);
        json_decref(out);
        return request_fail(req);
    }
    return request_reply(req, 200, out);
}

int
handlers_batch(request_t *req)
{
    json_t *requests = json_object_get(req->body, "requests");
    int limit = req->cfg->batch_request_limit;
    json_t *out, *sub;
    size_t i;

    if (!json_is_array(requests)) {
        perr_set(&req->err, PERR_INVALID_JSON, "requests must be an array");
        return request_fail(req);
    }
    if (limit > -1 && !req->auth.master &&
        json_array_size(requests) > (size_t)limit) {
        perr_set(&req->err, PERR_INVALID_JSON,
                 "Batch request contains %zu sub-requests, which exceeds the "
                 "limit of %d.", json_array_size(requests), limit);
        return request_fail(req);
    }
    /* Like parse-server, a path that cannot be routed or a nested batch
     * refuses the whole batch before any sub-request runs. */
    json_array_foreach(requests, i, sub) {
        const char *path = json_string_value(json_object_get(sub, "path"));
        const char *method = json_string_value(json_object_get(sub, "method"));
        const char *rel;

        if (!json_is_object(sub) || path == NULL) {
            perr_set(&req->err, PERR_INVALID_JSON,
                     "batch request path must be a string");
            return request_fail(req);
        }
        rel = handlers_batch_path(req, path);
        if (rel == NULL) {
            perr_set(&req->err, PERR_INVALID_JSON,
                     "cannot route batch path %.200s", path);
            return request_fail(req);
        }
        if (method != NULL && strcasecmp(method, "POST") == 0 &&
            strcmp(rel, "/batch") == 0) {
            perr_set(&req->err, PERR_INVALID_JSON,
                     "nested batch requests are not allowed");
            return request_fail(req);
        }
    }
    if (json_is_true(json_object_get(req->body, "transaction")))
        return handlers_batch_transaction(req, requests);
    out = json_array();
    json_array_foreach(requests, i, sub)
        json_array_append_new(out, handlers_batch_one(req, sub));
    return request_reply(req, 200, out);
}
