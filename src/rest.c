/* SPDX-License-Identifier: MIT */
/*
 * rest.c - object semantics between handlers and storage (see rest.h).
 *
 * Decides what a write means: which fields it adds to the schema, what
 * each field operation (Increment, Add, AddUnique, Remove, Delete,
 * AddRelation, RemoveRelation, Batch) does to the stored value, which
 * values a response echoes, and how include expands pointers. Leaves SQL to
 * storage and HTTP to the server.
 */
#include "rest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "clp.h"
#include "log.h"
#include "users.h"
#include "query.h"
#include "schema.h"
#include "util.h"

#define REST_ID_LEN 10
#define REST_DEFAULT_LIMIT 100
#define REST_INCLUDE_DEPTH 8

/* A write's fields after validation, in body order. */
typedef struct {
    schema_field_t *fields;     /* name/type/target of each typed field */
    size_t n;
} rest_fields_t;

static void
rest_fields_cleanup(rest_fields_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->fields[i].name);
        free(f->fields[i].target);
    }
    free(f->fields);
}

static const char *
rest_op_name(json_t *v)
{
    return json_is_object(v) ? json_string_value(json_object_get(v, "__op"))
                             : NULL;
}

/* Does the response echo this field's stored value? parse-server does for
 * operations whose result the client cannot know in advance. */
static bool
rest_op_echoes(json_t *v)
{
    const char *op = rest_op_name(v);

    return op && (!strcmp(op, "Increment") || !strcmp(op, "Add") ||
                  !strcmp(op, "AddUnique") || !strcmp(op, "Remove"));
}

/*
 * A dotted key ("obj.a") writes inside an Object field, as the JS SDK
 * sends for set("obj.a") and increment("obj.a"). The first part must be a
 * valid field name; the rest names keys inside, which may hold neither '$'
 * nor an empty segment. The field itself is, or becomes, an Object.
 */
static int
rest_check_dotted(const char *key, json_t *v, rest_fields_t *out, perr_t *err)
{
    const char *dot = strchr(key, '.');
    char base[256];
    ptype_t t;
    const char *target;

    if ((size_t)(dot - key) >= sizeof(base))
        return perr_set(err, PERR_INVALID_KEY_NAME, "Invalid field name: %.200s.",
                        key);
    snprintf(base, sizeof(base), "%.*s", (int)(dot - key), key);
    if (schema_check_field_name(base, err))
        return -1;
    for (const char *p = dot; *p; p++) {
        if (*p == '$' || (*p == '.' && (p[1] == '.' || p[1] == '\0')))
            return perr_set(err, PERR_INVALID_NESTED_KEY, NULL);
    }
    if (ptype_of_value(v, &t, &target, err))
        return -1;
    if (t == PT_RELATION)
        return perr_set(err, PERR_INCORRECT_TYPE,
                        "Relations cannot live inside an Object field");
    out->fields = realloc(out->fields, (out->n + 1) * sizeof(schema_field_t));
    out->fields[out->n].name = strdup(base);
    out->fields[out->n].type = PT_OBJECT;
    out->fields[out->n].target = NULL;
    out->fields[out->n].opts = NULL;
    out->n++;
    return 0;
}

/*
 * Check every field of a write body and collect the typed ones. The
 * keys objectId, createdAt, updatedAt and ACL are the caller's to handle.
 */
static int
rest_check_body(request_t *req, json_t *body, rest_fields_t *out, perr_t *err)
{
    const char *key;
    json_t *v;

    memset(out, 0, sizeof(*out));
    json_object_foreach(body, key, v) {
        ptype_t t;
        const char *target;

        if (schema_is_default_field(key))
            continue;
        if (strchr(key, '.') != NULL) {
            if (rest_check_dotted(key, v, out, err)) {
                rest_fields_cleanup(out);
                return -1;
            }
            continue;
        }
        /* Internal fields come only from parsec's own rules. */
        if (!(req->internal && key[0] == '_' && util_is_valid_name(key + 1)) &&
            schema_check_field_name(key, err)) {
            rest_fields_cleanup(out);
            return -1;
        }
        if (ptype_of_value(v, &t, &target, err)) {
            rest_fields_cleanup(out);
            return -1;
        }
        if (t == PT_NONE)
            continue;
        out->fields = realloc(out->fields, (out->n + 1) * sizeof(schema_field_t));
        out->fields[out->n].name = strdup(key);
        out->fields[out->n].type = t;
        out->fields[out->n].target = target ? strdup(target) : NULL;
        out->fields[out->n].opts = NULL;
        out->n++;
    }
    return 0;
}

/* Check a permission where pointer permissions cannot apply (create,
 * addField): only a direct grant lets the caller in. */
static int
rest_clp_plain(request_t *req, const schema_class_t *cls, const char *op,
               perr_t *err)
{
    json_t *pw = NULL;

    if (clp_check(cls, op, &req->auth, &pw, err))
        return -1;
    if (pw != NULL) {
        json_decref(pw);
        return perr_set(err, PERR_OPERATION_FORBIDDEN,
                        "Permission denied for action %s on class %s.", op,
                        cls->name);
    }
    return 0;
}

/* Check op's permission for a query, narrowing q by pointer permissions. */
static int
rest_clp_query(request_t *req, const schema_class_t *cls, const char *op,
               query_t *q, perr_t *err)
{
    json_t *pw = NULL;
    int rc;

    if (clp_check(cls, op, &req->auth, &pw, err))
        return -1;
    rc = pw ? query_and_where(q, cls, pw, err) : 0;
    json_decref(pw);
    return rc;
}

/* Check op's permission on object id for a write: pointer permissions
 * require the object to point at the caller, else it is "not found". */
