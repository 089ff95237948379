/* SPDX-License-Identifier: MIT */
/*
 * schema.c - class descriptions and their cache (see schema.h).
 * Decides which names are valid and what parse-server's _SCHEMA JSON
 * looks like; does not touch the database.
 */
#include "schema.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const schema_default_fields[] = {
    "objectId", "createdAt", "updatedAt", "ACL"};

bool
schema_is_default_field(const char *name)
{
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(name, schema_default_fields[i]) == 0)
            return true;
    }
    return false;
}

static json_t *
schema_default_clp(void)
{
    return json_pack("{s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, "
                     "s:{s:b}, s:{s:b}, s:{s:[]}}",
                     "find", "*", 1, "count", "*", 1, "get", "*", 1,
                     "create", "*", 1, "update", "*", 1, "delete", "*", 1,
                     "addField", "*", 1, "protectedFields", "*");
}

schema_class_t *
schema_class_create(const char *name)
{
    schema_class_t *cls = calloc(1, sizeof(*cls));

    atomic_init(&cls->refs, 1);
    cls->name = strdup(name);
    cls->clp = schema_default_clp();
    return cls;
}

void
schema_field_add(schema_class_t *cls, const char *name, ptype_t type,
                 const char *target)
{
    schema_field_t *f;

    cls->fields = realloc(cls->fields, (cls->nfields + 1) * sizeof(*f));
    f = &cls->fields[cls->nfields++];
    f->name = strdup(name);
    f->type = type;
    f->target = target ? strdup(target) : NULL;
    f->opts = NULL;
}

void
schema_field_set_opts(schema_class_t *cls, const char *name, json_t *opts)
{
    for (size_t i = 0; i < cls->nfields; i++) {
        if (strcmp(cls->fields[i].name, name) == 0) {
            json_decref(cls->fields[i].opts);
            cls->fields[i].opts = opts ? json_incref(opts) : NULL;
            return;
        }
    }
}

void
schema_field_remove(schema_class_t *cls, const char *name)
{
    for (size_t i = 0; i < cls->nfields; i++) {
        if (strcmp(cls->fields[i].name, name) != 0)
            continue;
        free(cls->fields[i].name);
        free(cls->fields[i].target);
        json_decref(cls->fields[i].opts);
        memmove(&cls->fields[i], &cls->fields[i + 1],
                (cls->nfields - i - 1) * sizeof(cls->fields[0]));
        cls->nfields--;
        return;
    }
}

schema_class_t *
schema_class_copy(const schema_class_t *src)
{
    schema_class_t *cls = calloc(1, sizeof(*cls));

    atomic_init(&cls->refs, 1);
    cls->name = strdup(src->name);
    for (size_t i = 0; i < src->nfields; i++) {
        schema_field_add(cls, src->fields[i].name, src->fields[i].type,
                         src->fields[i].target);
        schema_field_set_opts(cls, src->fields[i].name, src->fields[i].opts);
    }
    cls->clp = json_deep_copy(src->clp);
    cls->extra = src->extra ? json_deep_copy(src->extra) : NULL;
    return cls;
}

schema_class_t *
schema_class_ref(schema_class_t *cls)
{
    if (cls != NULL)
        atomic_fetch_add(&cls->refs, 1);
    return cls;
}

void
schema_class_release(schema_class_t *cls)
{
    if (cls == NULL || atomic_fetch_sub(&cls->refs, 1) != 1)
        return;
    for (size_t i = 0; i < cls->nfields; i++) {
        free(cls->fields[i].name);
        free(cls->fields[i].target);
        json_decref(cls->fields[i].opts);
    }
    free(cls->fields);
    free(cls->name);
    json_decref(cls->clp);
    json_decref(cls->extra);
    free(cls);
}

schema_class_t *
schema_class_from_json(json_t *doc)
{
    const char *name = json_string_value(json_object_get(doc, "className"));
    json_t *fields = json_object_get(doc, "fields");
    json_t *clp = json_object_get(doc, "classLevelPermissions");
    schema_class_t *cls;
    const char *key;
    json_t *val;

    if (name == NULL || !json_is_object(fields))
        return NULL;
    cls = schema_class_create(name);
    json_object_foreach(fields, key, val) {
        const char *tname = json_string_value(json_object_get(val, "type"));
        const char *target =
            json_string_value(json_object_get(val, "targetClass"));
        ptype_t t;

        /* Default columns and the permission arrays are implied by every
         * class; only user fields (and internal ones like _User's
         * _hashed_password) are listed. */
        if (schema_is_default_field(key) || !strcmp(key, "_rperm") ||
            !strcmp(key, "_wperm") || tname == NULL)
            continue;
        t = ptype_from_name(tname);
        if (t == PT_NONE)
            continue;
        schema_field_add(cls, key, t, target);
        {
            json_t *req = json_object_get(val, "required");
            json_t *dv = json_object_get(val, "defaultValue");

            if (req != NULL || dv != NULL) {
                json_t *opts = json_object();

                if (req != NULL)
                    json_object_set(opts, "required", req);
                if (dv != NULL)
                    json_object_set(opts, "defaultValue", dv);
                schema_field_set_opts(cls, key, opts);
                json_decref(opts);
            }
        }
    }
    if (json_is_object(clp)) {
        json_decref(cls->clp);
        cls->clp = json_deep_copy(clp);
    }
    json_object_foreach(doc, key, val) {
        if (strcmp(key, "className") && strcmp(key, "fields") &&
            strcmp(key, "classLevelPermissions")) {
            if (cls->extra == NULL)
                cls->extra = json_object();
            json_object_set(cls->extra, key, val);
        }
    }
    return cls;
}

