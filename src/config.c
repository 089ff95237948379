/* SPDX-License-Identifier: MIT */
/*
 * config.c - reads settings from defaults, PARSE_SERVER_* variables, a JSON
 * config file and command-line flags (see config.h). One table lists every
 * option once, so --help, the environment, the file and the flags cannot
 * drift apart.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef enum { OPT_STR, OPT_INT, OPT_BOOL, OPT_SIZE } opt_kind_t;

typedef struct {
    const char *name;       /* parse-server's option name, also the JSON key */
    const char *env;        /* environment variable */
    opt_kind_t kind;
    size_t offset;          /* where in config_t */
    const char *help;
} opt_t;

#define OFF(field) offsetof(config_t, field)

static const opt_t config_opts[] = {
    {"appId", "PARSE_SERVER_APPLICATION_ID", OPT_STR, OFF(app_id),
     "application id (required)"},
    {"masterKey", "PARSE_SERVER_MASTER_KEY", OPT_STR, OFF(master_key),
     "master key (required)"},
    {"readOnlyMasterKey", "PARSE_SERVER_READ_ONLY_MASTER_KEY", OPT_STR,
     OFF(read_only_master_key), "master key that may only read"},
    {"clientKey", "PARSE_SERVER_CLIENT_KEY", OPT_STR, OFF(client_key),
     "client key for iOS/Android SDKs"},
    {"javascriptKey", "PARSE_SERVER_JAVASCRIPT_KEY", OPT_STR,
     OFF(javascript_key), "key for the JavaScript SDK"},
    {"restAPIKey", "PARSE_SERVER_REST_API_KEY", OPT_STR, OFF(rest_api_key),
     "key for REST clients"},
    {"dotNetKey", "PARSE_SERVER_DOT_NET_KEY", OPT_STR, OFF(dotnet_key),
     "key for the .NET SDK"},
    {"serverURL", "PARSE_SERVER_URL", OPT_STR, OFF(server_url),
     "public URL of the server (default http://localhost:PORT/MOUNT)"},
    {"mountPath", "PARSE_SERVER_MOUNT_PATH", OPT_STR, OFF(mount_path),
     "path the API is served under (default /parse)"},
    {"databaseURI", "PARSE_SERVER_DATABASE_URI", OPT_STR, OFF(database_uri),
     "SQLite file path or sqlite: URI, or postgres://user:password@host:"
     "port/db (default ./parsec.sqlite)"},
    {"host", "PARSE_SERVER_HOST", OPT_STR, OFF(host),
     "address to listen on (default 127.0.0.1)"},
    {"port", "PORT", OPT_INT, OFF(port), "port to listen on (default 1337)"},
    {"allowClientClassCreation",
     "PARSE_SERVER_ALLOW_CLIENT_CLASS_CREATION", OPT_BOOL,
     OFF(allow_client_class_creation),
     "let non-master requests create classes (default false)"},
    {"allowCustomObjectId", "PARSE_SERVER_ALLOW_CUSTOM_OBJECT_ID", OPT_BOOL,
     OFF(allow_custom_object_id),
     "let clients choose objectIds on create (default false)"},
    {"maxUploadSize", "PARSE_SERVER_MAX_UPLOAD_SIZE", OPT_SIZE,
     OFF(max_upload_size), "largest request body (default 20mb)"},
    {"maxObjectSize", "PARSE_SERVER_MAX_OBJECT_SIZE", OPT_SIZE,
     OFF(max_object_size), "largest stored object (default 128kb)"},
    {"maxLimit", "PARSE_SERVER_MAX_LIMIT", OPT_INT, OFF(max_limit),
     "largest limit a query may ask for (default none)"},
    {"batchRequestLimit", 
     "PARSE_SERVER_REQUEST_COMPLEXITY_BATCH_REQUEST_LIMIT", OPT_INT,
     OFF(batch_request_limit),
     "most sub-requests in one batch; -1 for no limit (default -1)"},
    {"threads", "PARSEC_THREADS", OPT_INT, OFF(threads),
     "worker threads (default: 2 per core, at least 4)"},
    {"verbose", "VERBOSE", OPT_BOOL, OFF(verbose), "log every request"},
    {"appName", "PARSE_SERVER_APP_NAME", OPT_STR, OFF(app_name),
     "app name for emails and pages"},
    {"publicServerURL", "PARSE_PUBLIC_SERVER_URL", OPT_STR,
     OFF(public_server_url), "URL links in emails point at"},
    {"verifyUserEmails", "PARSE_SERVER_VERIFY_USER_EMAILS", OPT_BOOL,
     OFF(verify_user_emails), "email new users a verification link"},
    {"preventLoginWithUnverifiedEmail",
     "PARSE_SERVER_PREVENT_LOGIN_WITH_UNVERIFIED_EMAIL", OPT_BOOL,
     OFF(prevent_login_unverified), "refuse login before verification"},
    {"emailVerifySuccessOnInvalidEmail",
     "PARSE_SERVER_EMAIL_VERIFY_SUCCESS_ON_INVALID_EMAIL", OPT_BOOL,
     OFF(email_verify_success_on_invalid),
     "answer success for unknown emails (default true)"},
    {"revokeSessionOnPasswordReset",
     "PARSE_SERVER_REVOKE_SESSION_ON_PASSWORD_RESET", OPT_BOOL,
     OFF(revoke_session_on_password_reset),
     "end a user's sessions when the password is reset (default true)"},
    {"sessionLength", "PARSE_SERVER_SESSION_LENGTH", OPT_INT,
     OFF(session_length), "session lifetime in seconds (default 1 year)"},
    {"emailVerifyTokenValidityDuration",
     "PARSE_SERVER_EMAIL_VERIFY_TOKEN_VALIDITY_DURATION", OPT_INT,
     OFF(email_verify_token_validity),
     "seconds a verification link works (default forever)"},
};

