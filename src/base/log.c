/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c: see log.h. Each line is formatted into a stack buffer and written
 * with one write(2), so lines from several processes sharing a terminal do
 * not interleave mid-line.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int cr_log_level_current = CR_LOG_INFO;
static const char *log_ident = "corral";

void
cr_log_set_level(enum cr_log_level level)
{
    cr_log_level_current = (int)level;
}

void
cr_log_set_ident(const char *ident)
{
    log_ident = ident;
}

int
cr_log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        enum cr_log_level level;
    } names[] = {
        {"ERROR", CR_LOG_ERROR}, {"WARNING", CR_LOG_WARN},
        {"WARN", CR_LOG_WARN},   {"INFO", CR_LOG_INFO},
        {"DEBUG", CR_LOG_DEBUG},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i].name) == 0)
            return (int)names[i].level;
    return -1;
}

void
cr_log_write(enum cr_log_level level, const char *fmt, ...)
{
    static const char letters[] = "EWID";
    char line[2048];
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "%c%02d%02d %02d:%02d:%02d.%06ld %s: ", letters[level & 3],
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long)tv.tv_usec, log_ident);
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
