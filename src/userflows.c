/* SPDX-License-Identifier: MIT */
/*
 * userflows.c - verification and reset emails, their pages, the password
 * policy and account lockout (see userflows.h). Tokens are random 32-hex
 * strings kept in _User's internal fields, never shown to clients.
 */
#include "userflows.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "email.h"
#include "log.h"
#include "password.h"
#include "regexp.h"
#include "schema.h"
#include "session.h"
#include "storage.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */

static void
uf_token(char out[33])
{
    unsigned char raw[16];

    if (util_random_bytes(raw, sizeof(raw)) != 0)
        memset(raw, 0, sizeof(raw));    /* never reached on Linux */
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static int
uf_set_changes(void *ctx, json_t *current, json_t **changes, perr_t *err)
{
    *changes = json_deep_copy(ctx);
    return 0;
}

/* Write internal fields of a user with parsec's own authority. */
static int
uf_update_user(request_t *req, const char *user_id, json_t *changes,
               perr_t *err)
{
    schema_class_t *cls = schema_cache_get("_User");
    json_t *result = NULL;
    char now[32];
    int rc;

    if (cls == NULL)
        return perr_set(err, PERR_INTERNAL, NULL);
    util_format_iso(util_now_ms(), now);
    rc = req->st->ops->update(req->st, cls, user_id, NULL, now,
                              uf_set_changes, changes, &result, err);
    json_decref(result);
    schema_class_release(cls);
    return rc;
}

static json_t *
uf_find_user(request_t *req, json_t *where, perr_t *err, int *failed)
{
    json_t *rows = NULL, *one = NULL;

    *failed = storage_find_where(req->st, "_User", where, &rows, err);
    if (*failed == 0 && json_array_size(rows) > 0)
        one = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return one;
}

/* Append s to sb with the HTML special characters escaped. */
static void
uf_html_escape(sbuf_t *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sbuf_append(sb, "&lt;"); break;
        case '>': sbuf_append(sb, "&gt;"); break;
        case '&': sbuf_append(sb, "&amp;"); break;
        case '"': sbuf_append(sb, "&quot;"); break;
        case '\'': sbuf_append(sb, "&#39;"); break;
        default: sbuf_append_len(sb, s, 1);
        }
    }
}

static char *
uf_page(const config_t *cfg, const char *title, const char *message)
{
    sbuf_t sb;

    sbuf_init(&sb);
    sbuf_append(&sb, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                     "<title>");
    uf_html_escape(&sb, title);
    sbuf_append(&sb, "</title></head><body><h1>");
    uf_html_escape(&sb, cfg->app_name ? cfg->app_name : "parsec");
    sbuf_append(&sb, "</h1><p>");
    uf_html_escape(&sb, message);
    sbuf_append(&sb, "</p></body></html>");
    return sbuf_take(&sb);
}

/* The link to a page under the public URL, with the token. */
static char *
uf_link(const config_t *cfg, const char *page, const char *token,
        const char *username)
{
    sbuf_t sb;
    sbuf_init(&sb);
    sbuf_printf(&sb, "%s/apps/%s/%s?token=%s", cfg->public_server_url,
                cfg->app_id, page, token);
    if (username != NULL) {
        /* usernames are URL-escaped byte by byte */
        sbuf_append(&sb, "&username=");
        for (const unsigned char *p = (const unsigned char *)username; *p; p++) {
            if (isalnum(*p) || strchr("-_.~", *p))
                sbuf_append_len(&sb, (const char *)p, 1);
            else
                sbuf_printf(&sb, "%%%02X", *p);
        }
    }
    return sbuf_take(&sb);
}

/* ------------------------------------------------------ password policy */

int
userflows_check_password(request_t *req, const char *username,
                         const char *password, perr_t *err)
{
    json_t *policy = req->cfg->password_policy;
    const char *pattern = json_string_value(json_object_get(policy,
                                                            "validatorPattern"));
    const char *msg = json_string_value(json_object_get(policy,
                                                        "validationError"));

    if (policy == NULL)
        return 0;
    if (msg == NULL)
        msg = "Password does not meet the Password Policy requirements.";
    if (pattern != NULL) {
        perr_t ignored;
        regexp_t *re = regexp_compile(pattern, "", &ignored);
        int m = re ? regexp_match(re, password, strlen(password)) : -1;

        regexp_free(re);
        if (m != 1)
            return perr_set_code(err, 142, 400, "%s", msg);
    }
    if (json_is_true(json_object_get(policy, "doNotAllowUsername")) &&
        username != NULL && *username && strstr(password, username) != NULL)
        return perr_set_code(err, 142, 400, "Password cannot contain your "
                             "username.");
    return 0;
}

