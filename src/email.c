/* SPDX-License-Identifier: MIT */
/*
 * email.c - SMTP through libcurl (see email.h). The message is built
 * whole in memory and fed to curl's upload callback.
 */
#include "email.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define EMAIL_TIMEOUT_S 20L

bool
email_is_configured(const config_t *cfg)
{
    return json_is_string(json_object_get(cfg->email_adapter, "smtpURL")) &&
           cfg->app_name != NULL && cfg->public_server_url != NULL;
}

typedef struct {
    const char *data;
    size_t left;
} email_payload_t;

static size_t
email_on_read(char *buf, size_t size, size_t n, void *ctx)
{
    email_payload_t *p = ctx;
    size_t len = size * n < p->left ? size * n : p->left;

    memcpy(buf, p->data, len);
    p->data += len;
    p->left -= len;
    return len;
}

/* Header values must not carry line breaks a client could inject. */
static bool
email_header_safe(const char *s)
{
    return strpbrk(s, "\r\n") == NULL;
}

int
email_send(const config_t *cfg, const char *to, const char *subject,
           const char *text, perr_t *err)
{
    json_t *ad = cfg->email_adapter;
    const char *url = json_string_value(json_object_get(ad, "smtpURL"));
    const char *from = json_string_value(json_object_get(ad, "from"));
    const char *user = json_string_value(json_object_get(ad, "username"));
    const char *pass = json_string_value(json_object_get(ad, "password"));
    struct curl_slist *rcpt = NULL;
    email_payload_t payload;
    char date[64], addr[512];
    time_t now = time(NULL);
    struct tm tm;
    sbuf_t msg;
    CURL *curl;
    CURLcode rc;

    if (url == NULL)
        return perr_set(err, PERR_INTERNAL, "No email sender is configured.");
    if (from == NULL)
        from = "noreply@localhost";
    if (!email_header_safe(to) || !email_header_safe(subject))
        return perr_set_code(err, 125, 400, "Email address format is invalid.");
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    sbuf_init(&msg);
    sbuf_printf(&msg, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n"
                      "MIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=utf-8\r\n\r\n",
                date, from, to, subject);
    /* Lines are sent CRLF-terminated; a lone "." line is escaped by curl. */
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            sbuf_append(&msg, "\r\n");
        else
            sbuf_append_len(&msg, p, 1);
    }
    sbuf_append(&msg, "\r\n");
    payload.data = msg.data;
    payload.left = msg.len;

    curl = curl_easy_init();
    if (curl == NULL) {
        sbuf_cleanup(&msg);
        return perr_set(err, PERR_INTERNAL, NULL);
    }
    snprintf(addr, sizeof(addr), "<%s>", to);
    rcpt = curl_slist_append(rcpt, addr);
    snprintf(addr, sizeof(addr), "<%s>", from);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, addr);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, email_on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &payload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, EMAIL_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (user != NULL && pass != NULL) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, pass);
        curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    }
    rc = curl_easy_perform(curl);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    sbuf_cleanup(&msg);
    if (rc != CURLE_OK) {
        log_warn("cannot send email through %s: %s", url,
                 curl_easy_strerror(rc));
        return perr_set(err, PERR_INTERNAL, "The email could not be sent.");
    }
    return 0;
}
