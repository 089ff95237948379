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

/*
 * crypt_r of the first 72 bytes of password with setting (a salt or a
 * stored hash): a new string starting with '$', or NULL. Every copy of
 * the password and crypt's state is wiped before returning.
 */
static char *
password_crypt(const char *password, const char *setting)
{
    char clipped[PASSWORD_BCRYPT_MAX + 1];
    size_t n = strnlen(password, PASSWORD_BCRYPT_MAX);
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    const char *h;
    char *out = NULL;

    memcpy(clipped, password, n);
    clipped[n] = '\0';
    h = crypt_r(clipped, setting, cd);
    if (h != NULL && h[0] == '$')
        out = strdup(h);
    explicit_bzero(clipped, sizeof(clipped));
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return out;
}

char *
password_hash(const char *password)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];

    if (crypt_gensalt_rn("$2b$", PASSWORD_COST, NULL, 0, salt,
                         sizeof(salt)) == NULL)
        return NULL;
    return password_crypt(password, salt);
}

bool
password_verify(const char *password, const char *hash)
{
    char *h;
    bool ok = false;

    if (password == NULL || hash == NULL || strncmp(hash, "$2", 2) != 0)
        return false;
    h = password_crypt(password, hash);
    if (h != NULL && strlen(h) == strlen(hash)) {
        unsigned char diff = 0;

        for (size_t i = 0; hash[i]; i++)
            diff |= (unsigned char)(h[i] ^ hash[i]);
        ok = diff == 0;
    }
    free(h);
    return ok;
}