int
userflows_check_history(request_t *req, const char *id, const char *password,
                        json_t *body, perr_t *err)
{
    long long keep = json_integer_value(json_object_get(req->cfg->password_policy,
                                                        "maxPasswordHistory"));
    json_t *where, *user, *history, *h;
    const char *current;
    size_t i;
    int failed;

    if (keep <= 0)
        return 0;
    where = json_pack("{s:s}", "objectId", id);
    user = uf_find_user(req, where, err, &failed);
    json_decref(where);
    if (failed || user == NULL) {
        json_decref(user);
        return failed ? -1 : 0;
    }
    current = json_string_value(json_object_get(user, "_hashed_password"));
    history = json_object_get(user, "_password_history");
    /* The current password counts as the newest of the last N. */
    failed = current != NULL && password_verify(password, current);
    json_array_foreach(history, i, h) {
        if (!failed && (long long)i < keep - 1)
            failed = password_verify(password, json_string_value(h));
    }
    if (!failed && current != NULL) {
        json_t *next = json_pack("[s]", current);

        json_array_foreach(history, i, h) {
            if ((long long)json_array_size(next) < keep - 1)
                json_array_append(next, h);
        }
        json_object_set_new(body, "_password_history", next);
    }
    json_decref(user);
    if (failed)
        return perr_set_code(err, 142, 400, "New password should not be the "
                             "same as last %lld passwords.", keep);
    return 0;
}

/* ------------------------------------------------------- verification */

void
userflows_prepare_verification(request_t *req, json_t *body)
{
    char token[33];
    int64_t validity = req->cfg->email_verify_token_validity;

    if (!req->cfg->verify_user_emails || !json_is_string(json_object_get(body,
                                                                         "email")))
        return;
    uf_token(token);
    json_object_set_new(body, "emailVerified", json_false());
    json_object_set_new(body, "_email_verify_token", json_string(token));
    if (validity > 0)
        json_object_set_new(body, "_email_verify_token_expires_at",
                            ptype_date_create(util_now_ms() + validity * 1000));
    req->internal = true;
}

static void
uf_send_verification(request_t *req, const char *email, const char *username,
                     const char *token)
{
    char *link = uf_link(req->cfg, "verify_email", token, username);
    sbuf_t text, subject;
    perr_t err;

    sbuf_init(&text);
    sbuf_init(&subject);
    sbuf_printf(&subject, "Confirm your email address for %s",
                req->cfg->app_name);
    sbuf_printf(&text, "Hello,\n\nPlease confirm that %s is your email "
                       "address for %s by opening this link:\n%s\n",
                email, req->cfg->app_name, link);
    if (email_send(req->cfg, email, subject.data, text.data, &err))
        log_warn("verification email to a user not sent: %s", err.msg);
    sbuf_cleanup(&text);
    sbuf_cleanup(&subject);
    free(link);
}

void
userflows_send_verification(request_t *req, json_t *body)
{
    const char *token = json_string_value(json_object_get(body,
                                                          "_email_verify_token"));

    if (token == NULL || !email_is_configured(req->cfg))
        return;
    uf_send_verification(req, json_string_value(json_object_get(body, "email")),
                         json_string_value(json_object_get(body, "username")),
                         token);
}

/* An email flow needs the sender, appName and publicServerURL. */
static int
uf_require_email(request_t *req)
{
    if (email_is_configured(req->cfg))
        return 0;
    perr_set(&req->err, PERR_INTERNAL, "An appName, publicServerURL and "
             "emailAdapter are required for password reset and email "
             "verification.");
    return -1;
}

/* The "email" of a flow's body: 204 when missing, 125 when no string. */
static const char *
uf_email_param(request_t *req)
{
    json_t *email = json_object_get(req->body, "email");

    if (email == NULL || json_is_null(email) ||
        (json_is_string(email) && json_string_length(email) == 0)) {
        perr_set_code(&req->err, 204, 400, "you must provide an email");
        return NULL;
    }
    if (!json_is_string(email)) {
        perr_set_code(&req->err, 125, 400,
                      "you must provide a valid email string");
        return NULL;
    }
    return json_string_value(email);
}

