/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - settings from flags, environment and a config file.
 *
 * config_load prints its complaints (and --help) to stderr/stdout; the
 * noise in the test log is expected.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Every variable config_load reads. */
static const char *const env_names[] = {
    "PARSE_SERVER_APPLICATION_ID",
    "PARSE_SERVER_MASTER_KEY",
    "PARSE_SERVER_READ_ONLY_MASTER_KEY",
    "PARSE_SERVER_CLIENT_KEY",
    "PARSE_SERVER_JAVASCRIPT_KEY",
    "PARSE_SERVER_REST_API_KEY",
    "PARSE_SERVER_DOT_NET_KEY",
    "PARSE_SERVER_URL",
    "PARSE_SERVER_MOUNT_PATH",
    "PARSE_SERVER_DATABASE_URI",
    "PARSE_SERVER_HOST",
    "PORT",
    "PARSE_SERVER_ALLOW_CLIENT_CLASS_CREATION",
    "PARSE_SERVER_ALLOW_CUSTOM_OBJECT_ID",
    "PARSE_SERVER_MAX_UPLOAD_SIZE",
    "PARSE_SERVER_MAX_OBJECT_SIZE",
    "PARSE_SERVER_MAX_LIMIT",
    "PARSE_SERVER_REQUEST_COMPLEXITY_BATCH_REQUEST_LIMIT",
    "PARSEC_THREADS",
    "VERBOSE",
};
#define N_ENV (sizeof(env_names) / sizeof(env_names[0]))

static char *env_saved[N_ENV];

/* Stash the caller's values of every variable and clear them, so a test
 * sees only what it sets. */
static void
env_begin(void)
{
    for (size_t i = 0; i < N_ENV; i++) {
        const char *v = getenv(env_names[i]);

        env_saved[i] = v ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
}

/* Put the stashed values back. */
static void
env_end(void)
{
    for (size_t i = 0; i < N_ENV; i++) {
        if (env_saved[i] != NULL)
            setenv(env_names[i], env_saved[i], 1);
        else
            unsetenv(env_names[i]);
        free(env_saved[i]);
        env_saved[i] = NULL;
    }
}

/* Write text to a new temporary file; its path goes into path[64]. */
static void
write_temp(char path[64], const char *text)
{
    int fd;
    FILE *f;

    snprintf(path, 64, "/tmp/parsec-unit-XXXXXX");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

/* Send stdout to /dev/null (for --help's usage text) and back. */
static int
stdout_mute(void)
{
    int saved, null_fd;

    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    null_fd = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null_fd >= 0)
        dup2(null_fd, STDOUT_FILENO);
    if (null_fd >= 0)
        close(null_fd);
    return saved;
}

static void
stdout_restore(int saved)
{
    fflush(stdout);
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
}

/* config_load on argv, then config_cleanup; returns config_load's result.
 * Used where only the result matters. */
static int
load_rc(int argc, char **argv)
{
    config_t cfg;
    int rc = config_load(&cfg, argc, argv);

    config_cleanup(&cfg);
    return rc;
}

/* ----------------------------------------------------------- flags */

static void
test_minimal_flags_and_defaults(void)
{
    char *argv[] = {"parsec", "--appId", "app", "--masterKey", "mk"};
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "app");
    CHECK_STR(cfg.master_key, "mk");
    CHECK(cfg.read_only_master_key == NULL);
    CHECK(cfg.client_key == NULL);
    CHECK(cfg.javascript_key == NULL);
    CHECK(cfg.rest_api_key == NULL);
    CHECK(cfg.dotnet_key == NULL);
    CHECK(cfg.port == 1337);
    CHECK_STR(cfg.mount_path, "/parse");
    CHECK_STR(cfg.server_url, "http://localhost:1337/parse");
    CHECK_STR(cfg.database_uri, "parsec.sqlite");
    CHECK_STR(cfg.host, "127.0.0.1");
    CHECK(!cfg.allow_client_class_creation);
    CHECK(!cfg.allow_custom_object_id);
    CHECK(cfg.max_upload_size == 20u * 1024 * 1024);
    CHECK(cfg.max_object_size == 128u * 1024);
    CHECK(cfg.max_limit == 0);
    CHECK(cfg.batch_request_limit == -1);
    CHECK(cfg.threads == 0);
    CHECK(!cfg.verbose);
    config_cleanup(&cfg);
    CHECK(cfg.app_id == NULL && cfg.server_url == NULL);
    env_end();
}

