/* SPDX-License-Identifier: MIT */
/*
 * email.h - sending the verification and password-reset emails over SMTP.
 *
 * Configured by the "emailAdapter" config object:
 *   {"smtpURL": "smtp://host:25" or "smtps://host:465",
 *    "from": "noreply@example.com", "username": "...", "password": "..."}
 * together with appName and publicServerURL, as parse-server requires.
 */
#ifndef PARSEC_EMAIL_H
#define PARSEC_EMAIL_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

/* Are an SMTP server, appName and publicServerURL all configured? */
bool email_is_configured(const config_t *cfg);

/* Send a plain-text message. 0, or -1 with err set (and a log line). */
int email_send(const config_t *cfg, const char *to, const char *subject,
               const char *text, perr_t *err);

#endif
