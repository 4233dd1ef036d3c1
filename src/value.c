/* value.c - construction, destruction and expiry of stored values. */
#include "value.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

value *value_new_string(const void *bytes, size_t len, int64_t expire_ms)
{
    if (len > SIZE_MAX - sizeof(value) - 1)
        return NULL;
    value *v = malloc(sizeof *v + len + 1);
    if (v == NULL)
        return NULL;
    v->type = VALUE_STRING;
    v->expire_ms = expire_ms;
    v->u.str.len = len;
    v->u.str.bytes = (unsigned char *)(v + 1);
    if (len > 0)
        memcpy(v->u.str.bytes, bytes, len);
    v->u.str.bytes[len] = '\0';
    return v;
}

void value_free(value *v)
{
    free(v);
}

bool value_is_expired(const value *v, int64_t now_ms)
{
    return v->expire_ms != VALUE_NO_EXPIRY && v->expire_ms <= now_ms;
}

size_t value_bytes(const value *v)
{
    switch (v->type) {
    case VALUE_STRING:
        return sizeof *v + v->u.str.len + 1;
    }
    return sizeof *v;
}

int64_t value_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
