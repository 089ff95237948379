/* SPDX-License-Identifier: MIT */
/*
 * session.c - token lookup, role resolution and their cache (session.h).
 * Role resolution walks _Role's "users" and "roles" relations upward from
 * the user: a role that lists another in "roles" grants its permissions
 * to that role's members. A visited set stops cycles.
 */
#include "session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define SESSION_CACHE_MAX 10000
#define SESSION_CACHE_TTL_MS 60000     /* re-read a token at least this often */
#define SESSION_BUCKETS 1024
#define SESSION_ROLE_DEPTH 32

typedef struct sc_entry {
    char *token;
    char *user_id;
    char **roles;               /* role names, NULL-terminated */
    unsigned role_gen;
    int64_t expires_ms;         /* the session's expiresAt, or 0 */
    int64_t loaded_ms;
    struct sc_entry *next;
} sc_entry_t;

static pthread_mutex_t sc_lock = PTHREAD_MUTEX_INITIALIZER;
static sc_entry_t *sc_buckets[SESSION_BUCKETS];
static size_t sc_count;
static atomic_uint sc_role_gen;

static unsigned
sc_hash(const char *s)
{
    unsigned h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % SESSION_BUCKETS;
}

static void
sc_free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

static void
sc_entry_free(sc_entry_t *e)
{
    free(e->token);
    free(e->user_id);
    sc_free_list(e->roles);
    free(e);
}

/* Remove entries matching token or user (either may be NULL); with both
 * NULL, everything. Caller holds sc_lock. */
