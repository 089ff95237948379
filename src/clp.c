/* SPDX-License-Identifier: MIT */
/*
 * clp.c - class-level permission checks (see clp.h), with parse-server's
 * rules: "*" lets everyone in; requiresAuthentication lets in any logged-in
 * user; a user id or "role:Name" lets in that caller; pointerFields,
 * readUserFields and writeUserFields let a user reach the objects whose
 * named pointer field points at them. Refusals are 119, including the
 * requiresAuthentication case where parse-server answers 101.
 */
#include "clp.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static bool
clp_is_read(const char *op)
{
    return !strcmp(op, "get") || !strcmp(op, "find") || !strcmp(op, "count");
}

/* The pointer fields that grant op, from the op's own pointerFields and
 * read/writeUserFields; a new array. */
static json_t *
clp_pointer_fields(json_t *clp, json_t *perms, const char *op)
{
    json_t *out = json_array();
    json_t *list[2] = {
        json_object_get(perms, "pointerFields"),
        json_object_get(clp, clp_is_read(op) ? "readUserFields"
                             : (!strcmp(op, "update") || !strcmp(op, "delete"))
                                 ? "writeUserFields"
                                 : "")};

    for (size_t k = 0; k < 2; k++) {
        json_t *f;
        size_t i;

        json_array_foreach(list[k], i, f) {
            if (json_is_string(f))
                json_array_append(out, f);
        }
    }
    return out;
}

int
clp_check(const schema_class_t *cls, const char *op,
          const request_auth_t *auth, json_t **pointer_where, perr_t *err)
{
    json_t *perms = json_object_get(cls->clp, op);
    json_t *fields, *f, *ors;
    size_t i;

    *pointer_where = NULL;
    if (auth->master)
        return 0;
    /* An operation the permissions do not mention is open. */
    if (!json_is_object(perms) || json_is_true(json_object_get(perms, "*")))
        return 0;
    if (json_is_true(json_object_get(perms, "requiresAuthentication"))) {
        if (auth->user_id == NULL)
            return perr_set(err, PERR_OPERATION_FORBIDDEN,
                            "Permission denied, user needs to be "
                            "authenticated.");
        return 0;
    }
    for (const char *const *id = auth->acl_ids; id && *id; id++) {
        if (json_is_true(json_object_get(perms, *id)))
            return 0;
    }
    fields = clp_pointer_fields(cls->clp, perms, op);
    if (json_array_size(fields) == 0) {
        json_decref(fields);
        return perr_set(err, PERR_OPERATION_FORBIDDEN,
                        "Permission denied for action %s on class %s.", op,
                        cls->name);
    }
    if (auth->user_id == NULL) {
        /* Pointer permissions with nobody logged in reach no object: the
         * caller sees nothing rather than a refusal, as in parse-server. */
        json_decref(fields);
        *pointer_where = json_pack("{s:{s:[]}}", "objectId", "$in");
        return 0;
    }
    ors = json_array();
    json_array_foreach(fields, i, f) {
        json_array_append_new(
            ors, json_pack("{s:{s:s, s:s, s:s}}", json_string_value(f),
                           "__type", "Pointer", "className", "_User",
                           "objectId", auth->user_id));
    }
    json_decref(fields);
    *pointer_where = json_pack("{s:o}", "$or", ors);
    return 0;
}

/* User ids, "role:Name", "*", "requiresAuthentication", "pointerFields". */
static bool
clp_valid_entity(const char *k)
{
    if (!strcmp(k, "*") || !strcmp(k, "requiresAuthentication") ||
        !strncmp(k, "role:", 5))
        return true;
    if (*k == '\0')
        return false;
    for (const char *p = k; *p; p++) {
        if (!isalnum((unsigned char)*p))
            return false;
    }
    return true;
}

static int
clp_validate_op(const char *op, json_t *perms, perr_t *err)
{
    const char *k;
    json_t *v;

    if (!json_is_object(perms))
        return perr_set(err, PERR_INVALID_JSON,
                        "'%s' is not a valid value for class level "
                        "permissions", op);
    json_object_foreach(perms, k, v) {
        if (!strcmp(k, "pointerFields")) {
            if (!json_is_array(v))
                return perr_set(err, PERR_INVALID_JSON,
                                "pointerFields of %s must be an array", op);
            continue;
        }
        if (!clp_valid_entity(k))
            return perr_set(err, PERR_INVALID_JSON,
                            "'%.64s' is not a valid key for class level "
                            "permissions", k);
        if (!json_is_true(v))
            return perr_set(err, PERR_INVALID_JSON,
                            "'%.64s' is not a valid value for class level "
                            "permissions %s:%.64s", k, op, k);
    }
    return 0;
}

int
clp_validate(json_t *clp, perr_t *err)
{
    static const char *const ops[] = {
        "get", "find", "count", "create", "update", "delete", "addField",
        NULL};
    const char *op;
    json_t *v;

    if (!json_is_object(clp))
        return perr_set(err, PERR_INVALID_JSON,
                        "classLevelPermissions must be an object");
    json_object_foreach(clp, op, v) {
        bool known = false;

        for (size_t i = 0; ops[i] && !known; i++)
            known = strcmp(op, ops[i]) == 0;
        if (known) {
            if (clp_validate_op(op, v, err))
                return -1;
        } else if (!strcmp(op, "readUserFields") ||
                   !strcmp(op, "writeUserFields")) {
            if (!json_is_array(v))
                return perr_set(err, PERR_INVALID_JSON,
                                "%s must be an array of field names", op);
        } else if (!strcmp(op, "protectedFields")) {
            const char *who;
            json_t *list;

            if (!json_is_object(v))
                return perr_set(err, PERR_INVALID_JSON,
                                "protectedFields must be an object");
            json_object_foreach(v, who, list) {
                if (!json_is_array(list))
                    return perr_set(err, PERR_INVALID_JSON,
                                    "protectedFields of %.64s must be an "
                                    "array", who);
            }
        } else {
            return perr_set(err, PERR_INVALID_JSON,
                            "%.64s is not a valid operation for class level "
                            "permissions", op);
        }
    }
    return 0;
}

static bool
clp_list_has(json_t *list, const char *name)
{
    json_t *v;
    size_t i;

    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

void
clp_hide_fields(const schema_class_t *cls, const request_auth_t *auth,
                json_t *obj)
{
    json_t *pf = json_object_get(cls->clp, "protectedFields");
    json_t *lists[64];
    size_t n = 0;
    const char *key;
    json_t *v;
    void *tmp;

    if (auth->master || !json_is_object(pf))
        return;
    /* A caller matching several entries sees what any of them shows:
     * only the fields every matching entry protects stay hidden. */
    for (const char *const *id = auth->acl_ids; id && *id && n < 64; id++) {
        json_t *list = json_object_get(pf, *id);

        if (json_is_array(list))
            lists[n++] = list;
    }
    if (n == 0)
        return;
    json_object_foreach_safe(obj, tmp, key, v) {
        bool hidden = true;

        for (size_t i = 0; i < n && hidden; i++)
            hidden = clp_list_has(lists[i], key);
        if (hidden && !schema_is_default_field(key))
            json_object_del(obj, key);
    }
}