static void
test_every_flag(void)
{
    char *argv[] = {
        "parsec",
        "--appId", "A",
        "--masterKey", "M",
        "--readOnlyMasterKey", "RO",
        "--clientKey", "CK",
        "--javascriptKey", "JK",
        "--restAPIKey", "RK",
        "--dotNetKey", "DK",
        "--serverURL", "https://api.example.com/p",
        "--mountPath", "/p",
        "--databaseURI", "/var/db/x.sqlite",
        "--host", "0.0.0.0",
        "--port", "8080",
        "--allowClientClassCreation", "true",
        "--allowCustomObjectId", "yes",
        "--maxUploadSize", "5mb",
        "--maxObjectSize", "64kb",
        "--maxLimit", "500",
        "--batchRequestLimit", "25",
        "--threads", "3",
        "--verbose", "1",
    };
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "A");
    CHECK_STR(cfg.master_key, "M");
    CHECK_STR(cfg.read_only_master_key, "RO");
    CHECK_STR(cfg.client_key, "CK");
    CHECK_STR(cfg.javascript_key, "JK");
    CHECK_STR(cfg.rest_api_key, "RK");
    CHECK_STR(cfg.dotnet_key, "DK");
    CHECK_STR(cfg.server_url, "https://api.example.com/p");
    CHECK_STR(cfg.mount_path, "/p");
    CHECK_STR(cfg.database_uri, "/var/db/x.sqlite");
    CHECK_STR(cfg.host, "0.0.0.0");
    CHECK(cfg.port == 8080);
    CHECK(cfg.allow_client_class_creation);
    CHECK(cfg.allow_custom_object_id);
    CHECK(cfg.max_upload_size == 5u * 1024 * 1024);
    CHECK(cfg.max_object_size == 64u * 1024);
    CHECK(cfg.max_limit == 500);
    CHECK(cfg.batch_request_limit == 25);
    CHECK(cfg.threads == 3);
    CHECK(cfg.verbose);
    config_cleanup(&cfg);
    env_end();
}

static void
test_equals_form(void)
{
    char *argv[] = {"parsec", "--appId=A", "--masterKey=k=v",
                    "--port=9000", "--mountPath=/api/", "--verbose=true"};
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "A");
    CHECK_STR(cfg.master_key, "k=v");  /* only the first '=' splits */
    CHECK(cfg.port == 9000);
    CHECK_STR(cfg.mount_path, "/api");
    CHECK_STR(cfg.server_url, "http://localhost:9000/api");
    CHECK(cfg.verbose);
    config_cleanup(&cfg);
    env_end();
}

static void
test_mixed_forms(void)
{
    /* an --x=y flag must not swallow the flag after it */
    char *argv[] = {"parsec", "--appId=A", "--masterKey", "M",
                    "--port=1", "--host", "h", "--threads=2"};
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "A");
    CHECK_STR(cfg.master_key, "M");
    CHECK(cfg.port == 1);
    CHECK_STR(cfg.host, "h");
    CHECK(cfg.threads == 2);
    config_cleanup(&cfg);
    env_end();
}

static void
test_equals_form_empty_value(void)
{
    char *argv[] = {"parsec", "--appId=", "--masterKey=M"};

    env_begin();
    CHECK(load_rc(ARGC(argv), argv) == -1);  /* appId is empty */
    env_end();
}

static void
test_last_flag_wins(void)
{
    char *argv[] = {"parsec", "--appId", "one", "--masterKey", "M",
                    "--appId", "two"};
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "two");
    config_cleanup(&cfg);
    env_end();
}

/* ----------------------------------------------------- environment */

