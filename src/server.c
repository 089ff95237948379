/* SPDX-License-Identifier: MIT */
/*
 * server.c - libmicrohttpd glue (see server.h).
 *
 * Owns everything HTTP: the request body (bounded by maxUploadSize while it
 * arrives, never buffered past it), the mount path, CORS preflight and
 * headers, unwrapping the JS SDK's POST envelope (_method, _ApplicationId
 * and friends), the key check, and turning a request_t's response into
 * bytes. Handlers never see HTTP.
 */
#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "ptype.h"
#include "request.h"
#include "session.h"
#include "util.h"

struct server {
    struct MHD_Daemon *daemon;
    const config_t *cfg;
    storage_t *st;
    atomic_int active;      /* requests being answered: whole body read,
                               response not yet sent */
    int port;
};

/* Per-connection state while a request's body arrives. */
typedef struct {
    sbuf_t body;
    int too_large;          /* body passed maxUploadSize; rest discarded */
    int answering;          /* counted in server_t.active */
} conn_state_t;

#define CORS_ALLOW_HEADERS                                                  \
    "X-Parse-Master-Key, X-Parse-REST-API-Key, X-Parse-Javascript-Key, "    \
    "X-Parse-Application-Id, X-Parse-Client-Version, "                      \
    "X-Parse-Session-Token, X-Requested-With, X-Parse-Revocable-Session, "  \
    "X-Parse-Request-Id, Content-Type, Pragma, Cache-Control"

static void
server_add_cors(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                            "GET,PUT,POST,DELETE,OPTIONS");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            CORS_ALLOW_HEADERS);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id");
}

/* Answer with body (len bytes); mode says whether libmicrohttpd copies it
 * or takes it (and frees it). */
static enum MHD_Result
server_send_buffer(struct MHD_Connection *conn, int status, char *body,
                   size_t len, enum MHD_ResponseMemoryMode mode,
                   const char *content_type, const char *location)
{
    struct MHD_Response *resp;
    enum MHD_Result rc;

    resp = MHD_create_response_from_buffer(len, body, mode);
    if (resp == NULL) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type);
    server_add_cors(resp);
    if (location != NULL)
        MHD_add_response_header(resp, "Location", location);
    rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result
server_send(struct MHD_Connection *conn, int status, const char *body,
            size_t len, const char *content_type, const char *location)
{
    return server_send_buffer(conn, status, (char *)body, len,
                              MHD_RESPMEM_MUST_COPY, content_type, location);
}

static enum MHD_Result
server_send_json(struct MHD_Connection *conn, int status, json_t *body,
                 const char *location)
{
    sbuf_t text;
    size_t len;

    sbuf_init(&text);
    ptype_dump(&text, body);
    len = text.len;
    return server_send_buffer(conn, status, sbuf_take(&text), len,
                              MHD_RESPMEM_MUST_FREE,
                              "application/json; charset=utf-8", location);
}

static enum MHD_Result
server_send_error(struct MHD_Connection *conn, perr_t *err)
{
    json_t *body = request_error_body(err);
    enum MHD_Result rc;

    rc = server_send_json(conn, err->status, body, NULL);
    json_decref(body);
    return rc;
}

static const char *
server_header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result
server_on_param(void *cls, enum MHD_ValueKind kind, const char *key,
                const char *value)
{
    json_t *params = cls;

    /* With a repeated parameter the first one counts. */
    if (json_object_get(params, key) == NULL)
        json_object_set_new(params, key, request_param_value(value ? value : ""));
    return MHD_YES;
}

/* Take a string member out of the envelope, returning a copy or NULL. */
static char *
server_take(json_t *body, const char *key)
{
    json_t *v = json_object_get(body, key);
    char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

    json_object_del(body, key);
    return s;
}

/* The credentials of the JS SDK envelope, stripped from the body. */
typedef struct {
    char *app_id, *js_key, *client_key, *master_key, *session, *install;
} envelope_t;