json_t *
schema_class_to_json(const schema_class_t *cls)
{
    json_t *doc = json_object();
    json_t *fields = json_object();

    json_object_set_new(fields, "objectId", json_pack("{s:s}", "type", "String"));
    json_object_set_new(fields, "createdAt", json_pack("{s:s}", "type", "Date"));
    json_object_set_new(fields, "updatedAt", json_pack("{s:s}", "type", "Date"));
    json_object_set_new(fields, "ACL", json_pack("{s:s}", "type", "ACL"));
    for (size_t i = 0; i < cls->nfields; i++) {
        const schema_field_t *f = &cls->fields[i];
        json_t *fd = json_pack("{s:s}", "type", ptype_name(f->type));

        if (f->target != NULL)
            json_object_set_new(fd, "targetClass", json_string(f->target));
        if (f->opts != NULL)
            json_object_update(fd, f->opts);
        json_object_set_new(fields, f->name, fd);
    }
    if (cls->extra != NULL)
        json_object_update(doc, cls->extra);
    json_object_set_new(doc, "className", json_string(cls->name));
    json_object_set_new(doc, "fields", fields);
    json_object_set(doc, "classLevelPermissions", cls->clp);
    return doc;
}

const schema_field_t *
schema_field_find(const schema_class_t *cls, const char *name)
{
    for (size_t i = 0; i < cls->nfields; i++) {
        if (strcmp(cls->fields[i].name, name) == 0)
            return &cls->fields[i];
    }
    return NULL;
}

ptype_t
schema_field_type(const schema_class_t *cls, const char *name)
{
    const schema_field_t *f;

    if (strcmp(name, "objectId") == 0)
        return PT_STRING;
    if (strcmp(name, "createdAt") == 0 || strcmp(name, "updatedAt") == 0)
        return PT_DATE;
    if (strcmp(name, "ACL") == 0)
        return PT_ACL;
    f = cls ? schema_field_find(cls, name) : NULL;
    return f ? f->type : PT_NONE;
}

/* The system classes parsec serves, with the fields every one of them
 * has (parse-server's defaults for each). */
static const struct {
    const char *cls;
    const char *field;
    ptype_t type;
    const char *target;
} schema_system_fields[] = {
    {"_User", "username", PT_STRING, NULL},
    {"_User", "email", PT_STRING, NULL},
    {"_User", "emailVerified", PT_BOOLEAN, NULL},
    {"_User", "authData", PT_OBJECT, NULL},
    {"_User", "_hashed_password", PT_STRING, NULL},
    {"_User", "_email_verify_token", PT_STRING, NULL},
    {"_User", "_email_verify_token_expires_at", PT_DATE, NULL},
    {"_User", "_perishable_token", PT_STRING, NULL},
    {"_User", "_perishable_token_expires_at", PT_DATE, NULL},
    {"_User", "_failed_login_count", PT_NUMBER, NULL},
    {"_User", "_account_lockout_expires_at", PT_DATE, NULL},
    {"_User", "_password_changed_at", PT_DATE, NULL},
    {"_User", "_password_history", PT_ARRAY, NULL},
    {"_Role", "name", PT_STRING, NULL},
    {"_Role", "users", PT_RELATION, "_User"},
    {"_Role", "roles", PT_RELATION, "_Role"},
    {"_Session", "user", PT_POINTER, "_User"},
    {"_Session", "installationId", PT_STRING, NULL},
    {"_Session", "sessionToken", PT_STRING, NULL},
    {"_Session", "expiresAt", PT_DATE, NULL},
    {"_Session", "createdWith", PT_OBJECT, NULL},
};

bool
schema_is_system_class(const char *name)
{
    return !strcmp(name, "_User") || !strcmp(name, "_Role") ||
           !strcmp(name, "_Session");
}