static int
rest_clp_object(request_t *req, const schema_class_t *cls, const char *op,
                const char *id, perr_t *err)
{
    json_t *pw = NULL, *where, *rows = NULL;
    int rc;

    if (clp_check(cls, op, &req->auth, &pw, err))
        return -1;
    if (pw == NULL)
        return 0;
    where = json_pack("{s:[{s:s},o]}", "$and", "objectId", id, pw);
    rc = storage_find_where(req->st, cls->name, where, &rows, err);
    json_decref(where);
    if (rc == 0 && json_array_size(rows) == 0)
        rc = perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    json_decref(rows);
    return rc;
}

/* The published class called name into *cls (NULL when there is none);
 * -1 with 503 when the database could not be asked. */
static int
rest_lookup(const char *name, schema_class_t **cls, perr_t *err)
{
    *cls = schema_cache_get(name);
    if (*cls == NULL && schema_cache_lookup_failed())
        return perr_set(err, PERR_SERVICE_UNAVAILABLE,
                        "The database is unavailable.");
    return 0;
}

/*
 * The published class holding all fields, adding what is missing. *cls
 * may be NULL on entry (class unknown); on success it holds a reference.
 */
static int
rest_ensure_schema(request_t *req, const char *name, schema_class_t **cls,
                   const rest_fields_t *f, perr_t *err)
{
    bool missing = *cls == NULL;
    schema_class_t *fresh;

    for (size_t i = 0; i < f->n && !missing; i++) {
        const schema_field_t *have = schema_field_find(*cls, f->fields[i].name);
        const schema_field_t *w = &f->fields[i];

        if (have == NULL) {
            missing = true;
        } else if (have->type != w->type ||
                   ((w->type == PT_POINTER || w->type == PT_RELATION) &&
                    strcmp(have->target, w->target) != 0)) {
            return perr_set(err, PERR_INCORRECT_TYPE,
                            "schema mismatch for %s.%s; expected %s but got %s",
                            name, w->name, ptype_name(have->type),
                            ptype_name(w->type));
        }
    }
    if (!missing)
        return 0;
    if (*cls == NULL && !req->auth.master &&
        !req->cfg->allow_client_class_creation)
        return perr_set(err, PERR_OPERATION_FORBIDDEN,
                        "This user is not allowed to access non-existent "
                        "class: %s", name);
    if (*cls != NULL && rest_clp_plain(req, *cls, "addField", err))
        return -1;
    if (req->st->ops->ensure_fields(req->st, name, f->fields, f->n, &fresh, err))
        return -1;
    schema_cache_put(fresh);
    schema_class_release(*cls);
    *cls = fresh;
    return 0;
}

/* Apply one field operation to the current value; returns a new value
 * reference, json null to remove the field, or NULL for relation ops
 * (which change the join table, not the column). */
static json_t *
rest_apply_op(json_t *current, json_t *v)
{
    const char *op = rest_op_name(v);
    json_t *objects = json_object_get(v, "objects");
    json_t *result, *el;
    size_t i;

    if (op == NULL)
        return json_incref(v);
    if (strcmp(op, "Delete") == 0)
        return json_null();
    if (strcmp(op, "Increment") == 0) {
        double base = json_is_number(current) ? json_number_value(current) : 0;
        json_t *amount = json_object_get(v, "amount");

        if (json_is_integer(amount) && (json_is_integer(current) || !current))
            return json_integer((current ? json_integer_value(current) : 0) +
                                json_integer_value(amount));
        return ptype_number_create(base + json_number_value(amount));
    }
    if (strcmp(op, "Add") == 0 || strcmp(op, "AddUnique") == 0) {
        bool unique = op[3] == 'U';

        result = json_is_array(current) ? json_deep_copy(current) : json_array();
        json_array_foreach(objects, i, el) {
            bool seen = false;

            for (size_t j = 0; unique && j < json_array_size(result); j++)
                seen = seen || ptype_equal(json_array_get(result, j), el);
            if (!seen)
                json_array_append(result, el);
        }
        return result;
    }
    if (strcmp(op, "Remove") == 0) {
        result = json_array();
        if (!json_is_array(current))
            return result;
        json_array_foreach(current, i, el) {
            bool drop = false;
            json_t *r;
            size_t k;

            json_array_foreach(objects, k, r)
                drop = drop || ptype_equal(el, r);
            if (!drop)
                json_array_append(result, el);
        }
        return result;
    }
    return NULL;  /* AddRelation, RemoveRelation, Batch */
}

/*
 * Apply the write of a dotted key inside the Object it names. changes
 * holds the new values being built; the Object is copied from there, else
 * from current, else started empty, so several dotted keys on one field
 * combine.
 */
static void
rest_apply_dotted(json_t *changes, json_t *current, const char *key, json_t *v)
{
    const char *dot = strchr(key, '.');
    char base[256];
    json_t *obj, *node;
    char *path, *seg, *save = NULL, *next;

    snprintf(base, sizeof(base), "%.*s", (int)(dot - key), key);
    obj = json_object_get(changes, base);
    if (!json_is_object(obj)) {
        json_t *cur = json_object_get(current, base);

        obj = json_is_object(cur) ? json_deep_copy(cur) : json_object();
        json_object_set_new(changes, base, obj);
    }
    path = strdup(dot + 1);
    node = obj;
    seg = strtok_r(path, ".", &save);
    while (seg != NULL) {
        next = strtok_r(NULL, ".", &save);
        if (next == NULL) {
            json_t *val = rest_apply_op(json_object_get(node, seg), v);

            if (val == NULL || json_is_null(val))
                json_object_del(node, seg);
            else
                json_object_set(node, seg, val);
            json_decref(val);
            break;
        }
        if (!json_is_object(json_object_get(node, seg)))
            json_object_set_new(node, seg, json_object());
        node = json_object_get(node, seg);
        seg = next;
    }
    free(path);
}