static void
server_unwrap_envelope(request_t *req, envelope_t *env)
{
    json_t *body = req->body;
    json_t *method = json_object_get(body, "_method");

    memset(env, 0, sizeof(*env));
    if (!json_is_object(body))
        return;
    if (json_is_string(method) && strcmp(req->method, "POST") == 0) {
        snprintf(req->method, sizeof(req->method), "%s",
                 json_string_value(method));
        for (char *p = req->method; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    }
    json_object_del(body, "_method");
    if (json_object_get(body, "_ApplicationId") == NULL)
        return;
    env->app_id = server_take(body, "_ApplicationId");
    env->js_key = server_take(body, "_JavaScriptKey");
    env->client_key = server_take(body, "_ClientKey");
    env->master_key = server_take(body, "_MasterKey");
    env->session = server_take(body, "_SessionToken");
    env->install = server_take(body, "_InstallationId");
    static const char *const dropped[] = {
        "_ClientVersion", "_RevocableSession", "_ContentType", "_context"};
    for (size_t i = 0; i < 4; i++)
        json_object_del(body, dropped[i]);
}

static void
server_envelope_cleanup(envelope_t *env)
{
    free(env->app_id);
    free(env->js_key);
    free(env->client_key);
    free(env->master_key);
    free(env->session);
    free(env->install);
}

/* Identify the caller from headers, or the envelope when the headers
 * carry no application id (as parse-server does). */
static int
server_authenticate(struct MHD_Connection *conn, request_t *req,
                    envelope_t *env)
{
    auth_keys_t keys = {
        .app_id = server_header(conn, "X-Parse-Application-Id"),
        .master_key = server_header(conn, "X-Parse-Master-Key"),
        .client_key = server_header(conn, "X-Parse-Client-Key"),
        .javascript_key = server_header(conn, "X-Parse-Javascript-Key"),
        .rest_api_key = server_header(conn, "X-Parse-REST-API-Key"),
        .dotnet_key = server_header(conn, "X-Parse-Windows-Key"),
    };
    const char *session = server_header(conn, "X-Parse-Session-Token");
    const char *install = server_header(conn, "X-Parse-Installation-Id");

    if (keys.app_id == NULL && env->app_id != NULL) {
        keys.app_id = env->app_id;
        keys.javascript_key = env->js_key;
        keys.client_key = env->client_key;
        if (env->master_key != NULL)
            keys.master_key = env->master_key;
        session = env->session ? env->session : session;
        install = env->install ? env->install : install;
    }
    if (auth_check_keys(req->cfg, &keys, &req->auth, &req->err))
        return -1;
    req->auth.session_token = session ? strdup(session) : NULL;
    req->auth.installation_id = install ? strdup(install) : NULL;
    if (session != NULL) {
        session_identity_t id;

        /* An unknown or expired token fails the request, as in
         * parse-server, even where no user is needed. */
        if (session_resolve(req->st, session, &id, &req->err))
            return -1;
        req->auth.user_id = id.user_id;
        req->auth.acl_owned = id.acl_ids;
        if (!req->auth.master)
            req->auth.acl_ids = (const char *const *)id.acl_ids;
    }
    return 0;
}

/* The path below the mount path, or NULL when url is outside it. */
static const char *
server_relative_path(const config_t *cfg, const char *url)
{
    size_t n = strlen(cfg->mount_path);

    if (strncmp(url, cfg->mount_path, n) != 0)
        return NULL;
    if (url[n] == '\0')
        return "/";
    return url[n] == '/' ? url + n : NULL;
}

static enum MHD_Result
server_handle(server_t *srv, struct MHD_Connection *conn, const char *url,
              const char *method, conn_state_t *cs)
{
    const char *rel = server_relative_path(srv->cfg, url);
    envelope_t env;
    request_t req;
    enum MHD_Result rc;
    perr_t err;
    struct timespec t0, t1;

    if (strcmp(method, "OPTIONS") == 0)
        return server_send(conn, 200, "OK", 2, "text/plain; charset=utf-8",
                           NULL);
    if (strcmp(method, "GET") == 0 &&
        (strcmp(url, "/health") == 0 || (rel && strcmp(rel, "/health") == 0))) {
        static const char ok[] = "{\"status\":\"ok\"}";

        return server_send(conn, 200, ok, sizeof(ok) - 1,
                           "application/json; charset=utf-8", NULL);
    }
    if (rel == NULL) {
        perr_set_code(&err, 108, 404, "Cannot %s %.200s", method, url);
        return server_send_error(conn, &err);
    }
    if (cs->too_large) {
        perr_set(&err, PERR_REQUEST_TOO_LARGE,
                 "The request body is larger than the limit of %zu bytes.",
                 srv->cfg->max_upload_size);
        return server_send_error(conn, &err);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    request_init(&req, srv->cfg, srv->st, method, rel);
    /* The /apps pages are opened from links in emails: a browser sends no
     * keys and posts forms, so they skip JSON and the key check and
     * check the application id in their path instead. */
    if (strncmp(rel, "/apps/", 6) == 0) {
        req.raw_body = cs->body.data;
        req.raw_len = cs->body.len;
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
                                  server_on_param, req.params);
        request_dispatch(&req);
        if (req.html != NULL)
            rc = server_send(conn, req.status, req.html, strlen(req.html),
                             "text/html; charset=utf-8", NULL);
        else
            rc = server_send_json(conn, req.status, req.response, NULL);
        request_cleanup(&req);
        return rc;
    }
    if (cs->body.len > 0) {
        json_error_t jerr;

        req.body = json_loadb(cs->body.data, cs->body.len, JSON_DECODE_ANY,
                              &jerr);
        /* Integers past 64 bits are numbers to JavaScript; read them (and,
         * only then, the whole body) as doubles rather than refuse. */
        if (req.body == NULL && strstr(jerr.text, "too big") != NULL)
            req.body = json_loadb(cs->body.data, cs->body.len,
                                  JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                                  &jerr);
        if (req.body == NULL) {
            /* jansson names its own option in this message; say it plainly. */
            if (strstr(jerr.text, "JSON_ALLOW_NUL") != NULL)
                perr_set(&err, PERR_INVALID_JSON,
                         "Invalid JSON: strings may not contain \\u0000");
            else
                perr_set(&err, PERR_INVALID_JSON, "Invalid JSON: %s", jerr.text);
            request_cleanup(&req);
            return server_send_error(conn, &err);
        }
    }
    server_unwrap_envelope(&req, &env);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, server_on_param,
                              req.params);
    if (server_authenticate(conn, &req, &env))
        request_fail(&req);
    else
        request_dispatch(&req);
    server_envelope_cleanup(&env);
    rc = server_send_json(conn, req.status, req.response, req.location);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_debug("%s %s -> %d (%.2f ms)", req.method, url, req.status,
              (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    request_cleanup(&req);
    return rc;
}

static enum MHD_Result
server_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                  const char *method, const char *version,
                  const char *upload_data, size_t *upload_data_size,
                  void **con_cls)
{
    server_t *srv = cls;
    conn_state_t *cs = *con_cls;

    if (cs == NULL) {
        const char *len = server_header(conn, "Content-Length");
        long long declared;

        cs = calloc(1, sizeof(*cs));
        sbuf_init(&cs->body);
        *con_cls = cs;
        /* A body announced as too large is refused before it is read. */
        if (len != NULL && util_parse_int(len, &declared) == 0 &&
            declared > (long long)srv->cfg->max_upload_size)
            cs->too_large = 1;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!cs->too_large &&
            cs->body.len + *upload_data_size > srv->cfg->max_upload_size) {
            cs->too_large = 1;
            sbuf_cleanup(&cs->body);
        }
        if (!cs->too_large)
            sbuf_append_len(&cs->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* Only requests whose body has arrived count as in flight: a client
     * that stalls mid-body must not hold up shutdown. */
    if (!cs->answering) {
        cs->answering = 1;
        atomic_fetch_add(&srv->active, 1);
    }
    return server_handle(srv, conn, url, method, cs);
}

static void
server_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    server_t *srv = cls;
    conn_state_t *cs = *con_cls;

    if (cs == NULL)
        return;
    if (cs->answering)
        atomic_fetch_sub(&srv->active, 1);
    sbuf_cleanup(&cs->body);
    free(cs);
    *con_cls = NULL;
}

static int
server_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decoding of paths and query values, as MHD's own but leaving
 * "%00" undecoded: a NUL would silently cut a class or field name short,
 * while the literal "%00" fails name validation with a clear error.
 */
static size_t
server_on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    char *w = s;

    for (char *r = s; *r; r++) {
        int hi, lo;

        if (*r == '%' && (hi = server_hex(r[1])) >= 0 &&
            (lo = server_hex(r[2])) >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void
server_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];

    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_debug("http: %s", line);
}

static int
server_default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores > 0 ? (int)cores * 2 : 4;

    return n < 4 ? 4 : n;
}