static void
test_env_vars(void)
{
    char *argv[] = {"parsec"};
    config_t cfg;

    env_begin();
    setenv("PARSE_SERVER_APPLICATION_ID", "envApp", 1);
    setenv("PARSE_SERVER_MASTER_KEY", "envMaster", 1);
    setenv("PARSE_SERVER_REST_API_KEY", "envRest", 1);
    setenv("PORT", "4321", 1);
    setenv("PARSE_SERVER_MOUNT_PATH", "/env/", 1);
    setenv("PARSE_SERVER_MAX_UPLOAD_SIZE", "1mb", 1);
    setenv("PARSE_SERVER_MAX_OBJECT_SIZE", "1000", 1);
    setenv("PARSE_SERVER_ALLOW_CLIENT_CLASS_CREATION", "yes", 1);
    setenv("PARSE_SERVER_REQUEST_COMPLEXITY_BATCH_REQUEST_LIMIT", "50", 1);
    setenv("PARSE_SERVER_MAX_LIMIT", "100", 1);
    setenv("PARSEC_THREADS", "6", 1);
    setenv("VERBOSE", "1", 1);
    setenv("PARSE_SERVER_DATABASE_URI", "sqlite:env.db", 1);
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "envApp");
    CHECK_STR(cfg.master_key, "envMaster");
    CHECK_STR(cfg.rest_api_key, "envRest");
    CHECK(cfg.port == 4321);
    CHECK_STR(cfg.mount_path, "/env");
    CHECK_STR(cfg.server_url, "http://localhost:4321/env");
    CHECK(cfg.max_upload_size == 1024u * 1024);
    CHECK(cfg.max_object_size == 1000);
    CHECK(cfg.allow_client_class_creation);
    CHECK(cfg.batch_request_limit == 50);
    CHECK(cfg.max_limit == 100);
    CHECK(cfg.threads == 6);
    CHECK(cfg.verbose);
    CHECK_STR(cfg.database_uri, "sqlite:env.db");
    config_cleanup(&cfg);
    env_end();
}

static void
test_env_bad_value_is_error(void)
{
    char *argv[] = {"parsec", "--appId", "A", "--masterKey", "M"};

    env_begin();
    setenv("PORT", "abc", 1);
    CHECK(load_rc(ARGC(argv), argv) == -1);
    unsetenv("PORT");
    setenv("PARSE_SERVER_ALLOW_CUSTOM_OBJECT_ID", "perhaps", 1);
    CHECK(load_rc(ARGC(argv), argv) == -1);
    unsetenv("PARSE_SERVER_ALLOW_CUSTOM_OBJECT_ID");
    setenv("PARSE_SERVER_MAX_UPLOAD_SIZE", "lots", 1);
    CHECK(load_rc(ARGC(argv), argv) == -1);
    env_end();
}

/* ----------------------------------------------------- config file */

static void
test_config_file(void)
{
    char path[64];
    config_t cfg;

    env_begin();
    write_temp(path,
               "{\"appId\":\"fileApp\",\"masterKey\":\"fileKey\","
               "\"port\":4000,\"allowCustomObjectId\":true,"
               "\"maxUploadSize\":\"5mb\",\"maxObjectSize\":2048,"
               "\"mountPath\":\"/x/\",\"serverURL\":\"https://h.example/x/\","
               "\"requestComplexity\":{\"batchRequestLimit\":20},"
               "\"someParseServerOption\":{\"nested\":[1,2]},"
               "\"databaseURI\":\"file.sqlite\"}");
    {
        char *argv[] = {"parsec", path};

        CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    }
    CHECK_STR(cfg.app_id, "fileApp");
    CHECK_STR(cfg.master_key, "fileKey");
    CHECK(cfg.port == 4000);
    CHECK(cfg.allow_custom_object_id);
    CHECK(cfg.max_upload_size == 5u * 1024 * 1024);
    CHECK(cfg.max_object_size == 2048);
    CHECK_STR(cfg.mount_path, "/x");
    CHECK_STR(cfg.server_url, "https://h.example/x");
    CHECK(cfg.batch_request_limit == 20);
    CHECK_STR(cfg.database_uri, "file.sqlite");
    config_cleanup(&cfg);
    unlink(path);
    env_end();
}