#define N_OPTS (sizeof(config_opts) / sizeof(config_opts[0]))

/* Options whose value is a JSON object: config file keys, or JSON text in
 * the environment variable. */
static const struct {
    const char *name;
    const char *env;
    size_t offset;
} config_obj_opts[] = {
    {"auth", "PARSE_SERVER_AUTH_PROVIDERS", OFF(auth)},
    {"emailAdapter", "PARSE_SERVER_EMAIL_ADAPTER", OFF(email_adapter)},
    {"passwordPolicy", "PARSE_SERVER_PASSWORD_POLICY", OFF(password_policy)},
    {"accountLockout", "PARSE_SERVER_ACCOUNT_LOCKOUT", OFF(account_lockout)},
};

#define N_OBJ_OPTS (sizeof(config_obj_opts) / sizeof(config_obj_opts[0]))

static bool
config_is_obj_opt(const char *name)
{
    for (size_t i = 0; i < N_OBJ_OPTS; i++) {
        if (strcmp(name, config_obj_opts[i].name) == 0)
            return true;
    }
    return false;
}

static const opt_t *
config_find(const char *name)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        if (strcmp(config_opts[i].name, name) == 0)
            return &config_opts[i];
    }
    return NULL;
}

/* Store text as the option's value, converting by kind. */
static int
config_set(config_t *cfg, const opt_t *opt, const char *text,
           const char *source)
{
    char *field = (char *)cfg + opt->offset;
    long long n;
    bool b;

    switch (opt->kind) {
    case OPT_STR:
        free(*(char **)field);
        *(char **)field = strdup(text);
        return 0;
    case OPT_INT:
        if (util_parse_int(text, &n) || n < -1 || n > 1000000000)
            break;
        *(int *)field = (int)n;
        return 0;
    case OPT_BOOL:
        if (util_parse_bool(text, &b))
            break;
        *(bool *)field = b;
        return 0;
    case OPT_SIZE:
        if (util_parse_size(text, (size_t *)field))
            break;
        return 0;
    }
    fprintf(stderr, "parsec: invalid value for %s in %s: %s\n", opt->name,
            source, text);
    return -1;
}

static int config_set_json(config_t *cfg, const char *key, json_t *val,
                           const char *path);
static bool config_is_obj_opt(const char *name);

/* requestComplexity groups limits in parse-server's config file. */
static int
config_load_nested(config_t *cfg, json_t *group, const char *path)
{
    const char *key;
    json_t *val;

    json_object_foreach(group, key, val) {
        if (config_set_json(cfg, key, val, path))
            return -1;
    }
    return 0;
}

