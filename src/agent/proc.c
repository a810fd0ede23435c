/* SPDX-License-Identifier: Apache-2.0
 *
 * proc.c: see proc.h.
 */
#include "proc.h"

#include "base/mem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse /proc/<pid>/stat: state and session id. 0 or -1. */
static int
read_stat(pid_t pid, char *state, pid_t *sid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* comm may contain spaces and ')': fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    int ppid, pgrp, session;
    if (p == NULL ||
        sscanf(p + 1, " %c %d %d %d", state, &ppid, &pgrp, &session) != 4)
        return -1;
    *sid = (pid_t)session;
    return 0;
}

int
proc_kill_session(pid_t sid, int sig)
{
    if (sid <= 1)
        return 0;
    int count = 0;
    DIR *d = opendir("/proc");
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!isdigit((unsigned char)de->d_name[0]))
                continue;
            pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
            char state;
            pid_t s;
            if (read_stat(pid, &state, &s) == 0 && s == sid &&
                kill(pid, sig) == 0)
                count++;
        }
        closedir(d);
    }
    kill(-sid, sig);
    return count;
}

bool
proc_is_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return false;
    char state;
    pid_t sid;
    if (read_stat(pid, &state, &sid) != 0)
        return false;
    return state != 'Z' && state != 'X';
}

char *
proc_boot_id(void)
{
    char buf[128];
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f == NULL)
        return NULL;
    char *r = fgets(buf, sizeof(buf), f);
    fclose(f);
    if (r == NULL)
        return NULL;
    buf[strcspn(buf, "\n")] = '\0';
    return cr_xstrdup(buf);
}