/* Write the join-table rows of relation operations on object id. */
static int
rest_apply_relations(request_t *req, const char *cls, const char *id,
                     json_t *body, perr_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v) {
        const char *op = rest_op_name(v);
        json_t *ops;
        json_t *sub;
        size_t i;
        int rc = 0;

        if (op == NULL)
            continue;
        if (strcmp(op, "Batch") == 0)
            ops = json_incref(json_object_get(v, "ops"));
        else if (!strcmp(op, "AddRelation") || !strcmp(op, "RemoveRelation"))
            ops = json_pack("[O]", v);
        else
            continue;
        json_array_foreach(ops, i, sub) {
            int add = strcmp(rest_op_name(sub), "AddRelation") == 0;
            json_t *p;
            size_t k;

            json_array_foreach(json_object_get(sub, "objects"), k, p) {
                const char *rid =
                    json_string_value(json_object_get(p, "objectId"));

                rc = rc ? rc : req->st->ops->relation_change(
                                   req->st, cls, key, id, rid, add, err);
            }
        }
        json_decref(ops);
        if (rc)
            return -1;
    }
    return 0;
}

/* Size of the body as JSON, against the configured object limit. */
static int
rest_check_size(request_t *req, json_t *obj, perr_t *err)
{
    char *text = json_dumps(obj, JSON_COMPACT);
    size_t len = text ? strlen(text) : 0;

    free(text);
    if (len > req->cfg->max_object_size)
        return perr_set(err, PERR_OBJECT_TOO_LARGE,
                        "The object is too large: %zu bytes, the limit is %zu.",
                        len, req->cfg->max_object_size);
    return 0;
}

/* Check the parts every write shares: body shape, size, ACL. */
static int
rest_check_write(request_t *req, const char *cls, json_t *body, perr_t *err)
{
    json_t *acl = json_object_get(body, "ACL");
    json_t *r, *w;

    if (schema_check_class_name(cls, err))
        return -1;
    if (req->auth.read_only)
        return perr_set(err, PERR_OPERATION_FORBIDDEN,
                        "read-only masterKey isn't allowed to perform the "
                        "%s operation.", strcmp(req->method, "POST") == 0
                                             ? "create" : req->method[0] == 'P'
                                             ? "update" : "delete");
    if (!json_is_object(body))
        return perr_set(err, PERR_INVALID_JSON,
                        "The request body must be a JSON object.");
    if (rest_check_size(req, body, err))
        return -1;
    if (acl != NULL) {
        if (storage_acl_split(acl, &r, &w, err))
            return -1;
        json_decref(r);
        json_decref(w);
    }
    return 0;
}

/* Fill default values of missing fields and check required ones, as the
 * schemas API configured them. */
static int
rest_apply_field_options(const schema_class_t *cls, json_t *obj, perr_t *err)
{
    for (size_t i = 0; i < cls->nfields; i++) {
        const schema_field_t *f = &cls->fields[i];
        json_t *dv = json_object_get(f->opts, "defaultValue");
        json_t *have = json_object_get(obj, f->name);

        if ((have == NULL || json_is_null(have)) && dv != NULL) {
            json_object_set(obj, f->name, dv);
            have = dv;
        }
        if ((have == NULL || json_is_null(have)) &&
            json_is_true(json_object_get(f->opts, "required")))
            return perr_set_code(err, 142, 400, "%s is required", f->name);
    }
    return 0;
}

/* A duplicate on _User: say which of username and email is taken. */
static void
rest_user_taken(request_t *req, json_t *body, perr_t *err)
{
    json_t *name = json_object_get(body, "username");
    json_t *where = json_pack("{s:O}", "username", name ? name : json_null());
    json_t *rows = NULL;
    perr_t ignored;

    if (json_is_string(name) &&
        storage_find_where(req->st, "_User", where, &rows, &ignored) == 0 &&
        json_array_size(rows) > 0)
        perr_set_code(err, 202, 400, "Account already exists for this username.");
    else
        perr_set_code(err, 203, 400,
                      "Account already exists for this email address.");
    json_decref(where);
    json_decref(rows);
}

int
rest_create(request_t *req, const char *cls_name, json_t *body, json_t **out,
            char **location, perr_t *err)
{
    json_t *custom_id = json_object_get(body, "objectId");
    schema_class_t *cls = NULL;
    rest_fields_t fields = {0};
    json_t *obj = NULL, *resp;
    char id[REST_ID_LEN + 1], now[32];
    const char *key;
    json_t *v;
    int rc = -1;

    if (rest_check_write(req, cls_name, body, err) ||
        users_before_write(req, cls_name, NULL, body, err))
        return -1;
    if (custom_id != NULL && !req->cfg->allow_custom_object_id)
        return perr_set(err, PERR_INVALID_KEY_NAME,
                        "objectId is an invalid field name.");
    if (custom_id != NULL && (!json_is_string(custom_id) ||
                              json_string_length(custom_id) == 0))
        return perr_set(err, PERR_MISSING_OBJECT_ID,
                        "objectId must not be empty, null or undefined");
    if (rest_check_body(req, body, &fields, err))
        return -1;
    cls = schema_cache_get(cls_name);
    if ((cls != NULL && rest_clp_plain(req, cls, "create", err)) ||
        rest_ensure_schema(req, cls_name, &cls, &fields, err))
        goto done;

    util_format_iso(util_now_ms(), now);
    obj = json_object();
    json_object_foreach(body, key, v) {
        json_t *val;

        if (!strcmp(key, "objectId") || !strcmp(key, "createdAt") ||
            !strcmp(key, "updatedAt"))
            continue;
        if (strchr(key, '.') != NULL) {
            rest_apply_dotted(obj, NULL, key, v);
            continue;
        }
        val = rest_apply_op(NULL, v);
        if (val != NULL && !json_is_null(val))
            json_object_set(obj, key, val);
        json_decref(val);
    }
    if (rest_apply_field_options(cls, obj, err))
        goto done;
    json_object_set_new(obj, "createdAt", json_string(now));
    json_object_set_new(obj, "updatedAt", json_string(now));
    /* A random id can collide with an existing one, if very rarely: a
     * fresh id is drawn on a duplicate key, a custom one is refused. */
    for (int attempt = 0; attempt < 5; attempt++) {
        if (custom_id != NULL) {
            snprintf(id, sizeof(id), "%s", "");
            json_object_set(obj, "objectId", custom_id);
        } else {
            if (util_random_id(id, REST_ID_LEN)) {
                perr_set(err, PERR_INTERNAL, NULL);
                goto done;
            }
            json_object_set_new(obj, "objectId", json_string(id));
        }
        users_default_acl(req, cls_name,
                          json_string_value(json_object_get(obj, "objectId")),
                          obj);
        rc = req->st->ops->insert(req->st, cls, obj, err);
        if (rc == 0 || custom_id != NULL || err->code != 137)
            break;
    }
    if (rc && err->code == 137 && strcmp(cls_name, "_User") == 0)
        rest_user_taken(req, body, err);
    if (rc)
        goto done;
    rc = -1;
    {
        const char *oid = json_string_value(json_object_get(obj, "objectId"));

        if (rest_apply_relations(req, cls_name, oid, body, err))
            goto done;
        resp = json_pack("{s:s, s:s}", "objectId", oid, "createdAt", now);
        if (users_after_create(req, cls_name, oid, body, resp, err)) {
            json_decref(resp);
            goto done;
        }
        json_object_foreach(body, key, v) {
            if (rest_op_echoes(v) && json_object_get(obj, key))
                json_object_set(resp, key, json_object_get(obj, key));
        }
        {
            sbuf_t loc;

            sbuf_init(&loc);
            if (strcmp(cls_name, "_User") == 0)
                sbuf_printf(&loc, "%s/users/%s", req->cfg->server_url, oid);
            else
                sbuf_printf(&loc, "%s/classes/%s/%s", req->cfg->server_url,
                            cls_name, oid);
            *location = sbuf_take(&loc);
        }
    }
    *out = resp;
    rc = 0;

done:
    json_decref(obj);
    schema_class_release(cls);
    rest_fields_cleanup(&fields);
    return rc;
}

