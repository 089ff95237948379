/* SPDX-License-Identifier: MIT */
/*
 * test_util.c - ISO dates, ids, number/size/bool parsing, names, sbuf.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util.h"

/* ms since the epoch of s, or INT64_MIN when util_parse_iso rejects it. */
static int64_t
iso(const char *s)
{
    int64_t ms = 0;

    return util_parse_iso(s, &ms) == 0 ? ms : INT64_MIN;
}

/* ---------------------------------------------------------- parse_iso */

static void
test_parse_iso_utc_z(void)
{
    CHECK(iso("1970-01-01T00:00:00.000Z") == 0);
    CHECK(iso("2020-01-01T00:00:00Z") == 1577836800000LL);
    CHECK(iso("2020-01-01T00:00:00.000Z") == 1577836800000LL);
    CHECK(iso("2000-01-01T00:00:00Z") == 946684800000LL);
    CHECK(iso("2021-06-15T13:45:30.250Z") == 1623764730250LL);
    /* lower-case separators and zone, as JavaScript accepts */
    CHECK(iso("2020-01-01t00:00:00z") == 1577836800000LL);
    /* a space instead of T */
    CHECK(iso("2020-01-01 00:00:00Z") == 1577836800000LL);
    /* seconds are optional */
    CHECK(iso("2020-01-01T10:30Z") == 1577836800000LL + 37800000LL);
}

static void
test_parse_iso_offsets(void)
{
    /* 12:00 at +02:00 is 10:00 UTC */
    CHECK(iso("2020-01-01T12:00:00+02:00") ==
          iso("2020-01-01T10:00:00Z"));
    /* 12:00 at -05:30 is 17:30 UTC; the colon is optional */
    CHECK(iso("2020-01-01T12:00:00-0530") ==
          iso("2020-01-01T17:30:00Z"));
    CHECK(iso("2020-01-01T12:00:00-05:30") ==
          iso("2020-01-01T17:30:00Z"));
    /* an offset can move the instant across a day boundary */
    CHECK(iso("2020-01-01T00:00:00+0530") ==
          iso("2019-12-31T18:30:00Z"));
    CHECK(iso("2020-01-01T12:00:00+00:00") ==
          iso("2020-01-01T12:00:00Z"));
    CHECK(iso("2020-01-01T12:00:00.5+01:00") ==
          iso("2020-01-01T11:00:00.500Z"));
}

static void
test_parse_iso_bad_offsets(void)
{
    CHECK(iso("2020-01-01T12:00:00+24:00") == INT64_MIN);
    CHECK(iso("2020-01-01T12:00:00+02:60") == INT64_MIN);
    CHECK(iso("2020-01-01T12:00:00+2") == INT64_MIN);
    CHECK(iso("2020-01-01T12:00:00+") == INT64_MIN);
    CHECK(iso("2020-01-01T12:00:00+02:0") == INT64_MIN);
}

static void
test_parse_iso_no_zone_is_utc(void)
{
    CHECK(iso("2020-01-01T00:00:00") == 1577836800000LL);
    CHECK(iso("2020-01-01T08:15:00.125") ==
          iso("2020-01-01T08:15:00.125Z"));
}

static void
test_parse_iso_date_only(void)
{
    CHECK(iso("2020-01-01") == 1577836800000LL);
    CHECK(iso("1970-01-01") == 0);
    CHECK(iso("1969-12-31") == -86400000LL);
    CHECK(iso("2020-03-01") - iso("2020-02-28") == 2 * 86400000LL);
}

static void
test_parse_iso_fraction(void)
{
    CHECK(iso("2020-01-01T00:00:00.1Z") == 1577836800100LL);
    CHECK(iso("2020-01-01T00:00:00.12Z") == 1577836800120LL);
    CHECK(iso("2020-01-01T00:00:00.123Z") == 1577836800123LL);
    /* digits beyond milliseconds are dropped, not rounded */
    CHECK(iso("2020-01-01T00:00:00.123456Z") == 1577836800123LL);
    CHECK(iso("2020-01-01T00:00:00.999999999Z") == 1577836800999LL);
    /* a dot needs at least one digit */
    CHECK(iso("2020-01-01T00:00:00.Z") == INT64_MIN);
    /* a fraction needs seconds before it */
    CHECK(iso("2020-01-01T00:00.5Z") == INT64_MIN);
}

