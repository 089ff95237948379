/* SPDX-License-Identifier: MIT */
/*
 * request.h - one API request as handlers see it: method, route, params,
 * parsed body, the caller's identity, and the response being built.
 *
 * The HTTP layer fills it once (headers, the JS SDK's JSON envelope and
 * the key checks already applied) and batch builds one per sub-request, so
 * handlers never look at HTTP.
 */
#ifndef PARSEC_REQUEST_H
#define PARSEC_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "error.h"
#include "storage.h"

#define REQUEST_MAX_PARAMS 4

/* Who is asking: what the keys and session granted. */
typedef struct {
    bool master;                /* master key: ACLs and CLPs do not apply */
    bool read_only;             /* with master: reads only */
    const char *const *acl_ids; /* ACL entries that match the caller;
                                   NULL when master */
    char *session_token;        /* as sent, or NULL */
    char *installation_id;      /* as sent, or NULL */
    char *user_id;              /* the session's user, or NULL; owned */
    char **acl_owned;           /* storage behind acl_ids for a user */
} request_auth_t;

typedef struct request {
    const config_t *cfg;
    storage_t *st;
    char method[8];             /* GET, POST, PUT, DELETE after _method */
    char *path;                 /* below the mount path, e.g. /classes/A */
    json_t *params;             /* query parameters as parse-server reads
                                   them: each value JSON-decoded if it
                                   parses, else the string; owned */
    json_t *body;               /* parsed body or NULL; owned */
    request_auth_t auth;
    const char *route[REQUEST_MAX_PARAMS]; /* :params of the matched route,
                                              pointing into route_buf */
    char *route_buf;
    /* The response: status and body, or err when status is 0. */
    int status;
    json_t *response;           /* owned */
    char *location;             /* Location header, or NULL */
    char *html;                 /* an HTML page to answer instead of
                                   response (the /apps pages), owned */
    const char *raw_body;       /* the body as received, for form posts */
    size_t raw_len;
    bool internal;              /* written by parsec itself: may set
                                   internal fields like _hashed_password */
    perr_t err;
} request_t;

/* Set up a request with no body, params or response. */
void request_init(request_t *req, const config_t *cfg, storage_t *st,
                  const char *method, const char *path);
/* Release everything the request owns. */
void request_cleanup(request_t *req);

/* Finish req with a JSON response; takes the reference to body. */
int request_reply(request_t *req, int status, json_t *body);
/* Finish req with an HTML page; takes ownership of html. */
int request_reply_html(request_t *req, int status, char *html);

/* Finish req with the error in req->err; returns -1. */
int request_fail(request_t *req);

/* The {"code":..,"error":..} body for err (a new reference). */
json_t *request_error_body(const perr_t *err);

/* Run the handler for req->method and req->path (auth already set). */
void request_dispatch(request_t *req);

/* Parse-server's reading of a query-string value: JSON if it parses,
 * else the string. Returns a new reference. */
json_t *request_param_value(const char *text);

#endif
