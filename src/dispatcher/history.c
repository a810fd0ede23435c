/* SPDX-License-Identifier: Apache-2.0
 *
 * history.c: a driver's bounded state history (history.h): a ring of
 * DISP_HISTORY_MAX fixed-size entries, allocated with the first one.
 *
 * Threading: none.
 */
#include "history.h"

#include "base/json.h"
#include "base/mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct disp_hist_entry {
    double time;
    enum disp_drv_state state;
    char task_id[DISP_MAX_TASK_ID];
    char task_state[40];
    char message[DISP_HISTORY_TEXT];
};

struct disp_history {
    struct disp_hist_entry e[DISP_HISTORY_MAX];
    size_t first, n; /* ring: e[first] is the oldest of n */
};

/* Copy at most n-1 bytes of src, not cutting a UTF-8 sequence. */
static void
copy_bounded(char *dst, size_t n, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= n) {
        len = n - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    if (len > 0)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

static bool
same_entry(const struct disp_hist_entry *a, const struct disp_hist_entry *b)
{
    return a->state == b->state && strcmp(a->task_id, b->task_id) == 0 &&
           strcmp(a->task_state, b->task_state) == 0 &&
           strcmp(a->message, b->message) == 0;
}

static const struct disp_hist_entry *
entry_at(const struct disp_history *h, size_t i)
{
    return &h->e[(h->first + i) % DISP_HISTORY_MAX];
}

void
disp_driver_note(struct disp_driver *drv, double t, const char *message)
{
    struct disp_hist_entry x;
    memset(&x, 0, sizeof(x));
    x.time = t;
    x.state = drv->state;
    if (drv->state != DISP_QUEUED) {
        copy_bounded(x.task_id, sizeof(x.task_id), drv->task_id);
        copy_bounded(x.task_state, sizeof(x.task_state),
                     cr_json_str(drv->last_status, "state"));
    }
    copy_bounded(x.message, sizeof(x.message), message);
    struct disp_history *h = drv->history;
    if (h == NULL)
        h = drv->history = cr_xcalloc(1, sizeof(*h));
    if (h->n > 0 && same_entry(entry_at(h, h->n - 1), &x))
        return;
    if (h->n == DISP_HISTORY_MAX) {
        h->e[h->first] = x;
        h->first = (h->first + 1) % DISP_HISTORY_MAX;
        return;
    }
    h->e[(h->first + h->n) % DISP_HISTORY_MAX] = x;
    h->n++;
}

size_t
disp_history_len(const struct disp_history *h)
{
    return h ? h->n : 0;
}

json_t *
disp_history_json(const struct disp_history *h)
{
    json_t *a = json_array();
    for (size_t i = 0; i < disp_history_len(h); i++) {
        const struct disp_hist_entry *x = entry_at(h, i);
        json_t *o = json_pack("{s:f, s:s}", "time", x->time, "state",
                              disp_drv_state_name(x->state));
        if (x->task_id[0])
            json_object_set_new(o, "taskId", json_string(x->task_id));
        if (x->task_state[0])
            json_object_set_new(o, "taskState", json_string(x->task_state));
        if (x->message[0])
            json_object_set_new(o, "message", json_string(x->message));
        json_array_append_new(a, o);
    }
    return a;
}

void
disp_history_free(struct disp_history *h)
{
    free(h);
}