static void
test_parse_iso_month_day_ranges(void)
{
    CHECK(iso("2020-00-10") == INT64_MIN);
    CHECK(iso("2020-13-10") == INT64_MIN);
    CHECK(iso("2020-01-00") == INT64_MIN);
    CHECK(iso("2020-01-32") == INT64_MIN);
    CHECK(iso("2020-04-31") == INT64_MIN);
    CHECK(iso("2020-06-31") == INT64_MIN);
    CHECK(iso("2020-09-31") == INT64_MIN);
    CHECK(iso("2020-11-31") == INT64_MIN);
    CHECK(iso("2020-12-31") != INT64_MIN);
    CHECK(iso("2020-04-30") != INT64_MIN);
}

static void
test_parse_iso_leap_years(void)
{
    CHECK(iso("2024-02-29") != INT64_MIN);  /* divisible by 4 */
    CHECK(iso("2023-02-29") == INT64_MIN);
    CHECK(iso("2000-02-29") != INT64_MIN);  /* divisible by 400 */
    CHECK(iso("1900-02-29") == INT64_MIN);  /* by 100 but not 400 */
    CHECK(iso("2100-02-29") == INT64_MIN);
    CHECK(iso("2024-02-30") == INT64_MIN);
    CHECK(iso("2023-02-28") != INT64_MIN);
    CHECK(iso("2024-03-01") - iso("2024-02-28") == 2 * 86400000LL);
    CHECK(iso("2023-03-01") - iso("2023-02-28") == 86400000LL);
}

static void
test_parse_iso_time_ranges(void)
{
    CHECK(iso("2020-01-01T25:00:00Z") == INT64_MIN);
    CHECK(iso("2020-01-01T23:60:00Z") == INT64_MIN);
    CHECK(iso("2020-01-01T23:59:60Z") == INT64_MIN);
    CHECK(iso("2020-01-01T23:59:59Z") != INT64_MIN);
    /* 24:00 is the end of the day, as in ECMAScript */
    CHECK(iso("2020-01-01T24:00:00Z") == iso("2020-01-02T00:00:00Z"));
    CHECK(iso("2020-01-01T24:00:01Z") == INT64_MIN);
    CHECK(iso("2020-01-01T24:00:00.001Z") == INT64_MIN);
}

static void
test_parse_iso_garbage(void)
{
    CHECK(iso("") == INT64_MIN);
    CHECK(iso("abc") == INT64_MIN);
    CHECK(iso("2020") == INT64_MIN);
    CHECK(iso("2020-01") == INT64_MIN);
    CHECK(iso("2020-1-01") == INT64_MIN);
    CHECK(iso("20200101") == INT64_MIN);
    CHECK(iso("2020/01/01") == INT64_MIN);
    CHECK(iso("2020-01-01T") == INT64_MIN);
    CHECK(iso("2020-01-01T10") == INT64_MIN);
    CHECK(iso("2020-01-01T1:00:00Z") == INT64_MIN);
    CHECK(iso("not a date at all") == INT64_MIN);
    CHECK(iso(" 2020-01-01") == INT64_MIN);
}

static void
test_parse_iso_trailing_chars(void)
{
    CHECK(iso("2020-01-01x") == INT64_MIN);
    CHECK(iso("2020-01-01 ") == INT64_MIN);
    CHECK(iso("2020-01-01T00:00:00Zjunk") == INT64_MIN);
    CHECK(iso("2020-01-01T00:00:00ZZ") == INT64_MIN);
    CHECK(iso("2020-01-01T00:00:00+02:00x") == INT64_MIN);
    CHECK(iso("2020-01-01T00:00:00.123Z ") == INT64_MIN);
}

static void
test_parse_iso_failure_leaves_output(void)
{
    int64_t ms = 42;

    CHECK(util_parse_iso("2020-02-30", &ms) == -1);
    CHECK(ms == 42);
    CHECK(util_parse_iso("garbage", &ms) == -1);
    CHECK(ms == 42);
    CHECK(util_parse_iso("1970-01-01T00:00:01Z", &ms) == 0);
    CHECK(ms == 1000);
}

/* --------------------------------------------------------- format_iso */

static void
test_format_iso_known_values(void)
{
    char out[32];

    util_format_iso(0, out);
    CHECK_STR(out, "1970-01-01T00:00:00.000Z");
    util_format_iso(1577836800123LL, out);
    CHECK_STR(out, "2020-01-01T00:00:00.123Z");
    util_format_iso(951782400000LL, out);
    CHECK_STR(out, "2000-02-29T00:00:00.000Z");
    util_format_iso(253402300799999LL, out);
    CHECK_STR(out, "9999-12-31T23:59:59.999Z");
}