int
handlers_verification_email_request(request_t *req)
{
    const char *email;
    json_t *where, *user, *changes;
    char token[33];
    int failed;

    if (uf_require_email(req) || (email = uf_email_param(req)) == NULL)
        return request_fail(req);
    where = json_pack("{s:s}", "email", email);
    user = uf_find_user(req, where, &req->err, &failed);
    json_decref(where);
    if (failed)
        return request_fail(req);
    if (user == NULL || json_is_true(json_object_get(user, "emailVerified"))) {
        bool known = user != NULL;

        json_decref(user);
        if (req->cfg->email_verify_success_on_invalid)
            return request_reply(req, 200, json_object());
        if (!known)
            perr_set_code(&req->err, 205, 400, "No user found with email %s",
                          email);
        else
            perr_set_code(&req->err, -1, 400, "Email %s is already verified.",
                          email);
        return request_fail(req);
    }
    uf_token(token);
    changes = json_pack("{s:s}", "_email_verify_token", token);
    if (req->cfg->email_verify_token_validity > 0)
        json_object_set_new(changes, "_email_verify_token_expires_at",
                            ptype_date_create(util_now_ms() +
                                (int64_t)req->cfg->email_verify_token_validity
                                    * 1000));
    failed = uf_update_user(req, json_string_value(json_object_get(user,
                                                                   "objectId")),
                            changes, &req->err);
    json_decref(changes);
    if (!failed)
        uf_send_verification(req, email,
                             json_string_value(json_object_get(user, "username")),
                             token);
    json_decref(user);
    if (failed)
        return request_fail(req);
    return request_reply(req, 200, json_object());
}

/* ----------------------------------------------------- password reset */

int
handlers_request_password_reset(request_t *req)
{
    json_t *policy = req->cfg->password_policy;
    json_t *success = json_object_get(policy, "resetPasswordSuccessOnInvalidEmail");
    json_t *where, *user, *changes;
    const char *email;
    char token[33];
    int failed;
    int64_t validity;

    if (uf_require_email(req) || (email = uf_email_param(req)) == NULL)
        return request_fail(req);
    where = json_pack("{s:[{s:s},{s:s, s:{s:b}}]}", "$or", "email", email,
                      "username", email, "email", "$exists", 0);
    user = uf_find_user(req, where, &req->err, &failed);
    json_decref(where);
    if (failed)
        return request_fail(req);
    if (user == NULL) {
        if (success == NULL || json_is_true(success))
            return request_reply(req, 200, json_object());
        perr_set_code(&req->err, 205, 400,
                      "A user with that email does not exist.");
        return request_fail(req);
    }
    uf_token(token);
    changes = json_pack("{s:s}", "_perishable_token", token);
    validity = json_integer_value(json_object_get(policy,
                                                  "resetTokenValidityDuration"));
    if (validity > 0)
        json_object_set_new(changes, "_perishable_token_expires_at",
                            ptype_date_create(util_now_ms() + validity * 1000));
    failed = uf_update_user(req, json_string_value(json_object_get(user,
                                                                   "objectId")),
                            changes, &req->err);
    json_decref(changes);
    if (!failed) {
        const char *username = json_string_value(json_object_get(user,
                                                                 "username"));
        char *link = uf_link(req->cfg, "request_password_reset", token,
                             username);
        sbuf_t text, subject;
        perr_t err;

        sbuf_init(&text);
        sbuf_init(&subject);
        sbuf_printf(&subject, "Reset your password for %s", req->cfg->app_name);
        sbuf_printf(&text, "Hello,\n\nSomeone asked to reset the password of "
                           "the %s account %s. To choose a new password, "
                           "open this link:\n%s\n\nIf it was not you, ignore "
                           "this message.\n",
                    req->cfg->app_name, username ? username : email, link);
        if (email_send(req->cfg, email, subject.data, text.data, &err))
            log_warn("password reset email not sent: %s", err.msg);
        sbuf_cleanup(&text);
        sbuf_cleanup(&subject);
        free(link);
    }
    json_decref(user);
    if (failed)
        return request_fail(req);
    return request_reply(req, 200, json_object());
}

