/* SPDX-License-Identifier: Apache-2.0
 *
 * fetcher.c: see fetcher.h. Runs on thread-pool threads.
 */
#include "fetcher.h"

#include "base/json.h"
#include "base/mem.h"
#include "ckpt.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FETCH_MAX_URIS 256

extern char **environ;

static atomic_bool aborting;

void
fetcher_abort_all(void)
{
    atomic_store(&aborting, true);
}

/* libcurl calls this about once a second even while no data flows. */
static int
on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow,
            curl_off_t ultotal, curl_off_t ulnow)
{
    return atomic_load(&aborting) ? 1 : 0;
}

struct fetch_uri *
fetcher_uris_from_json(const json_t *uris, size_t *n)
{
    *n = 0;
    if (!json_is_array(uris) || json_array_size(uris) == 0)
        return NULL;
    size_t cnt = json_array_size(uris);
    if (cnt > FETCH_MAX_URIS)
        cnt = FETCH_MAX_URIS;
    struct fetch_uri *u = cr_xcalloc(cnt, sizeof(*u));
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(uris, i);
        const char *v = cr_json_str(o, "value");
        const char *of = cr_json_str(o, "output_file");
        u[*n].value = cr_xstrdup(v ? v : "");
        u[*n].output_file = of && of[0] ? cr_xstrdup(of) : NULL;
        u[*n].extract = cr_json_bool(o, "extract", true);
        u[*n].executable = cr_json_bool(o, "executable", false);
        (*n)++;
    }
    return u;
}

void
fetcher_uris_free(struct fetch_uri *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(u[i].value);
        free(u[i].output_file);
    }
    free(u);
}

static bool
relative_path_is_safe(const char *p)
{
    if (p[0] == '\0' || p[0] == '/')
        return false;
    const char *s = p;
    while (*s) {
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += len;
        if (*s == '/')
            s++;
    }
    return true;
}

char *
fetcher_output_name(const struct fetch_uri *u)
{
    if (u->output_file)
        return relative_path_is_safe(u->output_file)
                   ? cr_xstrdup(u->output_file)
                   : NULL;
    const char *v = u->value;
    const char *scheme = strstr(v, "://");
    const char *path = scheme ? strchr(scheme + 3, '/') : v;
    if (path == NULL)
        return NULL;
    size_t end = strcspn(path, "?#");
    while (end > 0 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (end == start)
        return NULL;
    char *name = cr_xstrndup(path + start, end - start);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        free(name);
        return NULL;
    }
    return name;
}

static bool
has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Run argv (a NULL-terminated list of borrowed strings) and wait. */
static int
run_child(const char *const args[], char *err, size_t errlen)
{
    char *argv[8];
    size_t n = 0;
    for (; args[n] && n < 7; n++)
        argv[n] = cr_xstrdup(args[n]);
    argv[n] = NULL;
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    for (size_t i = 0; i < n; i++)
        free(argv[i]);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", args[0], strerror(rc));
        return -1;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s failed (status %d)", args[0], status);
        return -1;
    }
    return 0;
}

static int
extract(const char *file, const char *dir, char *err, size_t errlen)
{
    static const char *const tars[] = {".tar",  ".tar.gz", ".tgz", ".tar.bz2",
                                       ".tbz2", ".tar.xz", ".txz"};
    for (size_t i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
        if (has_suffix(file, tars[i])) {
            const char *argv[] = {"tar", "-C", dir, "-xf", file, NULL};
            return run_child(argv, err, errlen);
        }
    }
    if (has_suffix(file, ".zip")) {
        const char *argv[] = {"unzip", "-o", "-q", "-d", dir, file, NULL};
        return run_child(argv, err, errlen);
    }
    return 0;
}

static int
copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "cannot open %s: %s", src, strerror(errno));
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    char buf[65536];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, buf, sizeof(buf))) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        if (write(out, buf, (size_t)r) != r) {
            rc = -1;
            break;
        }
    }
    if (rc != 0)
        snprintf(err, errlen, "copying %s: %s", src, strerror(errno));
    close(in);
    if (close(out) != 0 && rc == 0) {
        snprintf(err, errlen, "writing %s: %s", dst, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int
download(const char *url, const char *dst, char *err, size_t errlen)
{
    FILE *f = fopen(dst, "wbe");
    if (f == NULL) {
        snprintf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
        return -1;
    }
    CURL *c = curl_easy_init();
    if (c == NULL) {
        fclose(f);
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L); /* stall timeout */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp,ftps");
#endif
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (fclose(f) != 0 && rc == CURLE_OK) {
        snprintf(err, errlen, "writing %s: %s", dst, strerror(errno));
        return -1;
    }
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
        unlink(dst);
        return -1;
    }
    return 0;
}

static int
fetch_one(const struct fetch_uri *u, const char *dir, char *err, size_t errlen)
{
    char *name = fetcher_output_name(u);
    if (name == NULL) {
        snprintf(err, errlen, "no usable file name");
        return -1;
    }
    char *dst = cr_xasprintf("%s/%s", dir, name);
    char *slash = strrchr(dst, '/');
    *slash = '\0';
    int rc = ckpt_mkdirs(dst);
    *slash = '/';
    if (rc != 0) {
        snprintf(err, errlen, "cannot create the directory of %s", name);
        goto out;
    }
    const char *v = u->value;
    if (strncmp(v, "file://", 7) == 0)
        rc = copy_file(v + 7, dst, err, errlen);
    else if (v[0] == '/')
        rc = copy_file(v, dst, err, errlen);
    else if (strstr(v, "://") != NULL)
        rc = download(v, dst, err, errlen);
    else {
        snprintf(err, errlen, "relative URIs are not supported");
        rc = -1;
    }
    if (rc != 0)
        goto out;
    if (u->executable) {
        if (chmod(dst, 0755) != 0) {
            snprintf(err, errlen, "chmod: %s", strerror(errno));
            rc = -1;
        }
    } else if (u->extract) {
        rc = extract(dst, dir, err, errlen);
    }
out:
    free(dst);
    free(name);
    return rc;
}

int
fetcher_fetch_all(const struct fetch_uri *u, size_t n, const char *dir,
                  char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char why[512] = "the agent is stopping";
        if (atomic_load(&aborting) ||
            fetch_one(&u[i], dir, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "Failed to fetch '%s': %s", u[i].value, why);
            return -1;
        }
    }
    return 0;
}