static void
test_format_iso_negative_ms(void)
{
    char out[32];

    util_format_iso(-1, out);
    CHECK_STR(out, "1969-12-31T23:59:59.999Z");
    util_format_iso(-1500, out);
    CHECK_STR(out, "1969-12-31T23:59:58.500Z");
    util_format_iso(-1000, out);
    CHECK_STR(out, "1969-12-31T23:59:59.000Z");
    util_format_iso(-86400000LL, out);
    CHECK_STR(out, "1969-12-31T00:00:00.000Z");
    util_format_iso(-14182940000LL, out);  /* Apollo 11 landing */
    CHECK_STR(out, "1969-07-20T20:17:40.000Z");
}

static void
test_format_iso_round_trip(void)
{
    static const char *const dates[] = {
        "1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z",
        "1969-07-20T20:17:40.500Z", "1900-02-28T12:34:56.789Z",
        "1600-03-01T00:00:00.001Z", "0001-01-01T00:00:00.000Z",
        "2000-02-29T23:59:59.999Z", "2038-01-19T03:14:08.000Z",
        "2024-12-31T23:59:59.001Z", "9999-12-31T23:59:59.999Z",
    };

    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        int64_t ms = 0;
        char out[32];

        CHECK(util_parse_iso(dates[i], &ms) == 0);
        util_format_iso(ms, out);
        CHECK_STR(out, dates[i]);
    }
}

static void
test_format_iso_normalises_offset(void)
{
    int64_t ms = 0;
    char out[32];

    CHECK(util_parse_iso("2020-01-01T01:00:00.5+02:00", &ms) == 0);
    util_format_iso(ms, out);
    CHECK_STR(out, "2019-12-31T23:00:00.500Z");
}

/* ---------------------------------------------------------- random id */

static bool
all_alnum(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    }
    return true;
}

static void
test_random_id_length_and_alphabet(void)
{
    char id[64];

    memset(id, 'X', sizeof(id));
    CHECK(util_random_id(id, 10) == 0);
    CHECK(strlen(id) == 10);
    CHECK(all_alnum(id));

    CHECK(util_random_id(id, 63) == 0);
    CHECK(strlen(id) == 63);
    CHECK(all_alnum(id));

    CHECK(util_random_id(id, 0) == 0);
    CHECK(id[0] == '\0');
}

static void
test_random_id_differs(void)
{
    char a[11], b[11];

    CHECK(util_random_id(a, 10) == 0);
    CHECK(util_random_id(b, 10) == 0);
    CHECK(strcmp(a, b) != 0);
}

static void
test_random_id_uses_whole_alphabet(void)
{
    /* 4000 characters cover all 62 symbols with overwhelming odds, and
     * would expose an id generator stuck on a sub-range. */
    static char big[4001];
    bool seen[128] = {false};
    int distinct = 0;

    CHECK(util_random_id(big, 4000) == 0);
    CHECK(strlen(big) == 4000);
    for (size_t i = 0; i < 4000; i++)
        seen[(unsigned char)big[i] & 127] = true;
    for (int c = 0; c < 128; c++)
        distinct += seen[c];
    CHECK(distinct == 62);
    CHECK(all_alnum(big));
}

/* ------------------------------------------------------------ numbers */

static void
test_parse_int_valid(void)
{
    long long v = 0;

    CHECK(util_parse_int("0", &v) == 0 && v == 0);
    CHECK(util_parse_int("42", &v) == 0 && v == 42);
    CHECK(util_parse_int("-17", &v) == 0 && v == -17);
    CHECK(util_parse_int("+5", &v) == 0 && v == 5);
    CHECK(util_parse_int("9223372036854775807", &v) == 0 &&
          v == 9223372036854775807LL);
}

static void
test_parse_int_invalid(void)
{
    long long v = 7;

    CHECK(util_parse_int("", &v) == -1);
    CHECK(util_parse_int(NULL, &v) == -1);
    CHECK(util_parse_int("abc", &v) == -1);
    CHECK(util_parse_int("12abc", &v) == -1);
    CHECK(util_parse_int(" 12", &v) == -1);
    CHECK(util_parse_int("12 ", &v) == -1);
    CHECK(util_parse_int("1.5", &v) == -1);
    CHECK(util_parse_int("9223372036854775808", &v) == -1);
    CHECK(util_parse_int("-", &v) == -1);
    CHECK(v == 7);
}

