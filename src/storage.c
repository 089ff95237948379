/* SPDX-License-Identifier: MIT */
/*
 * storage.c - picks the engine for a database URI and holds the ACL
 * conversions every engine shares (see storage.h).
 */
#include "storage.h"

#include <string.h>

#include "log.h"
#include "util.h"

storage_t *storage_sqlite_open(const char *path, const char *files_url);
storage_t *storage_postgres_open(const char *uri, const char *files_url);

storage_t *
storage_open(const char *uri, const char *files_url)
{
    const char *path = uri;

    if (strncmp(uri, "postgres://", 11) == 0 ||
        strncmp(uri, "postgresql://", 13) == 0)
        return storage_postgres_open(uri, files_url);
    /* PostgreSQL's keyword=value form is not a file name; taking it for
     * one would create a file named after its password. */
    if (strchr(uri, '=') != NULL && strchr(uri, ' ') != NULL &&
        strncmp(uri, "sqlite:", 7) != 0) {
        log_error("the database URI looks like PostgreSQL keyword=value "
                  "settings; give a postgres://user:password@host:port/db URI");
        return NULL;
    }
    if (strncmp(uri, "sqlite://", 9) == 0)
        path = uri + 9;
    else if (strncmp(uri, "sqlite:", 7) == 0)
        path = uri + 7;
    if (*path == '\0') {
        log_error("database URI %s names no file", uri);
        return NULL;
    }
    return storage_sqlite_open(path, files_url);
}

int
storage_acl_split(json_t *acl, json_t **rperm, json_t **wperm, perr_t *err)
{
    const char *who;
    json_t *perms;
    json_t *r, *w;

    if (!json_is_object(acl))
        return perr_set(err, PERR_INVALID_ACL, "ACL must be an object");
    r = json_array();
    w = json_array();
    json_object_foreach(acl, who, perms) {
        const char *p;
        json_t *allowed;

        if (!json_is_object(perms) || who[0] == '\0')
            goto invalid;
        json_object_foreach(perms, p, allowed) {
            if (!json_is_boolean(allowed) ||
                (strcmp(p, "read") != 0 && strcmp(p, "write") != 0))
                goto invalid;
            /* false is the same as absent: only grants are stored. */
            if (json_is_true(allowed))
                json_array_append_new(p[0] == 'r' ? r : w, json_string(who));
        }
    }
    *rperm = r;
    *wperm = w;
    return 0;

invalid:
    json_decref(r);
    json_decref(w);
    return perr_set(err, PERR_INVALID_ACL, "Invalid ACL: permissions must be "
                                           "objects of read/write booleans");
}

/* Grant perm ("read" or "write") in acl to every id of the array ids. */
static void
storage_acl_grant(json_t *acl, json_t *ids, const char *perm)
{
    json_t *who;
    size_t i;

    json_array_foreach(ids, i, who) {
        const char *k = json_string_value(who);
        json_t *entry;

        if (k == NULL)
            continue;
        entry = json_object_get(acl, k);
        if (entry == NULL) {
            entry = json_object();
            json_object_set_new(acl, k, entry);
        }
        json_object_set_new(entry, perm, json_true());
    }
}

json_t *
storage_acl_join(json_t *rperm, json_t *wperm)
{
    json_t *acl;

    if (rperm == NULL && wperm == NULL)
        return NULL;
    acl = json_object();
    storage_acl_grant(acl, rperm, "read");
    storage_acl_grant(acl, wperm, "write");
    return acl;
}

int
storage_perm_allows(json_t *perm, const char *const *ids)
{
    json_t *who;
    size_t i;

    if (ids == NULL || perm == NULL || json_is_null(perm))
        return 1;
    json_array_foreach(perm, i, who) {
        const char *k = json_string_value(who);

        for (const char *const *id = ids; k && *id; id++) {
            if (strcmp(k, *id) == 0)
                return 1;
        }
    }
    return 0;
}