static void
test_config_file_string_numbers(void)
{
    char path[64];
    config_t cfg;

    env_begin();
    write_temp(path, "{\"appId\":\"a\",\"masterKey\":\"m\",\"port\":\"8081\","
                     "\"verbose\":\"yes\"}");
    {
        char *argv[] = {"parsec", path};

        CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    }
    CHECK(cfg.port == 8081);
    CHECK(cfg.verbose);
    config_cleanup(&cfg);
    unlink(path);
    env_end();
}

static void
test_config_file_errors(void)
{
    static const char *const bad[] = {
        "{\"appId\":\"a\",\"masterKey\":\"m\"",            /* not JSON */
        "[\"appId\",\"a\"]",                               /* not an object */
        "{\"appId\":\"a\",\"masterKey\":\"m\",\"port\":[1]}",  /* wrong type */
        "{\"appId\":\"a\",\"masterKey\":\"m\",\"port\":{}}",
        "{\"appId\":\"a\",\"masterKey\":\"m\",\"port\":\"x\"}",   /* bad value */
        "{\"appId\":\"a\",\"masterKey\":\"m\",\"verbose\":\"x\"}",
        "{\"appId\":\"a\",\"masterKey\":\"m\","
        "\"requestComplexity\":{\"batchRequestLimit\":\"many\"}}",
        "{\"masterKey\":\"m\"}",                           /* no appId */
    };

    env_begin();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[64];

        write_temp(path, bad[i]);
        {
            char *argv[] = {"parsec", path};
            int rc = load_rc(ARGC(argv), argv);

            CHECK(rc == -1);
            if (rc != -1)
                fprintf(stderr, "  config file %s was accepted\n", bad[i]);
        }
        unlink(path);
    }
    {
        char *argv[] = {"parsec", "/nonexistent/parsec-unit/config.json",
                        "--appId", "a", "--masterKey", "m"};

        CHECK(load_rc(ARGC(argv), argv) == -1);
    }
    env_end();
}

static void
test_two_config_files_is_error(void)
{
    char a[64], b[64];

    env_begin();
    write_temp(a, "{\"appId\":\"a\",\"masterKey\":\"m\"}");
    write_temp(b, "{\"appId\":\"b\",\"masterKey\":\"m\"}");
    {
        char *argv[] = {"parsec", a, b};

        CHECK(load_rc(ARGC(argv), argv) == -1);
    }
    unlink(a);
    unlink(b);
    env_end();
}

/* ------------------------------------------------------ precedence */

static void
test_precedence_flag_file_env(void)
{
    char path[64];
    config_t cfg;

    env_begin();
    setenv("PARSE_SERVER_APPLICATION_ID", "envApp", 1);
    setenv("PARSE_SERVER_MASTER_KEY", "envKey", 1);
    setenv("PORT", "1111", 1);
    setenv("PARSE_SERVER_HOST", "envHost", 1);
    write_temp(path, "{\"appId\":\"fileApp\",\"port\":2222,"
                     "\"host\":\"fileHost\",\"clientKey\":\"fileCK\"}");
    {
        /* the flag comes before the file on the command line, and still
         * beats it */
        char *argv[] = {"parsec", "--host", "flagHost", path};

        CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    }
    CHECK_STR(cfg.app_id, "fileApp");    /* file over env */
    CHECK_STR(cfg.master_key, "envKey"); /* env when nothing else */
    CHECK(cfg.port == 2222);             /* file over env */
    CHECK_STR(cfg.host, "flagHost");     /* flag over file and env */
    CHECK_STR(cfg.client_key, "fileCK");
    config_cleanup(&cfg);
    unlink(path);
    env_end();
}

static void
test_precedence_flag_over_env(void)
{
    char *argv[] = {"parsec", "--masterKey=flagKey", "--port", "3333"};
    config_t cfg;

    env_begin();
    setenv("PARSE_SERVER_APPLICATION_ID", "envApp", 1);
    setenv("PARSE_SERVER_MASTER_KEY", "envKey", 1);
    setenv("PORT", "1111", 1);
    CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
    CHECK_STR(cfg.app_id, "envApp");
    CHECK_STR(cfg.master_key, "flagKey");
    CHECK(cfg.port == 3333);
    config_cleanup(&cfg);
    env_end();
}