static void
test_parse_size_units(void)
{
    size_t n = 0;

    CHECK(util_parse_size("20mb", &n) == 0 && n == 20u * 1024 * 1024);
    CHECK(util_parse_size("128kb", &n) == 0 && n == 128u * 1024);
    CHECK(util_parse_size("1gb", &n) == 0 && n == 1024u * 1024 * 1024);
    CHECK(util_parse_size("100", &n) == 0 && n == 100);
    CHECK(util_parse_size("100b", &n) == 0 && n == 100);
    CHECK(util_parse_size("20MB", &n) == 0 && n == 20u * 1024 * 1024);
    CHECK(util_parse_size("2k", &n) == 0 && n == 2048);
    CHECK(util_parse_size("1.5kb", &n) == 0 && n == 1536);
    CHECK(util_parse_size("20 mb", &n) == 0 && n == 20u * 1024 * 1024);
}

static void
test_parse_size_invalid(void)
{
    size_t n = 99;

    CHECK(util_parse_size("abc", &n) == -1);
    CHECK(util_parse_size("0", &n) == -1);
    CHECK(util_parse_size("", &n) == -1);
    CHECK(util_parse_size(NULL, &n) == -1);
    CHECK(util_parse_size("-5", &n) == -1);
    CHECK(util_parse_size("10tb", &n) == -1);
    CHECK(util_parse_size("10mbx", &n) == -1);
    CHECK(util_parse_size("mb", &n) == -1);
    CHECK(util_parse_size("0kb", &n) == -1);
    CHECK(util_parse_size("100gb", &n) == -1);  /* over the 64gb cap */
    CHECK(n == 99);
}

static void
test_parse_bool(void)
{
    bool b;

    b = false;
    CHECK(util_parse_bool("true", &b) == 0 && b);
    b = false;
    CHECK(util_parse_bool("TRUE", &b) == 0 && b);
    b = false;
    CHECK(util_parse_bool("1", &b) == 0 && b);
    b = false;
    CHECK(util_parse_bool("yes", &b) == 0 && b);
    b = true;
    CHECK(util_parse_bool("false", &b) == 0 && !b);
    b = true;
    CHECK(util_parse_bool("False", &b) == 0 && !b);
    b = true;
    CHECK(util_parse_bool("0", &b) == 0 && !b);
    b = true;
    CHECK(util_parse_bool("no", &b) == 0 && !b);

    b = true;
    CHECK(util_parse_bool("", &b) == -1);
    CHECK(util_parse_bool("maybe", &b) == -1);
    CHECK(util_parse_bool("2", &b) == -1);
    CHECK(util_parse_bool("truex", &b) == -1);
    CHECK(util_parse_bool(NULL, &b) == -1);
    CHECK(b == true);
}

static void
test_is_valid_name(void)
{
    CHECK(util_is_valid_name("a"));
    CHECK(util_is_valid_name("GameScore"));
    CHECK(util_is_valid_name("score_2"));
    CHECK(util_is_valid_name("A1_b2"));
    CHECK(!util_is_valid_name(NULL));
    CHECK(!util_is_valid_name(""));
    CHECK(!util_is_valid_name("_User"));
    CHECK(!util_is_valid_name("1abc"));
    CHECK(!util_is_valid_name("a-b"));
    CHECK(!util_is_valid_name("a b"));
    CHECK(!util_is_valid_name("a.b"));
    CHECK(!util_is_valid_name("a$"));
    CHECK(!util_is_valid_name("caf\xc3\xa9"));
}

/* --------------------------------------------------------------- sbuf */

static void
test_sbuf_append(void)
{
    sbuf_t sb;

    sbuf_init(&sb);
    CHECK(sb.len == 0);
    sbuf_append(&sb, "hello");
    sbuf_append(&sb, ", ");
    sbuf_append(&sb, "world");
    CHECK_STR(sb.data, "hello, world");
    CHECK(sb.len == 12);
    sbuf_append_len(&sb, "!??", 1);
    CHECK_STR(sb.data, "hello, world!");
    CHECK(sb.len == 13);
    sbuf_append(&sb, "");
    CHECK(sb.len == 13);
    sbuf_cleanup(&sb);
    CHECK(sb.data == NULL && sb.len == 0 && sb.cap == 0);
}

static void
test_sbuf_grows(void)
{
    sbuf_t sb;
    char expect[1001];

    sbuf_init(&sb);
    for (int i = 0; i < 1000; i++)
        sbuf_append_len(&sb, &"0123456789"[i % 10], 1);
    for (int i = 0; i < 1000; i++)
        expect[i] = (char)('0' + i % 10);
    expect[1000] = '\0';
    CHECK(sb.len == 1000);
    CHECK(sb.cap > 1000);
    CHECK_STR(sb.data, expect);
    sbuf_cleanup(&sb);
}

