/* ch06_inline.c - exercise 6.2: inline commands with Redis's quoting rules
 * (exercises/ch06/inline_quote.c). */
#include "inline_quote.h"
#include "test_util.h"

#include <string.h>

/* Split a literal; fail with the function's own message if it refuses. */
static inline_args split(const char *line, size_t len)
{
    inline_args a;
    char err[160] = "";
    int rc = inline_split_quoted(line, len, &a, err, sizeof err);
    ck_assert_msg(rc == 0, "inline_split_quoted(\"%s\") failed: %s", line, err);
    return a;
}
#define SPLIT(lit) split(lit, sizeof(lit) - 1)
#define ARG(a, i, lit) ck_assert_bytes_str((a).argv[i], (a).lens[i], lit)

START_TEST(plain_words)
{
    inline_args a = SPLIT("  SET\tkey  value ");
    ck_assert_uint_eq(a.argc, 3);
    ARG(a, 0, "SET");
    ARG(a, 1, "key");
    ARG(a, 2, "value");
    inline_args_free(&a);
    a = SPLIT("   ");
    ck_assert_uint_eq(a.argc, 0);
    inline_args_free(&a);
}
END_TEST

START_TEST(double_quotes)
{
    inline_args a = SPLIT("SET k \"hello world\"");
    ck_assert_uint_eq(a.argc, 3);
    ARG(a, 2, "hello world");
    inline_args_free(&a);

    a = SPLIT("\"\\x41\\x00\\n\\r\\t\\\\\\\"\" \"\"");
    ck_assert_uint_eq(a.argc, 2);
    ARG(a, 0, "A\0\n\r\t\\\"");
    ARG(a, 1, "");
    inline_args_free(&a);

    a = SPLIT("\"\\xZZ\\q\"");                /* not hex: plain characters */
    ARG(a, 0, "xZZq");
    inline_args_free(&a);

    a = SPLIT("a\"b c\"");                    /* a quote inside a word */
    ck_assert_uint_eq(a.argc, 1);
    ARG(a, 0, "ab c");
    inline_args_free(&a);
}
END_TEST

START_TEST(single_quotes)
{
    inline_args a = SPLIT("'it\\'s' 'a\\nb' '\"'");
    ck_assert_uint_eq(a.argc, 3);
    ARG(a, 0, "it's");
    ARG(a, 1, "a\\nb");
    ARG(a, 2, "\"");
    inline_args_free(&a);
}
END_TEST

START_TEST(errors)
{
    const char *cases[] = { "SET k \"abc", "'abc", "\"abc\"def", "'a'b",
                            "\"a\\\"" };
    inline_args good = SPLIT("'ok'");  /* refusing everything is no answer */
    inline_args_free(&good);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inline_args a;
        char err[160] = "";
        int rc = inline_split_quoted(cases[i], strlen(cases[i]), &a, err, sizeof err);
        ck_assert_msg(rc == -1, "inline_split_quoted(\"%s\") should fail "
                      "(exercise 6.2, exercises/ch06/inline_quote.c)", cases[i]);
        ck_assert_msg(strstr(err, "quote") != NULL,
                      "the error for \"%s\" should mention the quote: \"%s\"",
                      cases[i], err);
        ck_assert_uint_eq(a.argc, 0);
    }
}
END_TEST

Suite *ex06_inline_suite(void)
{
    Suite *s = suite_create("ex06_inline");
    TCase *tc = test_tcase("inline", 10);
    tcase_add_test(tc, plain_words);
    tcase_add_test(tc, double_quotes);
    tcase_add_test(tc, single_quotes);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return s;
}