/* -------------------------------------------------- required, help */

static void
test_missing_required(void)
{
    char *no_app[] = {"parsec", "--masterKey", "M"};
    char *no_key[] = {"parsec", "--appId", "A"};
    char *nothing[] = {"parsec"};
    char *empty_key[] = {"parsec", "--appId", "A", "--masterKey", ""};

    env_begin();
    CHECK(load_rc(ARGC(no_app), no_app) == -1);
    CHECK(load_rc(ARGC(no_key), no_key) == -1);
    CHECK(load_rc(ARGC(nothing), nothing) == -1);
    CHECK(load_rc(ARGC(empty_key), empty_key) == -1);
    setenv("PARSE_SERVER_APPLICATION_ID", "", 1);
    CHECK(load_rc(ARGC(no_app), no_app) == -1);
    env_end();
}

static void
test_help_and_version(void)
{
    char *help[] = {"parsec", "--help"};
    char *h[] = {"parsec", "-h"};
    char *version[] = {"parsec", "--version"};
    /* help wins even when the required settings are missing or later
     * flags are bad */
    char *help_late[] = {"parsec", "--port", "80", "--help", "--nope"};

    int rc_help, rc_h, rc_version, rc_help_late, saved;

    env_begin();
    saved = stdout_mute();
    rc_help = load_rc(ARGC(help), help);
    rc_h = load_rc(ARGC(h), h);
    rc_version = load_rc(ARGC(version), version);
    rc_help_late = load_rc(ARGC(help_late), help_late);
    stdout_restore(saved);
    CHECK(rc_help == 1);
    CHECK(rc_h == 1);
    CHECK(rc_version == 1);
    CHECK(rc_help_late == 1);
    env_end();
}

static void
test_usage_lists_options(void)
{
    FILE *f = tmpfile();
    char buf[8192];
    size_t n;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    config_usage(f);
    rewind(f);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    CHECK(strstr(buf, "--appId") != NULL);
    CHECK(strstr(buf, "PARSE_SERVER_APPLICATION_ID") != NULL);
    CHECK(strstr(buf, "--masterKey") != NULL);
    CHECK(strstr(buf, "--maxUploadSize") != NULL);
    CHECK(strstr(buf, "PARSE_SERVER_REQUEST_COMPLEXITY_BATCH_REQUEST_LIMIT") !=
          NULL);
    CHECK(strstr(buf, "--help") != NULL);
    CHECK(strstr(buf, "--version") != NULL);
}

/* ------------------------------------------------------ bad values */

static void
test_bad_flag_values(void)
{
    static const char *const cases[][2] = {
        {"--port", "abc"},
        {"--port", "70000"},
        {"--port", "-5"},
        {"--port", "-1"},
        {"--port", "80x"},
        {"--port", ""},
        {"--maxUploadSize", "0"},
        {"--maxUploadSize", "abc"},
        {"--maxObjectSize", "12qb"},
        {"--verbose", "maybe"},
        {"--allowClientClassCreation", "2"},
        {"--threads", "many"},
        {"--maxLimit", "1.5"},
        {"--mountPath", "parse"},
    };

    env_begin();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"parsec", "--appId", "A", "--masterKey", "M",
                        (char *)cases[i][0], (char *)cases[i][1]};
        int rc = load_rc(ARGC(argv), argv);

        CHECK(rc == -1);
        if (rc != -1)
            fprintf(stderr, "  %s %s was accepted\n", cases[i][0],
                    cases[i][1]);
    }
    env_end();
}

static void
test_unknown_or_incomplete_flag(void)
{
    char *unknown[] = {"parsec", "--appId", "A", "--masterKey", "M",
                       "--noSuchOption", "x"};
    char *unknown_eq[] = {"parsec", "--appId", "A", "--masterKey", "M",
                          "--noSuchOption=x"};
    char *no_value[] = {"parsec", "--appId", "A", "--masterKey", "M",
                        "--port"};

    env_begin();
    CHECK(load_rc(ARGC(unknown), unknown) == -1);
    CHECK(load_rc(ARGC(unknown_eq), unknown_eq) == -1);
    CHECK(load_rc(ARGC(no_value), no_value) == -1);
    env_end();
}