size_t
schema_system_fields_of(const char *name, schema_field_t *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < sizeof(schema_system_fields) /
                               sizeof(schema_system_fields[0]); i++) {
        if (strcmp(schema_system_fields[i].cls, name) != 0 || n == max)
            continue;
        out[n].name = (char *)schema_system_fields[i].field;
        out[n].type = schema_system_fields[i].type;
        out[n].target = (char *)schema_system_fields[i].target;
        out[n].opts = NULL;
        n++;
    }
    return n;
}

int
schema_check_class_name(const char *name, perr_t *err)
{
    if ((util_is_valid_name(name) && strlen(name) <= 120) ||
        schema_is_system_class(name))
        return 0;
    return perr_set(err, PERR_INVALID_CLASS_NAME,
                    "Invalid classname: %.120s, classnames can only have "
                    "alphanumeric characters and _, and must start with an "
                    "alpha character ",
                    name);
}

int
schema_check_field_name(const char *name, perr_t *err)
{
    /* "length" would break SDKs that treat objects as arrays, and
     * "className" is how the SDKs tell objects apart. */
    if (util_is_valid_name(name) && strlen(name) <= 255 &&
        strcmp(name, "length") != 0 && strcmp(name, "className") != 0 &&
        strcmp(name, "constructor") != 0)
        return 0;
    return perr_set(err, PERR_INVALID_KEY_NAME, "Invalid field name: %.200s.",
                    name);
}

/* ---- the cache: a fixed bucket array of chains under one rwlock ---- */

#define SCHEMA_BUCKETS 256

typedef struct schema_entry {
    schema_class_t *cls;
    struct schema_entry *next;
} schema_entry_t;

static schema_entry_t *schema_buckets[SCHEMA_BUCKETS];
static pthread_rwlock_t schema_lock = PTHREAD_RWLOCK_INITIALIZER;

static unsigned
schema_hash(const char *s)
{
    unsigned h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % SCHEMA_BUCKETS;
}

void
schema_cache_init(void)
{
    memset(schema_buckets, 0, sizeof(schema_buckets));
}

void
schema_cache_cleanup(void)
{
    pthread_rwlock_wrlock(&schema_lock);
    for (size_t i = 0; i < SCHEMA_BUCKETS; i++) {
        schema_entry_t *e = schema_buckets[i];

        while (e != NULL) {
            schema_entry_t *next = e->next;

            schema_class_release(e->cls);
            free(e);
            e = next;
        }
        schema_buckets[i] = NULL;
    }
    pthread_rwlock_unlock(&schema_lock);
}

/* Set once at start-up, before the server takes requests. */
static schema_loader_fn schema_loader;
static void *schema_loader_ctx;
/* Whether this thread's last lookup could not ask the database. */
static _Thread_local bool schema_lookup_failed;

bool
schema_cache_lookup_failed(void)
{
    bool failed = schema_lookup_failed;

    schema_lookup_failed = false;
    return failed;
}

void
schema_cache_set_loader(schema_loader_fn fn, void *ctx)
{
    schema_loader = fn;
    schema_loader_ctx = ctx;
}

schema_class_t *
schema_cache_get(const char *name)
{
    schema_class_t *found = NULL;

    pthread_rwlock_rdlock(&schema_lock);
    for (schema_entry_t *e = schema_buckets[schema_hash(name)]; e; e = e->next) {
        if (strcmp(e->cls->name, name) == 0) {
            found = schema_class_ref(e->cls);
            break;
        }
    }
    pthread_rwlock_unlock(&schema_lock);
    schema_lookup_failed = false;
    if (found == NULL && schema_loader != NULL) {
        found = schema_loader(schema_loader_ctx, name, &schema_lookup_failed);
        if (found != NULL)
            schema_cache_put(found);
    }
    return found;
}

void
schema_cache_put(schema_class_t *cls)
{
    unsigned h = schema_hash(cls->name);
    schema_entry_t *e;

    schema_class_ref(cls);
    pthread_rwlock_wrlock(&schema_lock);
    for (e = schema_buckets[h]; e; e = e->next) {
        if (strcmp(e->cls->name, cls->name) == 0)
            break;
    }
    if (e != NULL) {
        schema_class_release(e->cls);
        e->cls = cls;
    } else {
        e = malloc(sizeof(*e));
        e->cls = cls;
        e->next = schema_buckets[h];
        schema_buckets[h] = e;
    }
    pthread_rwlock_unlock(&schema_lock);
}

void
schema_cache_remove(const char *name)
{
    schema_entry_t **pp;

    pthread_rwlock_wrlock(&schema_lock);
    for (pp = &schema_buckets[schema_hash(name)]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->cls->name, name) == 0) {
            schema_entry_t *e = *pp;

            *pp = e->next;
            schema_class_release(e->cls);
            free(e);
            break;
        }
    }
    pthread_rwlock_unlock(&schema_lock);
}