/* The update callback: compute column changes from the stored object. */
static int
rest_update_changes(void *ctx, json_t *current, json_t **changes, perr_t *err)
{
    json_t *body = ctx;
    json_t *out = json_object();
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v) {
        json_t *val;

        if (!strcmp(key, "objectId") || !strcmp(key, "createdAt") ||
            !strcmp(key, "updatedAt"))
            continue;
        if (strchr(key, '.') != NULL) {
            rest_apply_dotted(out, current, key, v);
            continue;
        }
        val = rest_apply_op(json_object_get(current, key), v);
        if (val != NULL)
            json_object_set_new(out, key, val);
    }
    *changes = out;
    return 0;
}

int
rest_update(request_t *req, const char *cls_name, const char *id,
            json_t *body, json_t **out, perr_t *err)
{
    json_t *new_id = json_object_get(body, "objectId");
    schema_class_t *cls = NULL;
    rest_fields_t fields = {0};
    json_t *result = NULL, *resp;
    char now[32];
    const char *key;
    json_t *v;
    int rc = -1;

    if (rest_check_write(req, cls_name, body, err) ||
        users_before_write(req, cls_name, id, body, err))
        return -1;
    if (new_id != NULL && !(json_is_string(new_id) &&
                            strcmp(json_string_value(new_id), id) == 0))
        return perr_set(err, PERR_CHANGED_IMMUTABLE_FIELD,
                        "objectId is immutable and cannot be changed.");
    if (rest_lookup(cls_name, &cls, err))
        return -1;
    if (cls == NULL)
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    if (rest_clp_object(req, cls, "update", id, err) ||
        rest_check_body(req, body, &fields, err) ||
        rest_ensure_schema(req, cls_name, &cls, &fields, err))
        goto done;
    util_format_iso(util_now_ms(), now);
    if (req->st->ops->update(req->st, cls, id, req->auth.acl_ids, now,
                             rest_update_changes, body, &result, err)) {
        if (err->code == 137 && strcmp(cls_name, "_User") == 0)
            rest_user_taken(req, body, err);
        goto done;
    }
    if (rest_apply_relations(req, cls_name, id, body, err))
        goto done;
    resp = json_pack("{s:s}", "updatedAt", now);
    users_after_update(req, cls_name, id, body, resp);
    json_object_foreach(body, key, v) {
        if (rest_op_echoes(v) && json_object_get(result, key))
            json_object_set(resp, key, json_object_get(result, key));
    }
    *out = resp;
    rc = 0;

done:
    json_decref(result);
    schema_class_release(cls);
    rest_fields_cleanup(&fields);
    return rc;
}

int
rest_delete(request_t *req, const char *cls_name, const char *id, perr_t *err)
{
    schema_class_t *cls;
    int rc;

    if (schema_check_class_name(cls_name, err))
        return -1;
    if (req->auth.read_only)
        return perr_set(err, PERR_OPERATION_FORBIDDEN,
                        "read-only masterKey isn't allowed to perform the "
                        "delete operation.");
    if (users_before_delete(req, cls_name, id, err))
        return -1;
    if (rest_lookup(cls_name, &cls, err))
        return -1;
    if (cls == NULL)
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    rc = rest_clp_object(req, cls, "delete", id, err);
    if (rc == 0)
        rc = req->st->ops->remove(req->st, cls, id, req->auth.acl_ids, err);
    schema_class_release(cls);
    if (rc == 0)
        users_after_delete(req, cls_name, id);
    return rc;
}

/* ------------------------------------------------------------ reads */

/* Keep only the selected keys (and the ones parse-server always keeps). */
static void
rest_apply_keys(json_t *obj, char **keys, size_t nkeys)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(obj, tmp, key, v) {
        bool keep = schema_is_default_field(key);

        for (size_t i = 0; i < nkeys && !keep; i++) {
            size_t n = strlen(key);

            /* "a.b" selects a; the part below is the include's business */
            keep = (strncmp(keys[i], key, n) == 0 &&
                    (keys[i][n] == '\0' || keys[i][n] == '.')) ||
                   (strcmp(keys[i], "$score") == 0 && strcmp(key, "score") == 0);
        }
        if (!keep)
            json_object_del(obj, key);
    }
}