/* ------------------------------------------- derived settings */

static void
test_mount_path_normalised(void)
{
    static const char *const cases[][3] = {
        /* mountPath, mount_path, server_url */
        {"/parse/", "/parse", "http://localhost:1337/parse"},
        {"/a/b//", "/a/b", "http://localhost:1337/a/b"},
        {"/", "", "http://localhost:1337"},
        {"///", "", "http://localhost:1337"},
        {"/v1", "/v1", "http://localhost:1337/v1"},
    };

    env_begin();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {"parsec", "--appId", "A", "--masterKey", "M",
                        "--mountPath", (char *)cases[i][0]};
        config_t cfg;

        CHECK(config_load(&cfg, ARGC(argv), argv) == 0);
        CHECK_STR(cfg.mount_path, cases[i][1]);
        CHECK_STR(cfg.server_url, cases[i][2]);
        config_cleanup(&cfg);
    }
    env_end();
}

static void
test_server_url(void)
{
    char *dflt[] = {"parsec", "--appId", "A", "--masterKey", "M",
                    "--port", "8080"};
    char *given[] = {"parsec", "--appId", "A", "--masterKey", "M",
                     "--serverURL", "https://example.com/parse//"};
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(dflt), dflt) == 0);
    CHECK_STR(cfg.server_url, "http://localhost:8080/parse");
    config_cleanup(&cfg);
    CHECK(config_load(&cfg, ARGC(given), given) == 0);
    CHECK_STR(cfg.server_url, "https://example.com/parse");
    CHECK_STR(cfg.mount_path, "/parse");  /* independent of serverURL */
    config_cleanup(&cfg);
    env_end();
}

static void
test_port_bounds(void)
{
    char *zero[] = {"parsec", "--appId", "A", "--masterKey", "M",
                    "--port", "0"};
    char *top[] = {"parsec", "--appId", "A", "--masterKey", "M",
                   "--port", "65535"};
    char *over[] = {"parsec", "--appId", "A", "--masterKey", "M",
                    "--port", "65536"};
    config_t cfg;

    env_begin();
    CHECK(config_load(&cfg, ARGC(zero), zero) == 0);
    CHECK(cfg.port == 0);
    config_cleanup(&cfg);
    CHECK(config_load(&cfg, ARGC(top), top) == 0);
    CHECK(cfg.port == 65535);
    config_cleanup(&cfg);
    CHECK(load_rc(ARGC(over), over) == -1);
    env_end();
}

const unit_case_t unit_config_cases[] = {
    {"minimal_flags_and_defaults", test_minimal_flags_and_defaults},
    {"every_flag", test_every_flag},
    {"equals_form", test_equals_form},
    {"mixed_forms", test_mixed_forms},
    {"equals_form_empty_value", test_equals_form_empty_value},
    {"last_flag_wins", test_last_flag_wins},
    {"env_vars", test_env_vars},
    {"env_bad_value_is_error", test_env_bad_value_is_error},
    {"config_file", test_config_file},
    {"config_file_string_numbers", test_config_file_string_numbers},
    {"config_file_errors", test_config_file_errors},
    {"two_config_files_is_error", test_two_config_files_is_error},
    {"precedence_flag_file_env", test_precedence_flag_file_env},
    {"precedence_flag_over_env", test_precedence_flag_over_env},
    {"missing_required", test_missing_required},
    {"help_and_version", test_help_and_version},
    {"usage_lists_options", test_usage_lists_options},
    {"bad_flag_values", test_bad_flag_values},
    {"unknown_or_incomplete_flag", test_unknown_or_incomplete_flag},
    {"mount_path_normalised", test_mount_path_normalised},
    {"server_url", test_server_url},
    {"port_bounds", test_port_bounds},
    {NULL, NULL},
};