int
storage_find_where(storage_t *st, const char *cls_name, json_t *where,
                   json_t **rows, perr_t *err)
{
    schema_class_t *cls = schema_cache_get(cls_name);
    query_t q;
    int rc;

    if (cls == NULL) {
        *rows = json_array();
        return 0;
    }
    rc = query_parse_internal(&q, cls, where, err);
    if (rc == 0) {
        rc = st->ops->find(st, cls, &q, rows, err);
        query_cleanup(&q);
    }
    schema_class_release(cls);
    return rc;
}

json_t *
storage_file_value(storage_t *st, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    sbuf_t url;
    json_t *file;

    /* The name is percent-encoded as encodeURIComponent does, which is
     * how parse-server writes file URLs. */
    sbuf_init(&url);
    sbuf_append(&url, st->files_url);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || strchr("-_.!~*'()", *p) != NULL) {
            sbuf_append_len(&url, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            sbuf_append_len(&url, esc, 3);
        }
    }
    file = ptype_typed_create("File");
    json_object_set_new_nocheck(file, "name", json_string(name));
    json_object_set_new_nocheck(file, "url", json_string(url.data));
    sbuf_cleanup(&url);
    return file;
}

/* An index may name the fixed columns or any field with a column. */
static bool
storage_index_field_ok(const schema_class_t *cls, const char *field)
{
    ptype_t t = schema_field_type(cls, field);

    return t != PT_NONE && t != PT_RELATION && strcmp(field, "ACL") != 0;
}

int
storage_index_plan(schema_class_t *cls, json_t *indexes, json_t **sql,
                   perr_t *err)
{
    json_t *have, *spec, *out = json_array();
    const char *name;

    if (!json_is_object(indexes)) {
        json_decref(out);
        return perr_set(err, PERR_INVALID_QUERY, "indexes must be an object");
    }
    if (cls->extra == NULL)
        cls->extra = json_object();
    have = json_object_get(cls->extra, "indexes");
    if (!json_is_object(have) || json_object_size(have) == 0) {
        /* parse-server lists the objectId index first once any is set. */
        have = json_pack("{s:{s:i}}", "_id_", "_id", 1);
        json_object_set_new(cls->extra, "indexes", have);
    }
    json_object_foreach(indexes, name, spec) {
        bool drop = json_is_object(spec) &&
                    json_is_string(json_object_get(spec, "__op")) &&
                    strcmp(json_string_value(json_object_get(spec, "__op")),
                           "Delete") == 0;
        const char *field;
        json_t *dir;
        sbuf_t stmt;

        if (name[0] == '\0' || strlen(name) > 63 || strcmp(name, "_id_") == 0) {
            perr_set(err, PERR_INVALID_QUERY, "Invalid index name %.80s.", name);
            goto fail;
        }
        if (json_object_get(have, name) != NULL && !drop) {
            perr_set(err, PERR_INVALID_QUERY, "Index %s exists, cannot update.",
                     name);
            goto fail;
        }
        if (json_object_get(have, name) == NULL && drop) {
            perr_set(err, PERR_INVALID_QUERY,
                     "Index %s does not exist, cannot delete.", name);
            goto fail;
        }
        sbuf_init(&stmt);
        if (drop) {
            sbuf_append(&stmt, "DROP INDEX IF EXISTS ");
            sbuf_append_ident(&stmt, name);
            json_object_del(have, name);
            json_array_append_new(out, json_string(stmt.data));
            sbuf_cleanup(&stmt);
            continue;
        }
        if (!json_is_object(spec) || json_object_size(spec) == 0) {
            sbuf_cleanup(&stmt);
            perr_set(err, PERR_INVALID_QUERY, "Index %s needs its fields.", name);
            goto fail;
        }
        sbuf_append(&stmt, "CREATE INDEX IF NOT EXISTS ");
        sbuf_append_ident(&stmt, name);
        sbuf_append(&stmt, " ON ");
        sbuf_append_ident(&stmt, cls->name);
        sbuf_append(&stmt, " (");
        {
            bool first = true;

            json_object_foreach(spec, field, dir) {
                if (!storage_index_field_ok(cls, field)) {
                    sbuf_cleanup(&stmt);
                    perr_set(err, PERR_INVALID_QUERY,
                             "Field %.120s does not exist, cannot add index.",
                             field);
                    goto fail;
                }
                if (!first)
                    sbuf_append(&stmt, ", ");
                first = false;
                sbuf_append_ident(&stmt, field);
            }
        }
        sbuf_append(&stmt, ")");
        json_object_set(have, name, spec);
        json_array_append_new(out, json_string(stmt.data));
        sbuf_cleanup(&stmt);
    }
    *sql = out;
    return 0;

fail:
    json_decref(out);
    return -1;
}

