/* SPDX-License-Identifier: Apache-2.0
 *
 * log.h: one-line, leveled logging to stderr.
 *
 * cr_log checks the level before formatting, so debug lines cost nothing
 * when disabled. Lines look like
 *   I1125 08:30:01.123456 master: framework added framework_id=...
 * (glog-like, as Mesos operators expect). Loop thread only.
 */
#ifndef CR_BASE_LOG_H
#define CR_BASE_LOG_H

enum cr_log_level {
    CR_LOG_ERROR = 0,
    CR_LOG_WARN = 1,
    CR_LOG_INFO = 2,
    CR_LOG_DEBUG = 3,
};

extern int cr_log_level_current;

/* Set the process-wide log level; lines above it are dropped. */
void cr_log_set_level(enum cr_log_level level);
/* Parse "ERROR", "WARNING", "INFO", "DEBUG" (any case). -1 if unknown. */
int cr_log_level_parse(const char *name);
/* Set the name printed on each line ("master", "agent"...). Borrowed. */
void cr_log_set_ident(const char *ident);

void cr_log_write(enum cr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define cr_log(level, ...)                                                     \
    do {                                                                       \
        if ((int)(level) <= cr_log_level_current)                              \
            cr_log_write((level), __VA_ARGS__);                                \
    } while (0)

#define cr_error(...) cr_log(CR_LOG_ERROR, __VA_ARGS__)
#define cr_warn(...)  cr_log(CR_LOG_WARN, __VA_ARGS__)
#define cr_info(...)  cr_log(CR_LOG_INFO, __VA_ARGS__)
#define cr_debug(...) cr_log(CR_LOG_DEBUG, __VA_ARGS__)

#endif