/* The user holding token in field, unless the token has expired. */
static json_t *
uf_user_by_token(request_t *req, const char *field, const char *expires,
                 const char *token)
{
    json_t *where, *user;
    int64_t ms;
    int failed;
    perr_t err;

    if (token == NULL || *token == '\0')
        return NULL;
    where = json_pack("{s:s}", field, token);
    user = uf_find_user(req, where, &err, &failed);
    json_decref(where);
    if (user != NULL && json_object_get(user, expires) != NULL &&
        ptype_date_ms(json_object_get(user, expires), &ms) == 0 &&
        ms < util_now_ms()) {
        json_decref(user);
        return NULL;
    }
    return user;
}

/* Does the /apps path name this application? */
static bool
uf_app_ok(request_t *req)
{
    return strcmp(req->route[0], req->cfg->app_id) == 0;
}

int
handlers_app_verify_email(request_t *req)
{
    const char *token = json_string_value(json_object_get(req->params, "token"));
    json_t *user, *changes;
    perr_t err;
    int rc;

    user = uf_app_ok(req) ? uf_user_by_token(req, "_email_verify_token",
                                             "_email_verify_token_expires_at",
                                             token)
                          : NULL;
    if (user == NULL)
        return request_reply_html(req, 400, uf_page(req->cfg, "Invalid link",
                                  "This verification link is invalid or has "
                                  "expired."));
    changes = json_pack("{s:b, s:n, s:n}", "emailVerified", 1,
                        "_email_verify_token", "_email_verify_token_expires_at");
    rc = uf_update_user(req, json_string_value(json_object_get(user, "objectId")),
                        changes, &err);
    json_decref(changes);
    json_decref(user);
    if (rc)
        return request_reply_html(req, 500, uf_page(req->cfg, "Error",
                                  "The email address could not be verified; "
                                  "try again later."));
    return request_reply_html(req, 200, uf_page(req->cfg, "Email verified",
                              "Your email address has been verified."));
}

int
handlers_app_reset_form(request_t *req)
{
    const char *token = json_string_value(json_object_get(req->params, "token"));
    json_t *user = uf_app_ok(req) ? uf_user_by_token(req, "_perishable_token",
                                                     "_perishable_token_expires_at",
                                                     token)
                                  : NULL;
    sbuf_t sb;

    if (user == NULL)
        return request_reply_html(req, 400, uf_page(req->cfg, "Invalid link",
                                  "This password reset link is invalid or has "
                                  "expired."));
    json_decref(user);
    sbuf_init(&sb);
    sbuf_append(&sb, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                     "<title>Reset your password</title></head><body><h1>");
    uf_html_escape(&sb, req->cfg->app_name);
    sbuf_append(&sb, "</h1><form method=\"POST\"><input type=\"hidden\" "
                     "name=\"token\" value=\"");
    uf_html_escape(&sb, token);
    sbuf_append(&sb, "\"><label>New password <input type=\"password\" "
                     "name=\"new_password\"></label><button>Set password"
                     "</button></form></body></html>");
    return request_reply_html(req, 200, sbuf_take(&sb));
}

/* One field of a form-urlencoded body, decoded (caller frees), or NULL. */
static char *
uf_form_field(const char *body, size_t len, const char *name)
{
    size_t n = strlen(name);
    const char *p = body, *end = body + len;

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;

        if ((size_t)(stop - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            sbuf_t sb;

            sbuf_init(&sb);
            for (const char *q = p + n + 1; q < stop; q++) {
                if (*q == '+') {
                    sbuf_append(&sb, " ");
                } else if (*q == '%' && stop - q > 2 &&
                           isxdigit((unsigned char)q[1]) &&
                           isxdigit((unsigned char)q[2])) {
                    char hex[3] = {q[1], q[2], 0};
                    char c = (char)strtol(hex, NULL, 16);

                    if (c == '\0') {
                        sbuf_cleanup(&sb);
                        return NULL;
                    }
                    sbuf_append_len(&sb, &c, 1);
                    q += 2;
                } else {
                    sbuf_append_len(&sb, q, 1);
                }
            }
            return sbuf_take(&sb);
        }
        p = stop + 1;
    }
    return NULL;
}

