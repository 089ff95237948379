/* SPDX-License-Identifier: MIT */
/*
 * userflows.h - the account flows around users: email verification,
 * password reset (request, emailed link, form), the password policy and
 * account lockout, with parse-server's options and answers.
 */
#ifndef PARSEC_USERFLOWS_H
#define PARSEC_USERFLOWS_H

#include <jansson.h>
#include <stdbool.h>

#include "request.h"

/* Check a new password against passwordPolicy (142 when refused). */
int userflows_check_password(request_t *req, const char *username,
                             const char *password, perr_t *err);

/* On a password change of user id: refuse a password among the last
 * maxPasswordHistory ones (142) and record the old hash in body. */
int userflows_check_history(request_t *req, const char *id,
                            const char *password, json_t *body, perr_t *err);

/* On a signup or email change with verifyUserEmails on: mark the user
 * unverified and give the body a verification token. */
void userflows_prepare_verification(request_t *req, json_t *body);

/* After the write: email the verification link the body carries. */
void userflows_send_verification(request_t *req, json_t *body);

/* Before answering a login: lockout and unverified-email refusals, and
 * counting failures. password_ok tells whether the password matched. */
int userflows_check_login(request_t *req, json_t *user, bool password_ok,
                          perr_t *err);

int handlers_request_password_reset(request_t *req);
int handlers_verification_email_request(request_t *req);
int handlers_app_verify_email(request_t *req);
int handlers_app_reset_form(request_t *req);
int handlers_app_reset(request_t *req);

#endif