/* Collect pointers held at field in each object (directly or in an array). */
static void
rest_collect_pointers(json_t *objects, const char *field, json_t *by_class)
{
    json_t *obj;
    size_t i;

    json_array_foreach(objects, i, obj) {
        json_t *v = json_object_get(obj, field);
        json_t *list = json_is_array(v) ? v : NULL;
        json_t *p;
        size_t k;

        if (list == NULL && v != NULL) {
            list = json_pack("[O]", v);
        } else if (list != NULL) {
            json_incref(list);
        } else {
            continue;
        }
        json_array_foreach(list, k, p) {
            const char *cls = json_string_value(json_object_get(p, "className"));
            json_t *oid = json_object_get(p, "objectId");
            json_t *ids;

            if (!ptype_is(p, "Pointer") || cls == NULL || !json_is_string(oid))
                continue;
            ids = json_object_get(by_class, cls);
            if (ids == NULL) {
                ids = json_array();
                json_object_set_new(by_class, cls, ids);
            }
            json_array_append(ids, oid);
        }
        json_decref(list);
    }
}

/* What keys and excludeKeys ask of objects included at a path. */
typedef struct {
    char **keys;        /* the query's keys list, or NULL */
    size_t nkeys;
    char **excl;        /* the query's excludeKeys list, or NULL */
    size_t nexcl;
} rest_shape_t;

/*
 * Shape an object included at prefix ("a" or "a.b"): keys "a.x" keep only
 * x (and what is always kept), excludeKeys "a.x" drop x.
 */
static void
rest_shape_included(json_t *obj, const char *prefix, const rest_shape_t *sh)
{
    size_t plen = strlen(prefix);
    char **sub = NULL;
    size_t nsub = 0;

    for (size_t i = 0; i < sh->nkeys; i++) {
        const char *k = sh->keys[i];

        if (strncmp(k, prefix, plen) == 0 && k[plen] == '.') {
            sub = realloc(sub, (nsub + 1) * sizeof(char *));
            sub[nsub++] = (char *)k + plen + 1;
        }
    }
    if (nsub > 0)
        rest_apply_keys(obj, sub, nsub);
    free(sub);
    for (size_t i = 0; i < sh->nexcl; i++) {
        const char *k = sh->excl[i];

        if (strncmp(k, prefix, plen) == 0 && k[plen] == '.' &&
            strchr(k + plen + 1, '.') == NULL)
            json_object_del(obj, k + plen + 1);
    }
}

/* Fetch the objects of class cls with the given ids that the caller can
 * read, as a map objectId -> object (each marked __type Object) shaped
 * for the include path prefix. */
static int
rest_fetch_map(request_t *req, const char *cls_name, json_t *ids,
               json_t *map, const char *prefix, const rest_shape_t *sh,
               perr_t *err)
{
    schema_class_t *cls = schema_cache_get(cls_name);
    json_t *where, *results = NULL, *obj;
    query_t q;
    size_t i;
    int rc;

    if (cls == NULL)
        return 0;
    where = json_pack("{s:{s:O}}", "objectId", "$in", ids);
    rc = query_parse(&q, cls, where, NULL, NULL, NULL, err);
    json_decref(where);
    if (rc) {
        schema_class_release(cls);
        return -1;
    }
    q.limit = (long long)json_array_size(ids);
    q.read_ids = req->auth.acl_ids;
    rc = req->st->ops->find(req->st, cls, &q, &results, err);
    query_cleanup(&q);
    if (rc) {
        schema_class_release(cls);
        return -1;
    }
    json_array_foreach(results, i, obj) {
        users_sanitize(req, cls_name, obj);
        clp_hide_fields(cls, &req->auth, obj);
        rest_shape_included(obj, prefix, sh);
        json_object_set_new(obj, "__type", json_string("Object"));
        json_object_set_new(obj, "className", json_string(cls_name));
        json_object_set(map, json_string_value(json_object_get(obj, "objectId")),
                        obj);
    }
    json_decref(results);
    schema_class_release(cls);
    return 0;
}

/* Replace pointers at field with the fetched objects; pointers to objects
 * that are missing or unreadable stay pointers, as in parse-server. */
static void
rest_replace_pointers(json_t *objects, const char *field, json_t *fetched,
                      json_t *next_level)
{
    json_t *obj;
    size_t i;

    json_array_foreach(objects, i, obj) {
        json_t *v = json_object_get(obj, field);

        if (json_is_array(v)) {
            json_t *p;
            size_t k;

            json_array_foreach(v, k, p) {
                const char *cls = json_string_value(json_object_get(p, "className"));
                const char *oid = json_string_value(json_object_get(p, "objectId"));
                json_t *full;

                if (!ptype_is(p, "Pointer") || !cls || !oid)
                    continue;
                full = json_object_get(json_object_get(fetched, cls), oid);
                if (full != NULL) {
                    json_array_set(v, k, full);
                    json_array_append(next_level, full);
                } else {
                    /* and drops missing objects from arrays */
                    json_array_remove(v, k);
                    k--;
                }
            }
        } else if (json_is_object(v) && json_object_get(v, "__type") == NULL) {
            /* A plain Object field: the path goes on inside it. */
            json_array_append(next_level, v);
        } else if (ptype_is(v, "Pointer")) {
            const char *cls = json_string_value(json_object_get(v, "className"));
            const char *oid = json_string_value(json_object_get(v, "objectId"));
            json_t *full = cls && oid ? json_object_get(
                                            json_object_get(fetched, cls), oid)
                                      : NULL;

            if (full != NULL) {
                json_object_set(obj, field, full);
                json_array_append(next_level, full);
            } else {
                /* Gone or unreadable: parse-server drops the field. */
                json_object_del(obj, field);
            }
        }
    }
}

