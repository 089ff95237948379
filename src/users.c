/* SPDX-License-Identifier: MIT */
/*
 * users.c - rules of _User, _Role and _Session, and the user and session
 * routes (see users.h). Matches parse-server's checks and messages, with
 * the seed's codes where ERRORS.md names them (135 and 139 for roles).
 */
#include "users.h"
#include "userflows.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "authprovider.h"
#include "log.h"
#include "password.h"
#include "rest.h"
#include "schema.h"
#include "session.h"
#include "util.h"

int
users_bootstrap(storage_t *st, perr_t *err)
{
    static const char *const classes[] = {"_User", "_Role", "_Session"};

    for (size_t i = 0; i < 3; i++) {
        schema_field_t fields[16];
        size_t n = schema_system_fields_of(classes[i], fields, 16);
        schema_class_t *cls;

        if (st->ops->ensure_fields(st, classes[i], fields, n, &cls, err))
            return -1;
        schema_cache_put(cls);
        schema_class_release(cls);
    }
    return 0;
}

static bool
users_is_self(request_t *req, const char *id)
{
    return req->auth.user_id != NULL && id != NULL &&
           strcmp(req->auth.user_id, id) == 0;
}

/* A plausible address: something@something.something, no spaces. */
static bool
users_email_ok(const char *s)
{
    const char *at = strchr(s, '@');

    if (at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return false;
    for (const char *p = s; *p; p++) {
        if (isspace((unsigned char)*p))
            return false;
    }
    return strchr(at + 1, '.') != NULL && at[1] != '.' &&
           s[strlen(s) - 1] != '.';
}

/* Is s a lowercase UUID (8-4-4-4-12 hex digits)? */
static bool
users_is_uuid(const char *s)
{
    static const int dash[] = {8, 13, 18, 23};
    size_t n = strlen(s);

    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool want_dash = i == (size_t)dash[0] || i == (size_t)dash[1] ||
                         i == (size_t)dash[2] || i == (size_t)dash[3];

        if (want_dash ? s[i] != '-'
                      : !(isdigit((unsigned char)s[i]) ||
                          (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/*
 * Check one provider's authData entry: "anonymous" is built in, others
 * must be configured (authprovider.h), else 252. The codes follow
 * ERRORS.md: an entry that is not an object 253, no id 250, an id that is
 * not a string or (anonymous) not a lowercase UUID 251.
 */
static int
users_check_provider(request_t *req, const char *provider, json_t *entry,
                     perr_t *err)
{
    json_t *pid = json_object_get(entry, "id");

    if (authprovider_check_enabled(req->cfg->auth, provider, err))
        return -1;
    if (!json_is_object(entry))
        return perr_set_code(err, 253, 400,
                             "authData.%s should be an object", provider);
    if (pid == NULL || json_is_null(pid))
        return perr_set_code(err, 250, 400, "authData.%s needs an id",
                             provider);
    if (!json_is_string(pid))
        return perr_set_code(err, 251, 400, "authData.%s.id must be a string",
                             provider);
    if (strcmp(provider, "anonymous") == 0 &&
        !users_is_uuid(json_string_value(pid)))
        return perr_set_code(err, 251, 400,
                             "Anonymous id is not a valid lowercase UUID.");
    return authprovider_validate(req->cfg->auth, provider, entry, err);
}

/* The user other than self whose authData.provider.id is pid, if any. */
static json_t *
users_find_linked(request_t *req, const char *provider, json_t *pid,
                  perr_t *err, int *failed)
{
    char path[300];
    json_t *where, *rows = NULL, *one = NULL;

    snprintf(path, sizeof(path), "authData.%s.id", provider);
    where = json_pack("{s:O}", path, pid);
    *failed = storage_find_where(req->st, "_User", where, &rows, err);
    json_decref(where);
    if (*failed == 0 && json_array_size(rows) > 0)
        one = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return one;
}

/*
 * Check a write's authData. On an update, link and unlink provider by
 * provider (rewritten as dotted keys so other providers stay), refusing
 * an id another user already holds (208).
 */
static int
users_take_auth_data(request_t *req, const char *id, json_t *body,
                     perr_t *err)
{
    json_t *auth = json_object_get(body, "authData");
    const char *provider;
    json_t *entry;
    json_t *dotted = json_object();

    if (!json_is_object(auth))
        return perr_set_code(err, 253, 400, "authData should be an object");
    json_object_foreach(auth, provider, entry) {
        json_t *other;
        char key[300];
        int failed;

        if (!util_is_valid_name(provider)) {
            json_decref(dotted);
            return perr_set_code(err, 252, 400,
                                 "This authentication method is unsupported.");
        }
        snprintf(key, sizeof(key), "authData.%s", provider);
        if (json_is_null(entry)) {
            json_object_set_new(dotted, key, json_pack("{s:s}", "__op",
                                                       "Delete"));
            continue;
        }
        if (users_check_provider(req, provider, entry, err)) {
            json_decref(dotted);
            return -1;
        }
        other = users_find_linked(req, provider, json_object_get(entry, "id"),
                                  err, &failed);
        if (failed || (other != NULL &&
                       (id == NULL ||
                        strcmp(json_string_value(json_object_get(other,
                                                                 "objectId")),
                               id) != 0))) {
            json_decref(other);
            json_decref(dotted);
            return failed ? -1
                          : perr_set_code(err, 208, 400,
                                          "this auth is already used");
        }
        json_decref(other);
        json_object_set(dotted, key, entry);
    }
    if (id != NULL) {
        json_object_del(body, "authData");
        json_object_update(body, dotted);
    }
    json_decref(dotted);
    return 0;
}

/* Does the stored email of user id differ from email? */
static bool
users_email_changed(request_t *req, const char *id, const char *email)
{
    json_t *where = json_pack("{s:s}", "objectId", id), *rows = NULL;
    const char *have;
    bool changed = true;
    perr_t ignored;

    if (storage_find_where(req->st, "_User", where, &rows, &ignored) == 0) {
        have = json_string_value(json_object_get(json_array_get(rows, 0),
                                                 "email"));
        changed = have == NULL || strcmp(have, email) != 0;
    }
    json_decref(where);
    json_decref(rows);
    return changed;
}

static int
users_check_user(request_t *req, const char *id, json_t *body, perr_t *err)
{
    json_t *username = json_object_get(body, "username");
    json_t *password = json_object_get(body, "password");
    json_t *email = json_object_get(body, "email");

    if (id != NULL && !req->auth.master && !users_is_self(req, id))
        return perr_set_code(err, 206, 400, "Cannot modify user %s.", id);
    if (json_object_get(body, "emailVerified") != NULL && !req->auth.master)
        return perr_set(err, PERR_OPERATION_FORBIDDEN,
                        "Clients aren't allowed to manually update email "
                        "verification.");
    if (json_object_get(body, "authData") != NULL &&
        users_take_auth_data(req, id, body, err))
        return -1;
    if (id == NULL && json_object_get(body, "authData") != NULL) {
        /* A user signing up through a provider needs no password, and
         * gets a random username unless they chose one. */
        if (username == NULL) {
            char name[26];

            if (util_random_id(name, 25))
                return perr_set(err, PERR_INTERNAL, NULL);
            json_object_set_new(body, "username", json_string(name));
            username = json_object_get(body, "username");
        }
        if (password == NULL)
            password = json_null();
    }
    if ((id == NULL || username != NULL) &&
        (!json_is_string(username) || json_string_length(username) == 0))
        return perr_set_code(err, 200, 400, "bad or missing username");
    if ((id == NULL || password != NULL) && !json_is_null(password) &&
        (!json_is_string(password) || json_string_length(password) == 0))
        return perr_set_code(err, 201, 400, "password is required");
    if (json_is_null(password))
        password = NULL;
    if (email != NULL && !json_is_null(email) &&
        (!json_is_string(email) || !users_email_ok(json_string_value(email))))
        return perr_set_code(err, 125, 400, "Email address format is invalid.");
    if (password != NULL &&
        userflows_check_password(req, json_string_value(username),
                                 json_string_value(password), err))
        return -1;
    if (json_is_string(email) && json_object_get(body, "emailVerified") == NULL &&
        (id == NULL || users_email_changed(req, id, json_string_value(email))))
        userflows_prepare_verification(req, body);
    if (password != NULL) {
        char *hash;

        if (id != NULL && userflows_check_history(req, id,
                                                  json_string_value(password),
                                                  body, err))
            return -1;
        hash = password_hash(json_string_value(password));
        if (hash == NULL)
            return perr_set(err, PERR_INTERNAL, NULL);
        json_object_set_new(body, "_hashed_password", json_string(hash));
        json_object_set_new(body, "_password_changed_at",
                            ptype_date_create(util_now_ms()));
        free(hash);
        json_object_del(body, "password");
        req->internal = true;
    }
    json_object_del(body, "sessionToken");
    return 0;
}

/* Role names: letters, digits, '_', '-' and spaces. */
static bool
users_role_name_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("_- ", *p))
            return false;
    }
    return true;
}

static int
users_check_role(request_t *req, const char *id, json_t *body, perr_t *err)
{
    json_t *name = json_object_get(body, "name");

    if (id != NULL) {
        json_t *where, *rows = NULL;
        const char *have = NULL;
        int rc = 0;

        if (name == NULL)
            return 0;
        /* Saving a role under the name it has is no change. */
        where = json_pack("{s:s}", "objectId", id);
        if (storage_find_where(req->st, "_Role", where, &rows, err) == 0)
            have = json_string_value(json_object_get(json_array_get(rows, 0),
                                                     "name"));
        else
            rc = -1;
        if (rc == 0 && (!json_is_string(name) || have == NULL ||
                        strcmp(have, json_string_value(name)) != 0))
            rc = perr_set(err, PERR_CHANGED_IMMUTABLE_FIELD,
                          "A role's name can only be set before it has "
                          "been saved.");
        json_decref(where);
        json_decref(rows);
        if (rc == 0)
            json_object_del(body, "name");
        return rc;
    }
    if (!json_is_string(name))
        return perr_set_code(err, 135, 400, "A role must have a name.");
    if (json_object_get(body, "ACL") == NULL)
        return perr_set_code(err, 135, 400, "A role must have an ACL.");
    if (!users_role_name_ok(json_string_value(name)))
        return perr_set_code(err, 139, 400,
                             "A role's name can only contain alphanumeric "
                             "characters, _, -, and spaces.");
    return 0;
}

/*
 * Usernames and emails are unique regardless of case, as parse-server
 * has them: "Alice" cannot sign up beside "alice". The unique indexes
 * only see exact duplicates, so this asks first.
 */
static int
users_check_case(request_t *req, const char *id, json_t *body,
                 const char *field, int code, const char *msg, perr_t *err)
{
    json_t *v = json_object_get(body, field);
    json_t *where, *rows = NULL, *row;
    sbuf_t pattern;
    size_t i;
    int rc = 0;

    if (!json_is_string(v))
        return 0;
    /* ^\Q...\E$ matches the text literally; a \E inside is split off. */
    sbuf_init(&pattern);
    sbuf_append(&pattern, "^\\Q");
    for (const char *s = json_string_value(v); *s; s++) {
        if (s[0] == '\\' && s[1] == 'E') {
            sbuf_append(&pattern, "\\E\\\\E\\Q");
            s++;
            continue;
        }
        sbuf_append_len(&pattern, s, 1);
    }
    sbuf_append(&pattern, "\\E$");
    where = json_pack("{s:{s:s, s:s}}", field, "$regex", pattern.data,
                      "$options", "i");
    sbuf_cleanup(&pattern);
    if (storage_find_where(req->st, "_User", where, &rows, err)) {
        json_decref(where);
        return -1;
    }
    json_array_foreach(rows, i, row) {
        const char *other = json_string_value(json_object_get(row, "objectId"));

        if (id == NULL || other == NULL || strcmp(other, id) != 0) {
            rc = perr_set_code(err, code, 400, "%s", msg);
            break;
        }
    }
    json_decref(where);
    json_decref(rows);
    return rc;
}

int
users_before_write(request_t *req, const char *cls, const char *id,
                   json_t *body, perr_t *err)
{
    if (strcmp(cls, "_User") == 0)
        return users_check_user(req, id, body, err) ||
                       users_check_case(req, id, body, "username", 202,
                                        "Account already exists for this "
                                        "username.", err) ||
                       users_check_case(req, id, body, "email", 203,
                                        "Account already exists for this "
                                        "email address.", err)
                   ? -1 : 0;
    if (strcmp(cls, "_Role") == 0)
        return users_check_role(req, id, body, err);
    if (strcmp(cls, "_Session") == 0 && !req->auth.master) {
        /* Sessions are made by signup and login; a client may only
         * attach an installation to its own. */
        const char *key;
        json_t *v;

        json_t *where, *rows = NULL;
        size_t found;

        if (id == NULL)
            return perr_set(err, PERR_OPERATION_FORBIDDEN,
                            "Sessions are created by signing up or logging "
                            "in.");
        /* Someone else's session is "not found", whatever the change. */
        where = json_pack("{s:s, s:{s:s, s:s, s:s}}", "objectId", id, "user",
                          "__type", "Pointer", "className", "_User",
                          "objectId", req->auth.user_id ? req->auth.user_id
                                                        : "");
        if (storage_find_where(req->st, "_Session", where, &rows, err)) {
            json_decref(where);
            return -1;
        }
        found = json_array_size(rows);
        json_decref(where);
        json_decref(rows);
        if (found == 0)
            return perr_set(err, PERR_OBJECT_NOT_FOUND, "Object not found.");
        json_object_foreach(body, key, v) {
            if (strcmp(key, "installationId") != 0)
                return perr_set(err, PERR_OPERATION_FORBIDDEN,
                                "Only installationId may change on a "
                                "session.");
        }
    }
    return 0;
}

void
users_default_acl(request_t *req, const char *cls, const char *id, json_t *obj)
{
    /* parse-server 9 makes a new user private to itself. */
    if (strcmp(cls, "_User") == 0 && json_object_get(obj, "ACL") == NULL)
        json_object_set_new(obj, "ACL", json_pack("{s:{s:b, s:b}}", id, "read",
                                                  1, "write", 1));
}

int
users_after_create(request_t *req, const char *cls, const char *id,
                   json_t *body, json_t *resp, perr_t *err)
{
    char *token = NULL;

    if (strcmp(cls, "_Role") == 0)
        session_roles_changed();
    if (strcmp(cls, "_User") != 0)
        return 0;
    if (session_create(req->st, id, "signup", "password",
                       req->auth.installation_id,
                       req->cfg->session_length, &token, err))
        return -1;
    json_object_set_new(resp, "sessionToken", json_string(token));
    free(token);
    userflows_send_verification(req, body);
    /* A username chosen by parsec for a provider signup is news to the
     * client, so it is answered, as parse-server does. */
    if (json_object_get(body, "authData") != NULL)
        json_object_set(resp, "username", json_object_get(body, "username"));
    return 0;
}

void
users_after_update(request_t *req, const char *cls, const char *id,
                   json_t *body, json_t *resp)
{
    char *token = NULL;
    perr_t err;

    if (strcmp(cls, "_Role") == 0)
        session_roles_changed();
    else if (strcmp(cls, "_Session") == 0)
        session_cache_cleanup();
    else if (strcmp(cls, "_User") == 0)
        userflows_send_verification(req, body);
    if (strcmp(cls, "_User") != 0 ||
        json_object_get(body, "_hashed_password") == NULL)
        return;
    /* A new password ends every session of the user, as in parse-server;
     * the user who changed it goes on with a fresh one. */
    if (session_destroy_user(req->st, id, NULL, &err))
        log_warn("cannot end the sessions of user %s: %s", id, err.msg);
    if (!users_is_self(req, id))
        return;
    if (session_create(req->st, id, "login", "password",
                       req->auth.installation_id, req->cfg->session_length,
                       &token, &err) == 0) {
        json_object_set_new(resp, "sessionToken", json_string(token));
        free(token);
    } else {
        log_warn("cannot give user %s a new session: %s", id, err.msg);
    }
}

void
users_after_get(request_t *req, const char *cls, json_t *obj)
{
    if (strcmp(cls, "_User") == 0 && req->auth.session_token != NULL &&
        users_is_self(req, json_string_value(json_object_get(obj, "objectId"))))
        json_object_set_new(obj, "sessionToken",
                            json_string(req->auth.session_token));
}

int
users_before_delete(request_t *req, const char *cls, const char *id,
                    perr_t *err)
{
    if (strcmp(cls, "_User") == 0 && !req->auth.master &&
        !users_is_self(req, id))
        return perr_set_code(err, 206, 400, "Insufficient auth to delete user");
    return 0;
}

void
users_after_delete(request_t *req, const char *cls, const char *id)
{
    perr_t err;

    if (strcmp(cls, "_Role") == 0) {
        session_roles_changed();
    } else if (strcmp(cls, "_Session") == 0) {
        session_cache_cleanup();
    } else if (strcmp(cls, "_User") == 0) {
        if (session_destroy_user(req->st, id, NULL, &err))
            log_warn("cannot end the sessions of user %s: %s", id, err.msg);
    }
}

int
users_restrict_query(request_t *req, const char *cls, json_t **where,
                     perr_t *err)
{
    json_t *mine;

    if (strcmp(cls, "_Session") != 0 || req->auth.master)
        return 0;
    if (req->auth.user_id == NULL)
        return perr_set_code(err, 209, 400, "Invalid session token");
    mine = json_pack("{s:{s:s, s:s, s:s}}", "user", "__type", "Pointer",
                     "className", "_User", "objectId", req->auth.user_id);
    if (*where != NULL && !json_is_null(*where)) {
        json_t *both = json_pack("{s:[O,o]}", "$and", *where, mine);

        *where = both;
    } else {
        *where = mine;
    }
    return 0;
}

void
users_sanitize(request_t *req, const char *cls, json_t *obj)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(obj, tmp, key, v) {
        if (key[0] == '_' && strcmp(key, "__type") != 0)
            json_object_del(obj, key);
    }
    if (strcmp(cls, "_User") != 0)
        return;
    json_object_del(obj, "password");
    if (!req->auth.master &&
        !users_is_self(req, json_string_value(json_object_get(obj, "objectId")))) {
        /* parse-server's default protectedFields for _User. */
        json_object_del(obj, "email");
        json_object_del(obj, "authData");
    }
}

/* ------------------------------------------------------------ routes */

/* The stored user matching where (with its hash), or NULL. */
static json_t *
users_find_one(request_t *req, const char *cls, json_t *where, perr_t *err,
               int *failed)
{
    json_t *rows = NULL, *one = NULL;

    *failed = storage_find_where(req->st, cls, where, &rows, err);
    if (*failed == 0 && json_array_size(rows) > 0)
        one = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return one;
}

/* Answer with user (sanitised for its owner) plus a session token. */
static int
users_reply_with_token(request_t *req, json_t *user, const char *token)
{
    char *saved = req->auth.user_id;

    /* Sanitise as the user themself sees it. */
    req->auth.user_id = (char *)json_string_value(json_object_get(user, "objectId"));
    users_sanitize(req, "_User", user);
    req->auth.user_id = saved;
    json_object_set_new(user, "sessionToken", json_string(token));
    return request_reply(req, 200, user);
}

static json_t *
users_params(request_t *req)
{
    if (json_is_object(req->body)) {
        json_object_update_missing(req->body, req->params);
        return req->body;
    }
    return req->params;
}

int
handlers_login(request_t *req)
{
    json_t *p = users_params(req);
    json_t *username = json_object_get(p, "username");
    json_t *email = json_object_get(p, "email");
    json_t *password = json_object_get(p, "password");
    json_t *where, *user;
    char *token = NULL;
    int failed;

    if ((username == NULL || json_is_null(username)) &&
        (email == NULL || json_is_null(email))) {
        perr_set_code(&req->err, 200, 400, "username/email is required.");
        return request_fail(req);
    }
    if (password == NULL || json_is_null(password) ||
        (json_is_string(password) && json_string_length(password) == 0)) {
        perr_set_code(&req->err, 201, 400, "password is required.");
        return request_fail(req);
    }
    if (!json_is_string(password) || (username && !json_is_string(username)) ||
        (email && !json_is_string(email))) {
        perr_set(&req->err, PERR_OBJECT_NOT_FOUND, "Invalid username/password.");
        return request_fail(req);
    }
    where = username ? json_pack("{s:O}", "username", username)
                     : json_pack("{s:O}", "email", email);
    user = users_find_one(req, "_User", where, &req->err, &failed);
    json_decref(where);
    if (failed)
        return request_fail(req);
    if (user == NULL) {
        /* The reason stays in the debug log; the client learns nothing. */
        log_debug("login refused: no such user");
        perr_set(&req->err, PERR_OBJECT_NOT_FOUND, "Invalid username/password.");
        return request_fail(req);
    }
    if (userflows_check_login(req, user,
                              password_verify(json_string_value(password),
                                              json_string_value(json_object_get(
                                                  user, "_hashed_password"))),
                              &req->err)) {
        log_debug("login refused: %s", req->err.msg);
        json_decref(user);
        return request_fail(req);
    }
    if (session_create(req->st, json_string_value(json_object_get(user, "objectId")),
                       "login", "password", req->auth.installation_id,
                       req->cfg->session_length, &token,
                       &req->err)) {
        json_decref(user);
        return request_fail(req);
    }
    users_reply_with_token(req, user, token);
    free(token);
    return 0;
}

int
handlers_logout(request_t *req)
{
    const char *token = req->auth.session_token;

    if (token != NULL) {
        json_t *where = json_pack("{s:s}", "sessionToken", token);
        schema_class_t *cls = schema_cache_get("_Session");
        json_t *s;
        int failed;

        s = users_find_one(req, "_Session", where, &req->err, &failed);
        json_decref(where);
        if (!failed && s != NULL && cls != NULL)
            failed = req->st->ops->remove(
                req->st, cls, json_string_value(json_object_get(s, "objectId")),
                NULL, &req->err);
        json_decref(s);
        schema_class_release(cls);
        session_forget_token(token);
        if (failed)
            return request_fail(req);
    }
    return request_reply(req, 200, json_object());
}

int
handlers_users_me(request_t *req)
{
    json_t *where, *user;
    int failed;

    if (req->auth.session_token == NULL || req->auth.user_id == NULL) {
        perr_set_code(&req->err, 209, 400, "Invalid session token");
        return request_fail(req);
    }
    where = json_pack("{s:s}", "objectId", req->auth.user_id);
    user = users_find_one(req, "_User", where, &req->err, &failed);
    json_decref(where);
    if (failed)
        return request_fail(req);
    if (user == NULL) {
        perr_set_code(&req->err, 209, 400, "Invalid session token");
        return request_fail(req);
    }
    return users_reply_with_token(req, user, req->auth.session_token);
}

int
handlers_login_as(request_t *req)
{
    json_t *id = json_object_get(users_params(req), "userId");
    json_t *where, *user;
    char *token = NULL;
    int failed;

    if (!req->auth.master || req->auth.read_only) {
        perr_set(&req->err, PERR_OPERATION_FORBIDDEN, "master key is required");
        return request_fail(req);
    }
    if (!json_is_string(id) || json_string_length(id) == 0) {
        perr_set_code(&req->err, 162, 400,
                      "userId must not be empty, null, or undefined");
        return request_fail(req);
    }
    where = json_pack("{s:O}", "objectId", id);
    user = users_find_one(req, "_User", where, &req->err, &failed);
    json_decref(where);
    if (failed)
        return request_fail(req);
    if (user == NULL) {
        perr_set(&req->err, PERR_OBJECT_NOT_FOUND, "user not found");
        return request_fail(req);
    }
    if (session_create(req->st, json_string_value(id), "login", "masterkey",
                       req->auth.installation_id,
                       req->cfg->session_length, &token, &req->err)) {
        json_decref(user);
        return request_fail(req);
    }
    users_reply_with_token(req, user, token);
    free(token);
    return 0;
}

/* The caller's session object, or NULL with req->err set. */
static json_t *
users_current_session(request_t *req)
{
    json_t *where, *s;
    int failed;

    if (req->auth.session_token == NULL) {
        perr_set_code(&req->err, 209, 400, "Invalid session token");
        return NULL;
    }
    where = json_pack("{s:s}", "sessionToken", req->auth.session_token);
    s = users_find_one(req, "_Session", where, &req->err, &failed);
    json_decref(where);
    if (!failed && s == NULL)
        perr_set_code(&req->err, 209, 400, "Invalid session token");
    return s;
}

int
handlers_upgrade_session(request_t *req)
{
    json_t *old, *where, *fresh;
    schema_class_t *cls;
    char *token = NULL;
    int failed;

    if (req->auth.session_token == NULL) {
        perr_set(&req->err, PERR_OBJECT_NOT_FOUND, "invalid session");
        return request_fail(req);
    }
    old = users_current_session(req);
    if (old == NULL)
        return request_fail(req);
    /* Every token parsec issues is already revocable; upgrading swaps it
     * for a new one, as parse-server does with a legacy token. */
    if (session_create(req->st, req->auth.user_id, "upgrade", "password",
                       req->auth.installation_id,
                       req->cfg->session_length, &token, &req->err)) {
        json_decref(old);
        return request_fail(req);
    }
    cls = schema_cache_get("_Session");
    req->st->ops->remove(req->st, cls,
                         json_string_value(json_object_get(old, "objectId")),
                         NULL, &req->err);
    schema_class_release(cls);
    session_forget_token(req->auth.session_token);
    json_decref(old);
    where = json_pack("{s:s}", "sessionToken", token);
    free(token);
    fresh = users_find_one(req, "_Session", where, &req->err, &failed);
    json_decref(where);
    if (failed || fresh == NULL)
        return request_fail(req);
    users_sanitize(req, "_Session", fresh);
    return request_reply(req, 200, fresh);
}

int
handlers_sessions_me(request_t *req)
{
    json_t *s = users_current_session(req), *out;
    const char *sid;
    int rc;

    if (s == NULL)
        return request_fail(req);
    if (strcmp(req->method, "GET") == 0) {
        users_sanitize(req, "_Session", s);
        return request_reply(req, 200, s);
    }
    sid = json_string_value(json_object_get(s, "objectId"));
    if (req->body == NULL)
        req->body = json_object();
    rc = rest_update(req, "_Session", sid, req->body, &out, &req->err);
    json_decref(s);
    if (rc)
        return request_fail(req);
    return request_reply(req, 200, out);
}

/*
 * POST /users with authData: log in the user linked to that provider id,
 * or sign a new one up. Returns 1 when the request was not of this kind.
 */
int
users_signup_or_login(request_t *req)
{
    json_t *auth = json_object_get(req->body, "authData");
    const char *provider;
    json_t *entry, *user = NULL;
    char *token = NULL;
    int failed = 0;

    if (auth == NULL || strcmp(req->route[0], "_User") != 0)
        return 1;
    if (!json_is_object(auth)) {
        perr_set_code(&req->err, 253, 400, "authData should be an object");
        return request_fail(req);
    }
    json_object_foreach(auth, provider, entry) {
        if (json_is_null(entry))
            continue;
        if (users_check_provider(req, provider, entry, &req->err))
            return request_fail(req);
        if (user == NULL)
            user = users_find_linked(req, provider,
                                     json_object_get(entry, "id"), &req->err,
                                     &failed);
        if (failed)
            return request_fail(req);
    }
    if (user == NULL)
        return 1;  /* a signup: the ordinary create path takes it */
    provider = json_object_iter_key(json_object_iter(auth));
    if (session_create(req->st, json_string_value(json_object_get(user,
                                                                  "objectId")),
                       "login", provider, req->auth.installation_id,
                       req->cfg->session_length, &token,
                       &req->err)) {
        json_decref(user);
        return request_fail(req);
    }
    users_reply_with_token(req, user, token);
    free(token);
    return 0;
}