static void
sc_remove(const char *token, const char *user_id)
{
    for (size_t b = 0; b < SESSION_BUCKETS; b++) {
        sc_entry_t **pp = &sc_buckets[b];

        if (token != NULL && b != sc_hash(token))
            continue;
        while (*pp) {
            sc_entry_t *e = *pp;
            bool match = (token == NULL || strcmp(e->token, token) == 0) &&
                         (user_id == NULL || strcmp(e->user_id, user_id) == 0);

            if (match) {
                *pp = e->next;
                sc_entry_free(e);
                sc_count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

void
session_forget_token(const char *token)
{
    pthread_mutex_lock(&sc_lock);
    sc_remove(token, NULL);
    pthread_mutex_unlock(&sc_lock);
}

void
session_forget_user(const char *user_id)
{
    pthread_mutex_lock(&sc_lock);
    sc_remove(NULL, user_id);
    pthread_mutex_unlock(&sc_lock);
}

void
session_roles_changed(void)
{
    atomic_fetch_add(&sc_role_gen, 1);
}

void
session_cache_cleanup(void)
{
    pthread_mutex_lock(&sc_lock);
    sc_remove(NULL, NULL);
    pthread_mutex_unlock(&sc_lock);
}

/* The names of every role user_id holds, directly or through parents. */
static int
sc_load_roles(storage_t *st, const char *user_id, char ***out, perr_t *err)
{
    json_t *all = json_array(), *frontier, *rows = NULL, *row, *where;
    char **names;
    size_t i;
    int rc = -1;

    frontier = json_pack("[s]", user_id);
    for (int depth = 0; depth < SESSION_ROLE_DEPTH; depth++) {
        json_t *owners, *next = json_array(), *id;

        if (st->ops->relation_owners(st, "_Role", depth ? "roles" : "users",
                                     frontier, &owners, err)) {
            json_decref(next);
            goto done;
        }
        json_array_foreach(owners, i, id) {
            bool seen = false;
            json_t *have;
            size_t k;

            json_array_foreach(all, k, have)
                seen = seen || json_equal(have, id);
            if (!seen) {
                json_array_append(all, id);
                json_array_append(next, id);
            }
        }
        json_decref(owners);
        json_decref(frontier);
        frontier = next;
        if (json_array_size(frontier) == 0)
            break;
    }
    /* A user in no role (the common case) needs no second query. */
    if (json_array_size(all) == 0) {
        rows = json_array();
        rc = 0;
    } else {
        where = json_pack("{s:{s:O}}", "objectId", "$in", all);
        rc = storage_find_where(st, "_Role", where, &rows, err);
        json_decref(where);
        if (rc)
            goto done;
    }
    names = calloc(json_array_size(rows) + 1, sizeof(char *));
    json_array_foreach(rows, i, row) {
        const char *name = json_string_value(json_object_get(row, "name"));

        names[i] = strdup(name ? name : "");
    }
    *out = names;

done:
    json_decref(frontier);
    json_decref(all);
    json_decref(rows);
    return rc;
}

/* Read the session behind token from the database. */
static int
sc_load(storage_t *st, const char *token, sc_entry_t *e, perr_t *err)
{
    json_t *where = json_pack("{s:s}", "sessionToken", token);
    json_t *rows = NULL, *row, *user;
    int64_t ms = 0;
    int rc;

    rc = storage_find_where(st, "_Session", where, &rows, err);
    json_decref(where);
    if (rc)
        return -1;
    row = json_array_get(rows, 0);
    user = json_object_get(row, "user");
    if (row == NULL || !json_is_string(json_object_get(user, "objectId"))) {
        json_decref(rows);
        return perr_set_code(err, 209, 400, "Invalid session token");
    }
    if (json_object_get(row, "expiresAt"))
        ptype_date_ms(json_object_get(row, "expiresAt"), &ms);
    e->user_id = strdup(json_string_value(json_object_get(user, "objectId")));
    e->expires_ms = ms;
    json_decref(rows);
    return 0;
}

static void
sc_identity(const sc_entry_t *e, session_identity_t *out)
{
    size_t n = 0;

    while (e->roles && e->roles[n])
        n++;
    out->user_id = strdup(e->user_id);
    out->acl_ids = calloc(n + 3, sizeof(char *));
    out->acl_ids[0] = strdup("*");
    out->acl_ids[1] = strdup(e->user_id);
    for (size_t i = 0; i < n; i++) {
        sbuf_t sb;

        sbuf_init(&sb);
        sbuf_printf(&sb, "role:%s", e->roles[i]);
        out->acl_ids[i + 2] = sbuf_take(&sb);
    }
}

int
session_resolve(storage_t *st, const char *token, session_identity_t *out,
                perr_t *err)
{
    unsigned gen = atomic_load(&sc_role_gen);
    int64_t now = util_now_ms();
    sc_entry_t *e, fresh = {0};

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&sc_lock);
    for (e = sc_buckets[sc_hash(token)]; e; e = e->next) {
        if (strcmp(e->token, token) == 0)
            break;
    }
    if (e != NULL && e->role_gen == gen &&
        now - e->loaded_ms < SESSION_CACHE_TTL_MS &&
        (e->expires_ms == 0 || e->expires_ms > now)) {
        sc_identity(e, out);
        pthread_mutex_unlock(&sc_lock);
        return 0;
    }
    pthread_mutex_unlock(&sc_lock);

    if (sc_load(st, token, &fresh, err))
        return -1;
    if (fresh.expires_ms != 0 && fresh.expires_ms <= now) {
        free(fresh.user_id);
        return perr_set_code(err, 209, 400, "Session token is expired.");
    }
    if (sc_load_roles(st, fresh.user_id, &fresh.roles, err)) {
        free(fresh.user_id);
        return -1;
    }
    fresh.token = strdup(token);
    fresh.role_gen = gen;
    fresh.loaded_ms = now;
    sc_identity(&fresh, out);

    pthread_mutex_lock(&sc_lock);
    sc_remove(token, NULL);
    if (sc_count >= SESSION_CACHE_MAX)
        sc_remove(NULL, NULL);  /* simplest bound: start over */
    e = malloc(sizeof(*e));
    *e = fresh;
    e->next = sc_buckets[sc_hash(token)];
    sc_buckets[sc_hash(token)] = e;
    sc_count++;
    pthread_mutex_unlock(&sc_lock);
    return 0;
}

void
session_identity_cleanup(session_identity_t *id)
{
    free(id->user_id);
    sc_free_list(id->acl_ids);
    memset(id, 0, sizeof(*id));
}

/* Delete the sessions of user_id on installation_id. */
static int
session_destroy_installation(storage_t *st, const schema_class_t *cls,
                             const char *user_id, const char *installation_id,
                             perr_t *err)
{
    json_t *where, *rows = NULL, *row;
    size_t i;
    int rc;

    where = json_pack("{s:{s:s, s:s, s:s}, s:s}", "user", "__type", "Pointer",
                      "className", "_User", "objectId", user_id,
                      "installationId", installation_id);
    rc = storage_find_where(st, "_Session", where, &rows, err);
    json_decref(where);
    json_array_foreach(rows, i, row) {
        if (rc == 0)
            rc = st->ops->remove(st, cls,
                                 json_string_value(json_object_get(row,
                                                                   "objectId")),
                                 NULL, err);
    }
    if (json_array_size(rows) > 0)
        session_forget_user(user_id);
    json_decref(rows);
    return rc;
}

int
session_create(storage_t *st, const char *user_id, const char *action,
               const char *provider, const char *installation_id,
               int length_s, char **token, perr_t *err)
{
    schema_class_t *cls = schema_cache_get("_Session");
    char id[11], hex[33], now[32], tok[40];
    unsigned char raw[16];
    json_t *obj;
    int rc;

    if (cls == NULL)
        return perr_set(err, PERR_INTERNAL, NULL);
    if (util_random_id(id, 10) || util_random_bytes(raw, sizeof(raw))) {
        schema_class_release(cls);
        return perr_set(err, PERR_INTERNAL, NULL);
    }
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    util_format_iso(util_now_ms(), now);
    snprintf(tok, sizeof(tok), "r:%s", hex);
    obj = json_object();
    json_object_set_new(obj, "objectId", json_string(id));
    json_object_set_new(obj, "createdAt", json_string(now));
    json_object_set_new(obj, "updatedAt", json_string(now));
    json_object_set_new(obj, "sessionToken", json_string(tok));
    json_object_set_new(obj, "user", ptype_pointer_create("_User", user_id));
    json_object_set_new(obj, "createdWith",
                        json_pack("{s:s, s:s}", "action", action,
                                  "authProvider", provider));
    json_object_set_new(obj, "expiresAt",
                        ptype_date_create(util_now_ms() +
                                          (int64_t)length_s * 1000));
    json_object_set_new(obj, "ACL", json_pack("{s:{s:b, s:b}}", user_id,
                                              "read", 1, "write", 1));
    if (installation_id != NULL) {
        json_object_set_new(obj, "installationId", json_string(installation_id));
        /* One session per user and installation: a new login from the
         * same device replaces the old session, as in parse-server. */
        if (session_destroy_installation(st, cls, user_id, installation_id,
                                         err)) {
            json_decref(obj);
            schema_class_release(cls);
            return -1;
        }
    }
    rc = st->ops->insert(st, cls, obj, err);
    if (rc == 0)
        *token = strdup(json_string_value(json_object_get(obj, "sessionToken")));
    json_decref(obj);
    schema_class_release(cls);
    return rc;
}

int
session_destroy_user(storage_t *st, const char *user_id, const char *keep,
                     perr_t *err)
{
    schema_class_t *cls = schema_cache_get("_Session");
    json_t *where, *rows = NULL, *row;
    size_t i;
    int rc;

    if (cls == NULL)
        return 0;
    where = json_pack("{s:{s:s, s:s, s:s}}", "user", "__type", "Pointer",
                      "className", "_User", "objectId", user_id);
    rc = storage_find_where(st, "_Session", where, &rows, err);
    json_decref(where);
    json_array_foreach(rows, i, row) {
        const char *tok = json_string_value(json_object_get(row, "sessionToken"));
        const char *sid = json_string_value(json_object_get(row, "objectId"));

        if (rc || (keep && tok && strcmp(tok, keep) == 0))
            continue;
        rc = st->ops->remove(st, cls, sid, NULL, err);
    }
    json_decref(rows);
    schema_class_release(cls);
    session_forget_user(user_id);
    return rc;
}
