/* SPDX-License-Identifier: MIT */
/*
 * request.c - lifetime and response helpers of request_t (see request.h).
 */
#include "request.h"

#include <stdlib.h>
#include <string.h>

void
request_init(request_t *req, const config_t *cfg, storage_t *st,
             const char *method, const char *path)
{
    memset(req, 0, sizeof(*req));
    req->cfg = cfg;
    req->st = st;
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->path = strdup(path);
    req->params = json_object();
}

void
request_cleanup(request_t *req)
{
    free(req->path);
    free(req->route_buf);
    free(req->location);
    free(req->html);
    free(req->auth.session_token);
    free(req->auth.installation_id);
    free(req->auth.user_id);
    for (size_t i = 0; req->auth.acl_owned && req->auth.acl_owned[i]; i++)
        free(req->auth.acl_owned[i]);
    free(req->auth.acl_owned);
    json_decref(req->params);
    json_decref(req->body);
    json_decref(req->response);
    memset(req, 0, sizeof(*req));
}

int
request_reply(request_t *req, int status, json_t *body)
{
    json_decref(req->response);
    req->status = status;
    req->response = body;
    return 0;
}

int
request_reply_html(request_t *req, int status, char *html)
{
    free(req->html);
    req->html = html;
    req->status = status;
    return 0;
}

json_t *
request_error_body(const perr_t *err)
{
    return json_pack("{s:i, s:s}", "code", err->code, "error", err->msg);
}

int
request_fail(request_t *req)
{
    json_decref(req->response);
    req->status = req->err.status ? req->err.status
                                  : perr_status_for_code(req->err.code);
    req->response = request_error_body(&req->err);
    return -1;
}

json_t *
request_param_value(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

    return v ? v : json_string(text);
}