server_t *
server_start(const config_t *cfg, storage_t *st)
{
    struct addrinfo hints = {0}, *ai = NULL;
    server_t *srv;
    char port[16];
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    int threads = cfg->threads > 0 ? cfg->threads : server_default_threads();
    int gai;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", cfg->port);
    gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai != 0) {
        log_error("cannot resolve listen address %s: %s", cfg->host,
                  gai_strerror(gai));
        return NULL;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv = calloc(1, sizeof(*srv));
    srv->cfg = cfg;
    srv->st = st;
    atomic_init(&srv->active, 0);
    /* The logger goes first: libmicrohttpd warns about options it reads
     * before one. */
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, server_on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, server_on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_TIMEOUT, 120u,
        MHD_OPTION_NOTIFY_COMPLETED, server_on_completed, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, server_on_unescape, NULL,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (srv->daemon == NULL) {
        log_error("cannot listen on %s:%d (address in use or not allowed)",
                  cfg->host, cfg->port);
        free(srv);
        return NULL;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : cfg->port;
    return srv;
}

int
server_port(const server_t *srv)
{
    return srv->port;
}

void
server_stop(server_t *srv)
{
    /* Stop accepting, then give requests in flight up to 5 s to finish
     * being answered before the worker threads are stopped. */
    MHD_quiesce_daemon(srv->daemon);
    for (int i = 0; i < 500 && atomic_load(&srv->active) > 0; i++)
        usleep(10000);
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