/* Apply one key of a config file. */
static int
config_set_json(config_t *cfg, const char *key, json_t *val, const char *path)
{
    const opt_t *opt = config_find(key);
    char buf[64];
    const char *text = buf;

    if (strcmp(key, "requestComplexity") == 0 && json_is_object(val))
        return config_load_nested(cfg, val, path);
    for (size_t i = 0; i < N_OBJ_OPTS; i++) {
        json_t **slot;

        if (strcmp(key, config_obj_opts[i].name) != 0)
            continue;
        if (!json_is_object(val)) {
            fprintf(stderr, "parsec: %s in %s must be an object\n", key, path);
            return -1;
        }
        slot = (json_t **)((char *)cfg + config_obj_opts[i].offset);
        json_decref(*slot);
        *slot = json_deep_copy(val);
        return 0;
    }
    if (opt == NULL) {
        /* parse-server has many options parsec does not implement yet;
         * ignoring them lets an existing config file start parsec. */
        fprintf(stderr, "parsec: ignoring unsupported option %s\n", key);
        return 0;
    }
    if (json_is_string(val))
        text = json_string_value(val);
    else if (json_is_integer(val))
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(val));
    else if (json_is_boolean(val))
        text = json_is_true(val) ? "true" : "false";
    else {
        fprintf(stderr, "parsec: option %s in %s has the wrong type\n", key,
                path);
        return -1;
    }
    return config_set(cfg, opt, text, path);
}

static int
config_load_file(config_t *cfg, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    const char *key;
    json_t *val;
    int rc = 0;

    if (root == NULL) {
        fprintf(stderr, "parsec: cannot read config file %s: %s (line %d)\n",
                path, jerr.text, jerr.line);
        return -1;
    }
    if (!json_is_object(root)) {
        fprintf(stderr, "parsec: config file %s is not a JSON object\n", path);
        json_decref(root);
        return -1;
    }
    json_object_foreach(root, key, val) {
        if (config_set_json(cfg, key, val, path)) {
            rc = -1;
            break;
        }
    }
    json_decref(root);
    return rc;
}

static void
config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 1337;
    cfg->max_upload_size = 20 * 1024 * 1024;
    cfg->max_object_size = 128 * 1024;
    cfg->batch_request_limit = -1;
    cfg->email_verify_success_on_invalid = true;
    cfg->revoke_session_on_password_reset = true;
    cfg->session_length = 31536000;
}

void
config_usage(FILE *f)
{
    fprintf(f, "usage: parsec [config.json] [--option value ...]\n\n"
               "Options (environment variable in brackets):\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        fprintf(f, "  --%-26s %s [%s]\n", config_opts[i].name,
                config_opts[i].help, config_opts[i].env);
    }
    fprintf(f, "\nOptions that take a JSON object (config file key, or the "
               "variable holding JSON):\n");
    for (size_t i = 0; i < N_OBJ_OPTS; i++)
        fprintf(f, "  %-28s [%s]\n", config_obj_opts[i].name,
                config_obj_opts[i].env);
    fprintf(f, "\n  --%-26s %s\n", "help", "print this list and exit");
    fprintf(f, "  --%-26s %s\n", "version", "print the version and exit");
}

/* Normalise derived settings and check the required ones. */
static int
config_finish(config_t *cfg)
{
    size_t n;

    if (cfg->app_id == NULL || cfg->app_id[0] == '\0') {
        fprintf(stderr, "parsec: appId is required (--appId or "
                        "PARSE_SERVER_APPLICATION_ID)\n");
        return -1;
    }
    if (cfg->master_key == NULL || cfg->master_key[0] == '\0') {
        fprintf(stderr, "parsec: masterKey is required (--masterKey or "
                        "PARSE_SERVER_MASTER_KEY)\n");
        return -1;
    }
    if (cfg->port < 0 || cfg->port > 65535) {
        fprintf(stderr, "parsec: port must be between 0 and 65535\n");
        return -1;
    }
    if (cfg->mount_path == NULL)
        cfg->mount_path = strdup("/parse");
    if (cfg->mount_path[0] != '/') {
        fprintf(stderr, "parsec: mountPath must start with /\n");
        return -1;
    }
    n = strlen(cfg->mount_path);
    while (n > 1 && cfg->mount_path[n - 1] == '/')
        cfg->mount_path[--n] = '\0';
    if (n == 1)
        cfg->mount_path[0] = '\0';  /* mounted at the root */
    if (cfg->database_uri == NULL)
        cfg->database_uri = strdup("parsec.sqlite");
    if (cfg->host == NULL)
        cfg->host = strdup("127.0.0.1");
    if (cfg->server_url == NULL) {
        sbuf_t sb;

        sbuf_init(&sb);
        sbuf_printf(&sb, "http://localhost:%d%s", cfg->port, cfg->mount_path);
        cfg->server_url = sbuf_take(&sb);
    }
    n = strlen(cfg->server_url);
    while (n > 0 && cfg->server_url[n - 1] == '/')
        cfg->server_url[--n] = '\0';
    /* Links in emails go to the public URL, which is the server URL unless
     * the server sits behind something that changes it. */
    if (cfg->public_server_url == NULL)
        cfg->public_server_url = strdup(cfg->server_url);
    return 0;
}