/* Expand one include path through the objects; path + at is the part
 * still to expand, path itself the whole ("a.b.c"). */
static int
rest_include_path(request_t *req, json_t *objects, const char *path,
                  size_t at, const rest_shape_t *sh, int depth, perr_t *err)
{
    const char *dot = strchr(path + at, '.');
    size_t end = dot ? (size_t)(dot - path) : strlen(path);
    char field[256], prefix[1024];
    json_t *by_class, *fetched, *next, *ids;
    const char *cls;
    int rc = 0;

    if (depth > REST_INCLUDE_DEPTH || json_array_size(objects) == 0 ||
        end - at >= sizeof(field) || end >= sizeof(prefix))
        return 0;
    snprintf(field, sizeof(field), "%.*s", (int)(end - at), path + at);
    snprintf(prefix, sizeof(prefix), "%.*s", (int)end, path);
    by_class = json_object();
    fetched = json_object();
    next = json_array();
    rest_collect_pointers(objects, field, by_class);
    json_object_foreach(by_class, cls, ids) {
        json_t *map = json_object();

        json_object_set_new(fetched, cls, map);
        if (rest_fetch_map(req, cls, ids, map, prefix, sh, err)) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        rest_replace_pointers(objects, field, fetched, next);
        if (dot != NULL)
            rc = rest_include_path(req, next, path, end + 1, sh, depth + 1, err);
    }
    json_decref(by_class);
    json_decref(fetched);
    json_decref(next);
    return rc;
}

/* Add path to the list unless it is there already. */
static void
rest_add_path(char ***list, size_t *n, const char *path, size_t len)
{
    for (size_t i = 0; i < *n; i++) {
        if (strlen((*list)[i]) == len && strncmp((*list)[i], path, len) == 0)
            return;
    }
    *list = realloc(*list, (*n + 1) * sizeof(char *));
    (*list)[(*n)++] = strndup(path, len);
}

/*
 * Expand pointers: the include paths, "*" (every Pointer and Array field
 * of the class), and the parents of dotted keys and excludeKeys ("a.b"
 * needs a included), as parse-server does.
 */
static int
rest_include(request_t *req, const schema_class_t *cls, json_t *results,
             const query_t *q, const rest_shape_t *sh, perr_t *err)
{
    char **paths = NULL;
    size_t n = 0;
    int rc = 0;

    for (size_t i = 0; i < q->ninclude; i++) {
        if (strcmp(q->include[i], "*") != 0) {
            rest_add_path(&paths, &n, q->include[i], strlen(q->include[i]));
            continue;
        }
        for (size_t f = 0; f < cls->nfields; f++) {
            if (cls->fields[f].type == PT_POINTER ||
                cls->fields[f].type == PT_ARRAY)
                rest_add_path(&paths, &n, cls->fields[f].name,
                              strlen(cls->fields[f].name));
        }
    }
    for (size_t i = 0; i < sh->nkeys + sh->nexcl; i++) {
        const char *k = i < sh->nkeys ? sh->keys[i] : sh->excl[i - sh->nkeys];
        const char *last = strrchr(k, '.');

        if (last != NULL)
            rest_add_path(&paths, &n, k, (size_t)(last - k));
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = rest_include_path(req, results, paths[i], 0, sh, 0, err);
    query_free_list(paths, n);
    return rc;
}

/* A limit or skip parameter as parse-server reads it: Number(value). */
static int
rest_param_count(json_t *v, long long *out)
{
    double d;

    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return *out < 0 ? -1 : 0;
    }
    if (json_is_real(v)) {
        d = json_real_value(v);
    } else if (json_is_string(v)) {
        long long n;

        if (util_parse_int(json_string_value(v), &n) || n < 0)
            return -1;
        *out = n;
        return 0;
    } else {
        return -1;
    }
    if (d < 0 || d != floor(d) || d > 9e15)
        return -1;
    *out = (long long)d;
    return 0;
}

static const char *const rest_find_params[] = {
    "skip", "limit", "order", "count", "keys", "excludeKeys", "include",
    "includeAll", "redirectClassNameForKey", "where", "readPreference",
    "includeReadPreference", "subqueryReadPreference", "hint", "explain",
    "comment", NULL};

static bool
rest_is_truthy(json_t *v)
{
    if (v == NULL || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_number(v))
        return json_number_value(v) != 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    return true;
}

