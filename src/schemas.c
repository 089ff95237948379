/* SPDX-License-Identifier: MIT */
/*
 * schemas.c - the Schemas API (master key only): list, read, create,
 * change and drop classes, their fields (with required and defaultValue)
 * and class-level permissions, and /purge to empty a class. Answers as
 * parse-server does, with its codes (103 for a missing or existing class,
 * 255 for a field or class that cannot be changed or dropped).
 */
#include <stdlib.h>
#include <string.h>

#include "clp.h"
#include "handlers.h"
#include "schema.h"
#include "session.h"
#include "storage.h"

static int
schemas_require_master(request_t *req)
{
    /* The read-only master key may read schemas but change nothing. */
    if (req->auth.read_only && strcmp(req->method, "GET") != 0) {
        perr_set(&req->err, PERR_OPERATION_FORBIDDEN,
                 "read-only masterKey isn't allowed to change schemas.");
        return request_fail(req);
    }
    if (req->auth.master)
        return 0;
    perr_set_code(&req->err, 119, 403, "unauthorized: master key is required");
    return request_fail(req);
}

/* A class as the API shows it: without internal fields. */
static json_t *
schemas_public_json(const schema_class_t *cls)
{
    json_t *doc = schema_class_to_json(cls);
    json_t *fields = json_object_get(doc, "fields");
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(fields, tmp, key, v) {
        if (key[0] == '_')
            json_object_del(fields, key);
    }
    if (strcmp(cls->name, "_User") == 0)
        json_object_set_new(fields, "password", json_pack("{s:s}", "type",
                                                          "String"));
    /* Indexes show once any is set, as parse-server shows them. */
    if (json_object_size(json_object_get(doc, "indexes")) == 0)
        json_object_del(doc, "indexes");
    return doc;
}

int
handlers_schemas_list(request_t *req)
{
    json_t *docs, *doc, *out;
    size_t i;

    if (schemas_require_master(req))
        return -1;
    if (req->st->ops->load_schemas(req->st, &docs, &req->err))
        return request_fail(req);
    out = json_array();
    json_array_foreach(docs, i, doc) {
        schema_class_t *cls = schema_class_from_json(doc);

        if (cls != NULL)
            json_array_append_new(out, schemas_public_json(cls));
        schema_class_release(cls);
    }
    json_decref(docs);
    return request_reply(req, 200, json_pack("{s:o}", "results", out));
}

int
handlers_schemas_get(request_t *req)
{
    schema_class_t *cls;
    json_t *doc;

    if (schemas_require_master(req))
        return -1;
    cls = schema_cache_get(req->route[0]);
    if (cls == NULL) {
        perr_set(&req->err, PERR_INVALID_CLASS_NAME, "Class %.120s does not "
                 "exist.", req->route[0]);
        return request_fail(req);
    }
    doc = schemas_public_json(cls);
    schema_class_release(cls);
    return request_reply(req, 200, doc);
}

/*
 * Read the "fields" of a create or change: fields to add (with their
 * options) into *add, names to delete into *del. 105, 111, 135 and 136 as
 * parse-server answers for bad names, types, targets and default fields.
 */
static int
schemas_read_fields(json_t *fields, schema_field_t **add, size_t *nadd,
                    json_t *opts, json_t *del, perr_t *err)
{
    const char *name;
    json_t *spec;

    *add = NULL;
    *nadd = 0;
    if (fields != NULL && !json_is_object(fields))
        return perr_set(err, PERR_INVALID_JSON, "fields must be an object");
    json_object_foreach(fields, name, spec) {
        const char *tname = json_string_value(json_object_get(spec, "type"));
        const char *target =
            json_string_value(json_object_get(spec, "targetClass"));
        const char *op = json_string_value(json_object_get(spec, "__op"));
        json_t *dv = json_object_get(spec, "defaultValue");
        json_t *req = json_object_get(spec, "required");
        ptype_t t;

        if (schema_is_default_field(name))
            return perr_set(err, PERR_CHANGED_IMMUTABLE_FIELD,
                            "field %s cannot be changed", name);
        if (schema_check_field_name(name, err))
            return -1;
        if (op != NULL && strcmp(op, "Delete") == 0) {
            json_array_append_new(del, json_string(name));
            continue;
        }
        t = tname ? ptype_from_name(tname) : PT_NONE;
        if (t == PT_NONE || t == PT_ACL)
            return perr_set(err, PERR_INCORRECT_TYPE, "invalid field type: %s",
                            tname ? tname : "(none)");
        if ((t == PT_POINTER || t == PT_RELATION) &&
            (target == NULL || schema_check_class_name(target, err)))
            return target ? -1 : perr_set_code(err, 135, 400,
                                               "type %s needs a class name",
                                               tname);
        if (dv != NULL) {
            ptype_t dt;
            const char *dc;

            if (ptype_of_value(dv, &dt, &dc, err))
                return -1;
            if (dt != t)
                return perr_set(err, PERR_INCORRECT_TYPE,
                                "schema mismatch for %s default value; "
                                "expected %s but got %s", name, tname,
                                ptype_name(dt));
        }
        if (dv != NULL || req != NULL) {
            json_t *o = json_object();

            if (req != NULL)
                json_object_set(o, "required", req);
            if (dv != NULL)
                json_object_set(o, "defaultValue", dv);
            json_object_set_new(opts, name, o);
        }
        *add = realloc(*add, (*nadd + 1) * sizeof(schema_field_t));
        (*add)[*nadd] = (schema_field_t){(char *)name, t, (char *)target, NULL};
        (*nadd)++;
    }
    return 0;
}

