/* SPDX-License-Identifier: Apache-2.0
 *
 * harness.c: see harness.h.
 */
#include "harness.h"

#include "base/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef CR_SCRIPTS_DIR
#error "CR_SCRIPTS_DIR must name the scripts/ folder"
#endif

/* Run scripts/zk-ensemble.sh with args; return its exit status or -1. */
static int
run_script(const char *const *args, size_t n)
{
    const char *argv[8];
    if (n + 2 > sizeof(argv) / sizeof(argv[0]))
        return -1;
    argv[0] = CR_SCRIPTS_DIR "/zk-ensemble.sh";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = args[i];
    argv[n + 1] = NULL;
    pid_t pid;
    /* posix_spawn takes char *const[]; the strings are not modified. */
    char **av = (char **)(uintptr_t)argv;
    if (posix_spawn(&pid, argv[0], NULL, NULL, av, environ) != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
read_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char *ok = fgets(out, (int)cap, f);
    fclose(f);
    if (ok == NULL)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int
zk_ensemble_start(struct zk_ensemble *e, int n)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/corral-zk-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    e->n = n;
    char nstr[8], owner[16];
    snprintf(nstr, sizeof(nstr), "%d", n);
    snprintf(owner, sizeof(owner), "%d", (int)getpid());
    const char *args[] = {"start", e->dir, nstr, "--owner", owner};
    int rc = run_script(args, 5);
    if (rc == 3)
        return HARNESS_SKIP;
    char path[512];
    snprintf(path, sizeof(path), "%s/connect", e->dir);
    if (rc != 0 || read_line(path, e->connect, sizeof(e->connect)) != 0) {
        fprintf(stderr, "zk harness: ensemble did not start (status %d)\n", rc);
        return -1;
    }
    fprintf(stderr, "zk harness: %d server(s) at %s in %s\n", n, e->connect,
            e->dir);
    return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

void
zk_ensemble_stop(struct zk_ensemble *e)
{
    if (e->dir[0] == '\0')
        return;
    const char *args[] = {"stop", e->dir};
    run_script(args, 2);
    const char *keep = getenv("CR_TEST_KEEP");
    if (keep == NULL || strcmp(keep, "1") != 0)
        nftw(e->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    e->dir[0] = '\0';
}

int
zk_ensemble_stop_node(struct zk_ensemble *e, int i)
{
    char istr[8];
    snprintf(istr, sizeof(istr), "%d", i);
    const char *args[] = {"stop-node", e->dir, istr};
    return run_script(args, 3) == 0 ? 0 : -1;
}

int
zk_ensemble_start_node(struct zk_ensemble *e, int i)
{
    char istr[8];
    snprintf(istr, sizeof(istr), "%d", i);
    const char *args[] = {"start-node", e->dir, istr};
    return run_script(args, 3) == 0 ? 0 : -1;
}

pid_t
zk_ensemble_pid(const struct zk_ensemble *e, int i)
{
    char path[512], line[32];
    snprintf(path, sizeof(path), "%s/node%d/pid", e->dir, i);
    if (read_line(path, line, sizeof(line)) != 0)
        return -1;
    long v = strtol(line, NULL, 10);
    return v > 1 ? (pid_t)v : -1;
}

int
zk_ensemble_port(const struct zk_ensemble *e, int i)
{
    char path[512], line[32];
    snprintf(path, sizeof(path), "%s/node%d/port", e->dir, i);
    if (read_line(path, line, sizeof(line)) != 0)
        return -1;
    long v = strtol(line, NULL, 10);
    return v > 0 && v < 65536 ? (int)v : -1;
}

/* Ask 127.0.0.1:port a four-letter word; the answer goes to out. */
static int
fourlw(int port, const char *word, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    size_t len = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        write(fd, word, strlen(word)) == (ssize_t)strlen(word)) {
        ssize_t r;
        while (len + 1 < cap && (r = read(fd, out + len, cap - len - 1)) > 0)
            len += (size_t)r;
    }
    out[len] = '\0';
    close(fd);
    return len > 0 ? 0 : -1;
}

int
zk_ensemble_leader(const struct zk_ensemble *e)
{
    for (int i = 1; i <= e->n; i++) {
        char answer[2048];
        int port = zk_ensemble_port(e, i);
        if (port > 0 && fourlw(port, "srvr", answer, sizeof(answer)) == 0 &&
            strstr(answer, "Mode: leader") != NULL)
            return i;
    }
    return -1;
}

double
harness_mult(void)
{
    const char *m = getenv("CR_TEST_TIMEOUT_MULT");
    double v = m != NULL ? strtod(m, NULL) : 1.0;
    return v >= 1.0 ? v : 1.0;
}

static void
on_tick(uv_timer_t *t)
{
}

static bool
never(void *arg)
{
    return false;
}

static bool
run_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, double ms)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t deadline = cr_mono_ms() + (uint64_t)ms;
    while (!pred(arg) && cr_mono_ms() < deadline)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return pred(arg);
}

bool
loop_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, double secs)
{
    return run_until(loop, pred, arg, secs * harness_mult() * 1000.0);
}

void
loop_for(uv_loop_t *loop, double secs)
{
    run_until(loop, never, NULL, secs * 1000.0);
}