json_t *
storage_index_drop_field(schema_class_t *cls, const char *field)
{
    json_t *have = json_object_get(cls->extra, "indexes");
    json_t *out = json_array(), *spec;
    const char *name;
    void *tmp;

    json_object_foreach_safe(have, tmp, name, spec) {
        sbuf_t stmt;

        if (!json_is_object(spec) || json_object_get(spec, field) == NULL)
            continue;
        sbuf_init(&stmt);
        sbuf_append(&stmt, "DROP INDEX IF EXISTS ");
        sbuf_append_ident(&stmt, name);
        json_array_append_new(out, json_string(stmt.data));
        sbuf_cleanup(&stmt);
        json_object_del(have, name);
    }
    return out;
}

int
storage_check_field(const schema_class_t *cls, const schema_field_t *want,
                    bool *missing, perr_t *err)
{
    const schema_field_t *have = schema_field_find(cls, want->name);

    *missing = false;
    if (have != NULL) {
        if (have->type != want->type ||
            ((want->type == PT_POINTER || want->type == PT_RELATION) &&
             strcmp(have->target ? have->target : "",
                    want->target ? want->target : "")))
            return perr_set(err, PERR_INCORRECT_TYPE,
                            "schema mismatch for %s.%s; expected %s but got %s",
                            cls->name, want->name, ptype_name(have->type),
                            ptype_name(want->type));
        return 0;
    }
    if (want->type == PT_GEOPOINT) {
        for (size_t i = 0; i < cls->nfields; i++) {
            if (cls->fields[i].type == PT_GEOPOINT)
                return perr_set(err, PERR_INCORRECT_TYPE,
                                "currently, only one GeoPoint field may exist "
                                "in an object. Adding %s when %s already "
                                "exists.", want->name, cls->fields[i].name);
        }
    }
    *missing = true;
    return 0;
}

int
storage_options_plan(schema_class_t *cls, json_t *clp, json_t *opts,
                     json_t *indexes, json_t **sql, perr_t *err)
{
    const char *field;
    json_t *v;

    if (clp != NULL) {
        json_decref(cls->clp);
        cls->clp = json_deep_copy(clp);
    }
    json_object_foreach(opts, field, v)
        schema_field_set_opts(cls, field, json_is_null(v) ? NULL : v);
    if (indexes != NULL)
        return storage_index_plan(cls, indexes, sql, err);
    *sql = json_array();
    return 0;
}

int
storage_drop_field_plan(schema_class_t *cls, const char *field, json_t **sql,
                        perr_t *err)
{
    const schema_field_t *f = schema_field_find(cls, field);
    json_t *out;
    sbuf_t stmt;

    if (f == NULL)
        return perr_set_code(err, 255, 400,
                             "Field %s does not exist, cannot delete.", field);
    out = storage_index_drop_field(cls, field);
    sbuf_init(&stmt);
    if (f->type == PT_RELATION) {
        sbuf_t join;

        sbuf_init(&join);
        sbuf_printf(&join, "_Join:%s:%s", field, cls->name);
        sbuf_append(&stmt, "DROP TABLE IF EXISTS ");
        sbuf_append_ident(&stmt, join.data);
        sbuf_cleanup(&join);
    } else {
        sbuf_append(&stmt, "ALTER TABLE ");
        sbuf_append_ident(&stmt, cls->name);
        sbuf_append(&stmt, " DROP COLUMN ");
        sbuf_append_ident(&stmt, field);
    }
    json_array_append_new(out, json_string(stmt.data));
    sbuf_cleanup(&stmt);
    schema_field_remove(cls, field);
    *sql = out;
    return 0;
}
