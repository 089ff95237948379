/* SPDX-License-Identifier: MIT */
/*
 * config.h - the server's settings, under parse-server's option names.
 *
 * Settings come, lowest precedence first, from built-in defaults, the
 * PARSE_SERVER_* environment variables, a JSON config file (parse-server's
 * format, given as the single positional argument) and --name value flags.
 * The config is filled once at start-up and read-only afterwards.
 */
#ifndef PARSEC_CONFIG_H
#define PARSEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

typedef struct {
    char *app_id;                   /* required */
    char *master_key;               /* required */
    char *read_only_master_key;     /* reads everything, writes nothing */
    char *client_key;               /* client keys: when any is set, one */
    char *javascript_key;           /* of them (or the master key) must */
    char *rest_api_key;             /* come with every request */
    char *dotnet_key;
    char *server_url;               /* public URL, for Location and files */
    char *mount_path;               /* "/parse"; no trailing slash */
    char *database_uri;             /* SQLite path or sqlite: URI */
    char *host;                     /* listen address */
    int port;
    bool allow_client_class_creation;
    bool allow_custom_object_id;
    size_t max_upload_size;         /* request body limit in bytes */
    size_t max_object_size;         /* stored object limit in bytes */
    int max_limit;                  /* cap on a query's limit; 0 for none */
    int batch_request_limit;        /* sub-requests in one batch; <0 none */
    int threads;                    /* worker threads; 0 picks from cores */
    bool verbose;                   /* debug logging */
    json_t *auth;                   /* "auth" providers (authprovider.h),
                                       or NULL */
    char *app_name;                 /* shown in emails and pages */
    char *public_server_url;        /* base of links in emails */
    bool verify_user_emails;        /* send verification emails */
    bool prevent_login_unverified;  /* refuse login until verified */
    bool email_verify_success_on_invalid; /* hide unknown emails (default) */
    bool revoke_session_on_password_reset;
    int session_length;             /* seconds a session lasts */
    int email_verify_token_validity;/* seconds; 0 for no expiry */
    json_t *email_adapter;          /* {"smtpURL", "from", ...} or NULL */
    json_t *password_policy;        /* parse-server's passwordPolicy */
    json_t *account_lockout;        /* parse-server's accountLockout */
} config_t;

/*
 * Fill cfg from argv and the environment. Returns 0 on success, 1 when
 * the caller should exit 0 (--help or --version printed), -1 on a bad
 * setting (the reason is printed to stderr). cfg must be released with
 * config_cleanup in every case.
 */
int config_load(config_t *cfg, int argc, char **argv);

/* Release the strings config_load allocated. */
void config_cleanup(config_t *cfg);

/* Print the option list to f. */
void config_usage(FILE *f);

#endif
