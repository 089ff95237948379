/* SPDX-License-Identifier: MIT */
/*
 * password.h - bcrypt hashing of user passwords in the format parse-server
 * stores ($2b$, cost 10), so users move between the servers and log in.
 */
#ifndef PARSEC_PASSWORD_H
#define PARSEC_PASSWORD_H

#include <stdbool.h>

/* A new bcrypt hash of password (caller frees), or NULL on failure. */
char *password_hash(const char *password);

/* Does password match hash ($2a$, $2b$ or $2y$)? Constant-time compare. */
bool password_verify(const char *password, const char *hash);

#endif