/* Apply fields, options and permissions to class name and answer with it.
 * creating: the class must not exist yet. */
static int
schemas_write(request_t *req, const char *name, bool creating)
{
    json_t *body = req->body ? req->body : json_object();
    json_t *clp = json_object_get(body, "classLevelPermissions");
    json_t *opts = json_object(), *del = json_array(), *v;
    schema_class_t *cls = schema_cache_get(name), *fresh = NULL;
    schema_field_t *add = NULL;
    size_t nadd = 0, i;
    perr_t *err = &req->err;
    int rc = -1;

    if (req->body == NULL)
        req->body = body;
    if (creating && cls != NULL) {
        perr_set(err, PERR_INVALID_CLASS_NAME, "Class %s already exists.", name);
        goto done;
    }
    if (!creating && cls == NULL) {
        perr_set(err, PERR_INVALID_CLASS_NAME, "Class %s does not exist.", name);
        goto done;
    }
    if ((clp != NULL && clp_validate(clp, err)) ||
        schemas_read_fields(json_object_get(body, "fields"), &add, &nadd, opts,
                            del, err))
        goto done;
    for (i = 0; cls != NULL && i < nadd; i++) {
        if (schema_field_find(cls, add[i].name) != NULL) {
            perr_set_code(err, 255, 400, "Field %s exists, cannot update.",
                          add[i].name);
            goto done;
        }
    }
    json_array_foreach(del, i, v) {
        if (req->st->ops->delete_field(req->st, name, json_string_value(v),
                                       &fresh, err))
            goto done;
        schema_cache_put(fresh);
        schema_class_release(fresh);
    }
    if (req->st->ops->ensure_fields(req->st, name, add, nadd, &fresh, err))
        goto done;
    schema_class_release(fresh);
    if (req->st->ops->set_class_options(req->st, name, clp, opts,
                                        json_object_get(body, "indexes"),
                                        &fresh, err))
        goto done;
    schema_cache_put(fresh);
    request_reply(req, 200, schemas_public_json(fresh));
    schema_class_release(fresh);
    rc = 0;

done:
    free(add);
    json_decref(opts);
    json_decref(del);
    schema_class_release(cls);
    return rc ? request_fail(req) : 0;
}

/* The class a create or change names: the path, the body, or both (which
 * must agree). */
static const char *
schemas_class_name(request_t *req)
{
    const char *body = json_string_value(json_object_get(req->body,
                                                         "className"));
    const char *path = req->route[0];

    if (path != NULL && body != NULL && strcmp(path, body) != 0) {
        perr_set(&req->err, PERR_INVALID_CLASS_NAME,
                 "Class name mismatch between %.120s and %.120s.", body, path);
        return NULL;
    }
    if (path == NULL && body == NULL) {
        perr_set(&req->err, PERR_INVALID_CLASS_NAME, "POST /schemas needs a "
                 "class name.");
        return NULL;
    }
    return path ? path : body;
}

/* POST creates a class, PUT changes one; both name it the same way. */
static int
schemas_create_or_update(request_t *req, bool creating)
{
    const char *name;

    if (schemas_require_master(req))
        return -1;
    name = schemas_class_name(req);
    if (name == NULL || schema_check_class_name(name, &req->err))
        return request_fail(req);
    return schemas_write(req, name, creating);
}

int
handlers_schemas_create(request_t *req)
{
    return schemas_create_or_update(req, true);
}

int
handlers_schemas_update(request_t *req)
{
    return schemas_create_or_update(req, false);
}

int
handlers_schemas_delete(request_t *req)
{
    const char *name = req->route[0];
    schema_class_t *cls;
    query_t q;
    long long n = 0;
    int rc;

    if (schemas_require_master(req))
        return -1;
    if (schema_check_class_name(name, &req->err))
        return request_fail(req);
    if (schema_is_system_class(name)) {
        perr_set_code(&req->err, 255, 400, "Class %s cannot be dropped.", name);
        return request_fail(req);
    }
    cls = schema_cache_get(name);
    if (cls == NULL)
        return request_reply(req, 200, json_object());
    rc = query_parse(&q, cls, NULL, NULL, NULL, NULL, &req->err);
    if (rc == 0) {
        rc = req->st->ops->count(req->st, cls, &q, &n, &req->err);
        query_cleanup(&q);
    }
    schema_class_release(cls);
    if (rc == 0 && n > 0)
        rc = perr_set_code(&req->err, 255, 400, "Class %s is not empty, "
                           "contains %lld objects, cannot drop schema.",
                           name, n);
    if (rc == 0)
        rc = req->st->ops->drop_class(req->st, name, &req->err);
    if (rc)
        return request_fail(req);
    schema_cache_remove(name);
    return request_reply(req, 200, json_object());
}

int
handlers_purge(request_t *req)
{
    const char *name = req->route[0];
    schema_class_t *cls;

    if (schemas_require_master(req))
        return -1;
    if (schema_check_class_name(name, &req->err))
        return request_fail(req);
    cls = schema_cache_get(name);
    if (cls != NULL && req->st->ops->purge(req->st, name, &req->err)) {
        schema_class_release(cls);
        return request_fail(req);
    }
    schema_class_release(cls);
    /* Emptied sessions or roles must not linger in the caches. */
    if (strcmp(name, "_Session") == 0 || strcmp(name, "_User") == 0)
        session_cache_cleanup();
    else if (strcmp(name, "_Role") == 0)
        session_roles_changed();
    return request_reply(req, 200, json_object());
}