/* A parameter as String(value), or NULL when absent. */
static char *
rest_param_string(json_t *params, const char *name)
{
    json_t *v = json_object_get(params, name);

    if (v == NULL || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_array(v)) {
        /* An array of names, as some clients send keys and include. */
        sbuf_t sb;
        json_t *el;
        size_t i;

        sbuf_init(&sb);
        json_array_foreach(v, i, el) {
            if (json_is_string(el)) {
                if (sb.len)
                    sbuf_append(&sb, ",");
                sbuf_append(&sb, json_string_value(el));
            }
        }
        return sbuf_take(&sb);
    }
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* Read and check limit, skip and count. */
static int
rest_find_paging(request_t *req, json_t *params, query_t *q, perr_t *err)
{
    json_t *lim = json_object_get(params, "limit");
    json_t *skip = json_object_get(params, "skip");

    q->limit = REST_DEFAULT_LIMIT;
    if (lim != NULL && !json_is_null(lim) &&
        rest_param_count(lim, &q->limit))
        return perr_set(err, PERR_INVALID_LIMIT,
                        "Invalid limit: must be a non-negative integer.");
    if (req->cfg->max_limit > 0 && q->limit > req->cfg->max_limit)
        q->limit = req->cfg->max_limit;
    if (skip != NULL && !json_is_null(skip) && rest_param_count(skip, &q->skip))
        return perr_set(err, PERR_INVALID_SKIP,
                        "Invalid skip: must be a non-negative integer.");
    q->count = rest_is_truthy(json_object_get(params, "count"));
    return 0;
}

static int
rest_check_find_params(json_t *params, perr_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach(params, key, v) {
        bool ok = false;

        for (size_t i = 0; rest_find_params[i] && !ok; i++)
            ok = strcmp(key, rest_find_params[i]) == 0;
        if (!ok)
            return perr_set(err, PERR_INVALID_QUERY,
                            "Invalid parameter for query: %.100s", key);
    }
    return 0;
}

/* Drop top-level fields named in excludeKeys from each result; the id
 * and timestamps stay, as in parse-server. */
static void
rest_exclude_keys(json_t *results, const rest_shape_t *sh)
{
    json_t *obj;
    size_t i;

    json_array_foreach(results, i, obj) {
        for (size_t k = 0; k < sh->nexcl; k++) {
            const char *name = sh->excl[k];

            if (strchr(name, '.') == NULL && strcmp(name, "objectId") &&
                strcmp(name, "createdAt") && strcmp(name, "updatedAt"))
                json_object_del(obj, name);
        }
    }
}

/* Run q on cls and shape the results (keys, include). */
static int
rest_run_query(request_t *req, schema_class_t *cls, query_t *q,
               const rest_shape_t *shape, json_t **results, long long *count,
               perr_t *err)
{
    json_t *obj;
    size_t i;

    q->read_ids = req->auth.acl_ids;
    *results = NULL;
    if (q->limit > 0 &&
        req->st->ops->find(req->st, cls, q, results, err))
        return -1;
    if (*results == NULL)
        *results = json_array();
    if (q->count && req->st->ops->count(req->st, cls, q, count, err)) {
        json_decref(*results);
        return -1;
    }
    if (rest_include(req, cls, *results, q, shape, err)) {
        json_decref(*results);
        return -1;
    }
    json_array_foreach(*results, i, obj) {
        users_sanitize(req, cls->name, obj);
        clp_hide_fields(cls, &req->auth, obj);
        if (q->keys != NULL)
            rest_apply_keys(obj, q->keys, q->nkeys);
    }
    return 0;
}

/* Run a parsed query with the keys/excludeKeys shaping of params. */
static int
rest_run_shaped(request_t *req, schema_class_t *cls, query_t *q,
                json_t *params, json_t **results, long long *count,
                perr_t *err)
{
    char *excl = rest_param_string(params, "excludeKeys");
    rest_shape_t shape = {q->keys, q->nkeys, NULL, 0};
    int rc;

    if (excl != NULL)
        shape.excl = query_split_list(excl, &shape.nexcl);
    free(excl);
    rc = rest_run_query(req, cls, q, &shape, results, count, err);
    if (rc == 0)
        rest_exclude_keys(*results, &shape);
    query_free_list(shape.excl, shape.nexcl);
    return rc;
}

int
rest_find(request_t *req, const char *cls_name, json_t *params, json_t **out,
          perr_t *err)
{
    json_t *where = json_object_get(params, "where");
    json_t *parsed = NULL, *results;
    char *order = NULL, *keys = NULL, *include = NULL;
    schema_class_t *cls;
    long long count = 0;
    query_t q;
    int rc = -1;

    if (schema_check_class_name(cls_name, err) ||
        rest_check_find_params(params, err))
        return -1;
    /* explain is accepted (SQLite has no plan worth returning to a client)
     * but, as in parse-server, only with the master key. */
    if (rest_is_truthy(json_object_get(params, "explain")) && !req->auth.master)
        return perr_set(err, PERR_INVALID_QUERY,
                        "Using the explain query parameter requires the "
                        "master key");
    if (json_is_string(where)) {
        parsed = json_loads(json_string_value(where), JSON_DECODE_ANY, NULL);
        if (parsed == NULL)
            return perr_set(err, PERR_INVALID_JSON,
                            "where parameter is not valid JSON");
        where = parsed;
    }
    {
        json_t *before = where;

        if (users_restrict_query(req, cls_name, &where, err)) {
            json_decref(parsed);
            return -1;
        }
        if (where != before) {
            json_decref(parsed);  /* now held by the restricted where */
            parsed = where;
        }
    }
    if (rest_lookup(cls_name, &cls, err)) {
        json_decref(parsed);
        return -1;
    }
    order = rest_param_string(params, "order");
    keys = rest_param_string(params, "keys");
    include = rest_param_string(params, "include");
    if (rest_is_truthy(json_object_get(params, "includeAll"))) {
        sbuf_t all;

        sbuf_init(&all);
        sbuf_printf(&all, "%s%s*", include ? include : "", include ? "," : "");
        free(include);
        include = sbuf_take(&all);
    }
    /* An unknown class is parsed against an empty one, so a malformed
     * query is refused the same way whether or not the class exists. */
    {
        schema_class_t *empty = cls ? NULL : schema_class_create(cls_name);

        rc = query_parse(&q, cls ? cls : empty, where, order, keys, include,
                         err);
        schema_class_release(empty);
    }
    if (rc)
        goto done;
    rc = rest_find_paging(req, params, &q, err);
    /* Counting alone needs "count"; finding needs "find" (and "count"
     * too when both are asked for). */
    if (rc == 0 && cls != NULL && !(q.count && q.limit == 0))
        rc = rest_clp_query(req, cls, "find", &q, err);
    if (rc == 0 && cls != NULL && q.count)
        rc = rest_clp_query(req, cls, "count", &q, err);
    if (rc == 0 && cls == NULL) {
        *out = json_pack("{s:[]}", "results");
        if (q.count)
            json_object_set_new(*out, "count", json_integer(0));
    } else if (rc == 0) {
        rc = rest_run_shaped(req, cls, &q, params, &results, &count, err);
        if (rc == 0) {
            *out = json_pack("{s:o}", "results", results);
            if (q.count)
                json_object_set_new(*out, "count", json_integer(count));
        }
    }
    query_cleanup(&q);

done:
    json_decref(parsed);
    free(order);
    free(keys);
    free(include);
    schema_class_release(cls);
    return rc;
}

int
rest_get(request_t *req, const char *cls_name, const char *id, json_t *params,
         json_t **out, perr_t *err)
{
    static const char *const allowed[] = {
        "keys", "include", "excludeKeys", "readPreference",
        "includeReadPreference", "subqueryReadPreference", NULL};
    char *keys, *include;
    schema_class_t *cls;
    json_t *where, *results = NULL;
    const char *key;
    json_t *v;
    long long count;
    query_t q;
    int rc;

    if (schema_check_class_name(cls_name, err))
        return -1;
    json_object_foreach(params, key, v) {
        bool ok = false;

        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok)
            return perr_set(err, PERR_INVALID_QUERY,
                            "Improper encode of parameter");
    }
    if (rest_lookup(cls_name, &cls, err))
        return -1;
    if (cls == NULL)
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    keys = rest_param_string(params, "keys");
    include = rest_param_string(params, "include");
    where = json_pack("{s:s}", "objectId", id);
    {
        json_t *own = where;

        /* The restricted where (if any) is a new reference of its own. */
        rc = users_restrict_query(req, cls_name, &where, err);
        if (where != own)
            json_decref(own);
    }
    if (rc == 0)
        rc = query_parse(&q, cls, where, NULL, keys, include, err);
    json_decref(where);
    if (rc == 0 && rest_clp_query(req, cls, "get", &q, err)) {
        query_cleanup(&q);
        rc = -1;
    }
    free(keys);
    free(include);
    if (rc == 0) {
        q.limit = 1;
        rc = rest_run_shaped(req, cls, &q, params, &results, &count, err);
        query_cleanup(&q);
    }
    schema_class_release(cls);
    if (rc)
        return -1;
    if (json_array_size(results) == 0) {
        json_decref(results);
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
    }
    *out = json_incref(json_array_get(results, 0));
    json_decref(results);
    users_after_get(req, cls_name, *out);
    return 0;
}

