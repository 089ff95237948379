/* SPDX-License-Identifier: MIT */
/*
 * main.c - start-up and shutdown: read the config, open storage, load the
 * schemas into the cache, serve until SIGINT or SIGTERM, then drain and
 * close everything and exit 0.
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "schema.h"
#include "server.h"
#include "session.h"
#include "users.h"
#include "storage.h"
#include "util.h"

static int
main_load_schemas(storage_t *st)
{
    json_t *docs, *doc;
    perr_t err;
    size_t i;

    if (st->ops->load_schemas(st, &docs, &err)) {
        log_error("cannot load schemas: %s", err.msg);
        return -1;
    }
    json_array_foreach(docs, i, doc) {
        schema_class_t *cls = schema_class_from_json(doc);

        if (cls == NULL) {
            log_warn("skipping a malformed _SCHEMA entry");
            continue;
        }
        schema_cache_put(cls);
        schema_class_release(cls);
    }
    json_decref(docs);
    return 0;
}

/* Another process sharing the database changed something this one caches. */
static void
main_on_change(storage_t *st, storage_change_t what, const char *cls)
{
    switch (what) {
    case STORAGE_CHANGED_CLASS_DROPPED:
        schema_cache_remove(cls);
        return;
    case STORAGE_CHANGED_SESSIONS:
        session_cache_cleanup();
        return;
    case STORAGE_CHANGED_ROLES:
        session_roles_changed();
        return;
    case STORAGE_CHANGED_ALL:
        session_cache_cleanup();
        session_roles_changed();
        /* fall through */
    case STORAGE_CHANGED_SCHEMA:
        main_load_schemas(st);
        return;
    }
}

/* A class the cache does not know, read from the database: another
 * process sharing it may have made the class. */
static schema_class_t *
main_load_class(void *ctx, const char *name, bool *failed)
{
    storage_t *st = ctx;
    json_t *doc = NULL;
    schema_class_t *cls;
    perr_t err;

    if (st->ops->load_class(st, name, &doc, &err)) {
        *failed = true;
        return NULL;
    }
    if (doc == NULL)
        return NULL;
    cls = schema_class_from_json(doc);
    json_decref(doc);
    return cls;
}

/* The database URI as it may be logged: any password replaced, whether
 * in the user part or as a password= parameter. */
static char *
main_redact_uri(const char *uri)
{
    const char *scheme = strstr(uri, "://");
    const char *at = NULL, *colon = NULL, *p = uri;
    sbuf_t out;

    if (scheme != NULL) {
        const char *end = scheme + 3 + strcspn(scheme + 3, "/?");

        at = memchr(scheme + 3, '@', (size_t)(end - scheme - 3));
        colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    }
    sbuf_init(&out);
    if (colon != NULL) {
        sbuf_append_len(&out, uri, (size_t)(colon - uri + 1));
        sbuf_append(&out, "***");
        p = at;
    }
    while (*p) {
        const char *key = strstr(p, "password=");

        if (key == NULL || (key != uri && key[-1] != '?' && key[-1] != '&' &&
                            key[-1] != ' ')) {
            if (key == NULL) {
                sbuf_append(&out, p);
                break;
            }
            sbuf_append_len(&out, p, (size_t)(key - p) + 9);
            p = key + 9;
            continue;
        }
        sbuf_append_len(&out, p, (size_t)(key - p) + 9);
        sbuf_append(&out, "***");
        p = key + 9 + strcspn(key + 9, "& ");
    }
    return sbuf_take(&out);
}

int
main(int argc, char **argv)
{
    config_t cfg;
    storage_t *st = NULL;
    server_t *srv = NULL;
    sigset_t sigs;
    sbuf_t files_url;
    int rc, sig = 0;

    rc = config_load(&cfg, argc, argv);
    if (rc != 0) {
        config_cleanup(&cfg);
        return rc > 0 ? 0 : 2;
    }
    if (cfg.verbose)
        log_set_level(LOG_DEBUG);
    /* Signals are taken by sigwait below; worker threads inherit the mask
     * so none of them is interrupted by one. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    schema_cache_init();
    sbuf_init(&files_url);
    sbuf_printf(&files_url, "%s/files/%s/", cfg.server_url, cfg.app_id);
    st = storage_open(cfg.database_uri, files_url.data);
    sbuf_cleanup(&files_url);
    rc = 1;
    if (st == NULL || main_load_schemas(st))
        goto out;
    {
        perr_t err;

        if (users_bootstrap(st, &err)) {
            log_error("cannot create the system classes: %s", err.msg);
            goto out;
        }
    }
    if (st->ops->watch != NULL && st->ops->watch(st, main_on_change))
        goto out;
    if (st->ops->load_class != NULL)
        schema_cache_set_loader(main_load_class, st);
    srv = server_start(&cfg, st);
    if (srv == NULL)
        goto out;
    {
        char *shown = main_redact_uri(cfg.database_uri);

        log_info("parsec %s serving http://%s:%d%s on %s (%s)", PARSEC_VERSION,
                 cfg.host, server_port(srv), cfg.mount_path,
                 st->ops->describe(st), shown);
        free(shown);
    }
    sigwait(&sigs, &sig);
    log_info("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    server_stop(srv);
    rc = 0;

out:
    if (st != NULL)
        st->ops->close(st);
    schema_cache_cleanup();
    session_cache_cleanup();
    config_cleanup(&cfg);
    curl_global_cleanup();
    if (rc == 0)
        log_info("stopped");
    return rc;
}