int
handlers_app_reset(request_t *req)
{
    char *token = uf_form_field(req->raw_body ? req->raw_body : "",
                                req->raw_len, "token");
    char *pw = uf_form_field(req->raw_body ? req->raw_body : "", req->raw_len,
                             "new_password");
    json_t *user = NULL, *changes;
    const char *uid;
    char *hash;
    perr_t err;
    int rc = -1;

    if (uf_app_ok(req))
        user = uf_user_by_token(req, "_perishable_token",
                                "_perishable_token_expires_at", token);
    if (user == NULL) {
        request_reply_html(req, 400, uf_page(req->cfg, "Invalid link",
                           "This password reset link is invalid or has "
                           "expired."));
        goto done;
    }
    if (pw == NULL || *pw == '\0' ||
        userflows_check_password(req, json_string_value(json_object_get(user,
                                                                        "username")),
                                 pw, &err)) {
        request_reply_html(req, 400, uf_page(req->cfg, "Password not changed",
                           pw && *pw ? err.msg : "Please enter a password."));
        goto done;
    }
    uid = json_string_value(json_object_get(user, "objectId"));
    hash = password_hash(pw);
    changes = json_pack("{s:s, s:n, s:n, s:n, s:n, s:o}", "_hashed_password",
                        hash ? hash : "", "_perishable_token",
                        "_perishable_token_expires_at", "_failed_login_count",
                        "_account_lockout_expires_at", "_password_changed_at",
                        ptype_date_create(util_now_ms()));
    free(hash);
    if (userflows_check_history(req, uid, pw, changes, &err)) {
        json_decref(changes);
        request_reply_html(req, 400, uf_page(req->cfg, "Password not changed",
                                             err.msg));
        goto done;
    }
    rc = uf_update_user(req, uid, changes, &err);
    json_decref(changes);
    if (rc == 0 && req->cfg->revoke_session_on_password_reset &&
        session_destroy_user(req->st, uid, NULL, &err))
        log_warn("cannot end the sessions of user %s: %s", uid, err.msg);
    request_reply_html(req, rc ? 500 : 200,
                       uf_page(req->cfg, rc ? "Error" : "Password changed",
                               rc ? "The password could not be changed; try "
                                    "again later."
                                  : "Your password has been changed."));

done:
    json_decref(user);
    free(token);
    free(pw);
    return 0;
}

/* ------------------------------------------------------------- login */

int
userflows_check_login(request_t *req, json_t *user, bool password_ok,
                      perr_t *err)
{
    json_t *lock = req->cfg->account_lockout;
    long long threshold = json_integer_value(json_object_get(lock, "threshold"));
    long long duration = json_integer_value(json_object_get(lock, "duration"));
    const char *uid = json_string_value(json_object_get(user, "objectId"));
    json_t *until = json_object_get(user, "_account_lockout_expires_at");
    int64_t ms;

    if (threshold > 0 && until != NULL && ptype_date_ms(until, &ms) == 0 &&
        ms > util_now_ms())
        return perr_set(err, PERR_OBJECT_NOT_FOUND,
                        "Your account is locked due to multiple failed login "
                        "attempts. Please try again after %lld minute(s)",
                        duration);
    if (!password_ok) {
        if (threshold > 0) {
            long long n = json_integer_value(json_object_get(user,
                                                             "_failed_login_count"));
            json_t *changes = json_pack("{s:I}", "_failed_login_count",
                                        (json_int_t)(n + 1));
            perr_t ignored;

            if (n + 1 >= threshold)
                json_object_set_new(changes, "_account_lockout_expires_at",
                                    ptype_date_create(util_now_ms() +
                                                      duration * 60000));
            uf_update_user(req, uid, changes, &ignored);
            json_decref(changes);
        }
        return perr_set(err, PERR_OBJECT_NOT_FOUND, "Invalid username/password.");
    }
    if (threshold > 0 && json_object_get(user, "_failed_login_count") != NULL) {
        json_t *changes = json_pack("{s:n, s:n}", "_failed_login_count",
                                    "_account_lockout_expires_at");
        perr_t ignored;

        uf_update_user(req, uid, changes, &ignored);
        json_decref(changes);
    }
    {
        long long days = json_integer_value(
            json_object_get(req->cfg->password_policy, "maxPasswordAge"));
        json_t *changed = json_object_get(user, "_password_changed_at");

        if (days > 0 && changed != NULL && ptype_date_ms(changed, &ms) == 0 &&
            ms + days * 86400000LL < util_now_ms())
            return perr_set(err, PERR_OBJECT_NOT_FOUND,
                            "Your password has expired. Please reset your "
                            "password.");
    }
    if (req->cfg->prevent_login_unverified && req->cfg->verify_user_emails &&
        json_object_get(user, "email") != NULL &&
        !json_is_true(json_object_get(user, "emailVerified")))
        return perr_set_code(err, 205, 400, "User email is not verified.");
    return 0;
}