/* The pipeline of an aggregate request, as parse-server reads it: the
 * "pipeline" parameter (an array, an object of stages, or JSON text), or
 * else the other parameters taken as stages. Returns a new array. */
static json_t *
rest_pipeline(json_t *params, perr_t *err)
{
    static const char *const options[] = {
        "distinct", "where", "hint", "explain", "comment", "readPreference",
        "rawValues", "rawFieldNames", NULL};
    json_t *p = json_object_get(params, "pipeline");
    json_t *stages = json_array();
    json_t *src = p ? p : params;
    const char *key;
    json_t *v;

    if (json_is_array(src)) {
        json_array_extend(stages, src);
        return stages;
    }
    if (!json_is_object(src)) {
        json_decref(stages);
        perr_set(err, PERR_INVALID_QUERY, "pipeline must be an array");
        return NULL;
    }
    json_object_foreach(src, key, v) {
        bool skip = false;

        for (size_t i = 0; options[i] && !skip && p == NULL; i++)
            skip = strcmp(key, options[i]) == 0;
        if (!skip)
            json_array_append_new(stages, json_pack("{s:O}", key, v));
    }
    return stages;
}

int
rest_aggregate(request_t *req, const char *cls_name, json_t *params,
               json_t **out, perr_t *err)
{
    json_t *where = json_object_get(params, "where");
    json_t *distinct = json_object_get(params, "distinct");
    json_t *parsed = NULL, *pipeline = NULL, *docs = NULL, *results;
    schema_class_t *cls = NULL;
    query_t q;
    int rc = -1;

    if (schema_check_class_name(cls_name, err))
        return -1;
    if (json_is_string(json_object_get(params, "pipeline"))) {
        json_t *p = json_loads(json_string_value(json_object_get(params,
                                                                 "pipeline")),
                               JSON_DECODE_ANY, NULL);

        if (p == NULL)
            return perr_set(err, PERR_INVALID_JSON,
                            "pipeline parameter is not valid JSON");
        json_object_set_new(params, "pipeline", p);
    }
    if (json_is_string(where)) {
        parsed = json_loads(json_string_value(where), JSON_DECODE_ANY, NULL);
        if (parsed == NULL)
            return perr_set(err, PERR_INVALID_JSON,
                            "where parameter is not valid JSON");
        where = parsed;
    }
    if (distinct != NULL && !json_is_string(distinct)) {
        perr_set(err, PERR_INVALID_QUERY, "distinct must be a field name");
        goto done;
    }
    if (distinct == NULL) {
        pipeline = rest_pipeline(params, err);
        if (pipeline == NULL || aggregate_check(pipeline, err))
            goto done;
    }
    if (rest_lookup(cls_name, &cls, err))
        goto done;
    if (cls == NULL) {
        *out = json_pack("{s:[]}", "results");
        rc = 0;
        goto done;
    }
    if (query_parse(&q, cls, where, NULL, NULL, NULL, err))
        goto done;
    q.read_ids = req->auth.acl_ids;
    rc = req->st->ops->find(req->st, cls, &q, &docs, err);
    query_cleanup(&q);
    if (rc)
        goto done;
    {
        /* Internal fields (password hashes, tokens) never reach a pipeline
         * or its answer. */
        json_t *doc;
        size_t i;

        json_array_foreach(docs, i, doc)
            users_sanitize(req, cls_name, doc);
    }
    if (distinct != NULL) {
        results = aggregate_distinct(docs, json_string_value(distinct));
        json_decref(docs);
    } else {
        rc = aggregate_run(docs, pipeline, &results, err);
        if (rc)
            goto done;
    }
    *out = json_pack("{s:o}", "results", results);

done:
    json_decref(parsed);
    json_decref(pipeline);
    schema_class_release(cls);
    return rc;
}