int
config_load(config_t *cfg, int argc, char **argv)
{
    const char *file = NULL;

    config_defaults(cfg);
    for (size_t i = 0; i < N_OBJ_OPTS; i++) {
        const char *v = getenv(config_obj_opts[i].env);
        json_t **slot = (json_t **)((char *)cfg + config_obj_opts[i].offset);

        if (v == NULL)
            continue;
        *slot = json_loads(v, 0, NULL);
        if (!json_is_object(*slot)) {
            fprintf(stderr, "parsec: %s must be a JSON object\n",
                    config_obj_opts[i].env);
            return -1;
        }
    }
    for (size_t i = 0; i < N_OPTS; i++) {
        const char *v = getenv(config_opts[i].env);

        if (v != NULL && config_set(cfg, &config_opts[i], v, config_opts[i].env))
            return -1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            config_usage(stdout);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("parsec %s\n", PARSEC_VERSION);
            return 1;
        }
        if (strncmp(argv[i], "--", 2) != 0) {
            if (file != NULL) {
                fprintf(stderr, "parsec: only one config file may be given\n");
                return -1;
            }
            file = argv[i];
        } else if (strchr(argv[i], '=') == NULL) {
            i++;  /* flags take a value; they are applied after the file */
        }
    }
    if (file != NULL && config_load_file(cfg, file))
        return -1;
    for (int i = 1; i < argc; i++) {
        const opt_t *opt;
        const char *name = argv[i] + 2;
        const char *eq;
        char namebuf[64];

        if (strncmp(argv[i], "--", 2) != 0)
            continue;
        eq = strchr(name, '=');
        if (eq != NULL) {
            /* --name=value */
            snprintf(namebuf, sizeof(namebuf), "%.*s", (int)(eq - name), name);
            opt = config_find(namebuf);
        } else {
            opt = config_find(name);
        }
        if (opt == NULL) {
            /* An object option takes JSON text as its value. */
            const char *oname = eq ? namebuf : name;
            const char *text = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
            json_t *val = text ? json_loads(text, 0, NULL) : NULL;
            int rc;

            if (val == NULL || !config_is_obj_opt(oname)) {
                json_decref(val);
                fprintf(stderr, "parsec: %s %s (see --help)\n",
                        config_is_obj_opt(oname) ? "needs a JSON object:"
                                                 : "unknown option",
                        argv[i]);
                return -1;
            }
            rc = config_set_json(cfg, oname, val, "the command line");
            json_decref(val);
            if (rc)
                return -1;
            i += eq ? 0 : 1;
            continue;
        }
        if (eq != NULL) {
            if (config_set(cfg, opt, eq + 1, "the command line"))
                return -1;
            i--;  /* the skip below must not eat the next flag */
        } else if (i + 1 >= argc) {
            fprintf(stderr, "parsec: option %s needs a value\n", argv[i]);
            return -1;
        } else if (config_set(cfg, opt, argv[i + 1], "the command line")) {
            return -1;
        }
        i++;
    }
    return config_finish(cfg);
}

void
config_cleanup(config_t *cfg)
{
    for (size_t i = 0; i < N_OBJ_OPTS; i++) {
        json_t **slot = (json_t **)((char *)cfg + config_obj_opts[i].offset);

        json_decref(*slot);
        *slot = NULL;
    }
    for (size_t i = 0; i < N_OPTS; i++) {
        if (config_opts[i].kind == OPT_STR) {
            char **field = (char **)((char *)cfg + config_opts[i].offset);

            free(*field);
            *field = NULL;
        }
    }
}