static void
test_sbuf_printf(void)
{
    sbuf_t sb;
    char long_arg[300];

    sbuf_init(&sb);
    sbuf_printf(&sb, "%d-%s", 42, "x");
    CHECK_STR(sb.data, "42-x");
    sbuf_printf(&sb, "|%05.1f|", 3.14159);
    CHECK_STR(sb.data, "42-x|003.1|");
    CHECK(sb.len == strlen("42-x|003.1|"));
    memset(long_arg, 'q', sizeof(long_arg) - 1);
    long_arg[sizeof(long_arg) - 1] = '\0';
    sbuf_printf(&sb, "%s", long_arg);
    CHECK(sb.len == strlen("42-x|003.1|") + 299);
    CHECK(strncmp(sb.data + 11, long_arg, 299) == 0);
    CHECK(sb.data[sb.len] == '\0');
    sbuf_cleanup(&sb);
}

static void
test_sbuf_append_ident(void)
{
    sbuf_t sb;

    sbuf_init(&sb);
    sbuf_append_ident(&sb, "name");
    CHECK_STR(sb.data, "\"name\"");
    sbuf_cleanup(&sb);

    sbuf_append_ident(&sb, "a\"b");
    CHECK_STR(sb.data, "\"a\"\"b\"");
    sbuf_cleanup(&sb);

    sbuf_append_ident(&sb, "\"\"");
    CHECK_STR(sb.data, "\"\"\"\"\"\"");
    sbuf_cleanup(&sb);

    sbuf_append_ident(&sb, "");
    CHECK_STR(sb.data, "\"\"");
    sbuf_cleanup(&sb);
}

static void
test_sbuf_take(void)
{
    sbuf_t sb;
    char *s;

    sbuf_init(&sb);
    s = sbuf_take(&sb);  /* nothing appended: still a string */
    CHECK(s != NULL);
    CHECK_STR(s, "");
    free(s);

    sbuf_append(&sb, "abc");
    s = sbuf_take(&sb);
    CHECK_STR(s, "abc");
    CHECK(sb.data == NULL && sb.len == 0 && sb.cap == 0);
    /* the buffer is reusable and independent of the taken string */
    sbuf_append(&sb, "xyz");
    CHECK_STR(sb.data, "xyz");
    CHECK_STR(s, "abc");
    free(s);
    sbuf_cleanup(&sb);
}

const unit_case_t unit_util_cases[] = {
    {"parse_iso_utc_z", test_parse_iso_utc_z},
    {"parse_iso_offsets", test_parse_iso_offsets},
    {"parse_iso_bad_offsets", test_parse_iso_bad_offsets},
    {"parse_iso_no_zone_is_utc", test_parse_iso_no_zone_is_utc},
    {"parse_iso_date_only", test_parse_iso_date_only},
    {"parse_iso_fraction", test_parse_iso_fraction},
    {"parse_iso_month_day_ranges", test_parse_iso_month_day_ranges},
    {"parse_iso_leap_years", test_parse_iso_leap_years},
    {"parse_iso_time_ranges", test_parse_iso_time_ranges},
    {"parse_iso_garbage", test_parse_iso_garbage},
    {"parse_iso_trailing_chars", test_parse_iso_trailing_chars},
    {"parse_iso_failure_leaves_output", test_parse_iso_failure_leaves_output},
    {"format_iso_known_values", test_format_iso_known_values},
    {"format_iso_negative_ms", test_format_iso_negative_ms},
    {"format_iso_round_trip", test_format_iso_round_trip},
    {"format_iso_normalises_offset", test_format_iso_normalises_offset},
    {"random_id_length_and_alphabet", test_random_id_length_and_alphabet},
    {"random_id_differs", test_random_id_differs},
    {"random_id_uses_whole_alphabet", test_random_id_uses_whole_alphabet},
    {"parse_int_valid", test_parse_int_valid},
    {"parse_int_invalid", test_parse_int_invalid},
    {"parse_size_units", test_parse_size_units},
    {"parse_size_invalid", test_parse_size_invalid},
    {"parse_bool", test_parse_bool},
    {"is_valid_name", test_is_valid_name},
    {"sbuf_append", test_sbuf_append},
    {"sbuf_grows", test_sbuf_grows},
    {"sbuf_printf", test_sbuf_printf},
    {"sbuf_append_ident", test_sbuf_append_ident},
    {"sbuf_take", test_sbuf_take},
    {NULL, NULL},
};
