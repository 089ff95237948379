/* SPDX-License-Identifier: MIT */
/*
 * password.c - bcrypt through libxcrypt (see password.h). crypt_r keeps
 * its state in a per-call struct, so hashing is safe on every worker
 * thread at once; the struct is large, hence the heap allocation.
 */
#include "password.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_COST 10
/* bcrypt reads at most 72 bytes of a password; libxcrypt refuses one
 * over 512 bytes outright. Passing only the first 72 gives the same hash
 * for every length (and the same as parse-server's bcrypt), so long
 * passwords work instead of failing. */
#define PASSWORD_BCRYPT_MAX 72

static void
password_clip(const char *password, char out[PASSWORD_BCRYPT_MAX + 1])
{
    size_t n = strnlen(password, PASSWORD_BCRYPT_MAX);

    memcpy(out, password, n);
    out[n] = '\0';
}

char *
password_hash(const char *password)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd;
    char *out = NULL;
    const char *h;

    if (crypt_gensalt_rn("$2b$", PASSWORD_COST, NULL, 0, salt,
                         sizeof(salt)) == NULL)
        return NULL;
    char clipped[PASSWORD_BCRYPT_MAX + 1];

    password_clip(password, clipped);
    cd = calloc(1, sizeof(*cd));
    h = crypt_r(clipped, salt, cd);
    explicit_bzero(clipped, sizeof(clipped));
    if (h != NULL && h[0] == '$')
        out = strdup(h);
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return out;
}

bool
password_verify(const char *password, const char *hash)
{
    struct crypt_data *cd;
    const char *h;
    bool ok = false;

    if (password == NULL || hash == NULL || strncmp(hash, "$2", 2) != 0)
        return false;
    char clipped[PASSWORD_BCRYPT_MAX + 1];

    password_clip(password, clipped);
    cd = calloc(1, sizeof(*cd));
    h = crypt_r(clipped, hash, cd);
    explicit_bzero(clipped, sizeof(clipped));
    if (h != NULL && h[0] == '$' && strlen(h) == strlen(hash)) {
        unsigned char diff = 0;

        for (size_t i = 0; hash[i]; i++)
            diff |= (unsigned char)(h[i] ^ hash[i]);
        ok = diff == 0;
    }
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return ok;
}
