/* SPDX-License-Identifier: Apache-2.0
 *
 * files.c: see files.h.
 */
#include "files.h"

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "hash.h"
#include "net/http.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct attach {
    char *vpath;
    char *real;
    UT_hash_handle hh;
};

struct files {
    struct attach *table;
};

struct files *
files_new(void)
{
    return cr_xcalloc(1, sizeof(struct files));
}

void
files_free(struct files *f)
{
    if (f == NULL)
        return;
    struct attach *x, *tmp;
    HASH_ITER(hh, f->table, x, tmp)
    {
        HASH_DEL(f->table, x);
        free(x->vpath);
        free(x->real);
        free(x);
    }
    free(f);
}

/* Canonical request form: absolute, no empty or "." components, no
 * trailing slash ("/" stays "/"). Returns owned or NULL if refused. */
static char *
normalize(const char *path)
{
    size_t n = strlen(path);
    if (path[0] != '/' || n >= PATH_MAX)
        return NULL;
    char *out = cr_xmalloc(n + 2);
    size_t o = 0;
    const char *s = path;
    while (*s) {
        while (*s == '/')
            s++;
        size_t len = strcspn(s, "/");
        if (len == 0)
            break;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            free(out);
            return NULL;
        }
        if (!(len == 1 && s[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    return out;
}

void
files_attach(struct files *f, const char *vpath, const char *real)
{
    char *v = normalize(vpath);
    if (v == NULL)
        return;
    struct attach *x = NULL;
    HASH_FIND_STR(f->table, v, x);
    if (x == NULL) {
        x = cr_xcalloc(1, sizeof(*x));
        x->vpath = v;
        HASH_ADD_KEYPTR(hh, f->table, x->vpath, strlen(x->vpath), x);
    } else {
        free(v);
        free(x->real);
    }
    x->real = cr_xstrdup(real);
}

void
files_detach(struct files *f, const char *vpath, const char *real)
{
    char *v = normalize(vpath);
    if (v == NULL)
        return;
    struct attach *x = NULL;
    HASH_FIND_STR(f->table, v, x);
    free(v);
    if (x && strcmp(x->real, real) == 0) {
        HASH_DEL(f->table, x);
        free(x->vpath);
        free(x->real);
        free(x);
    }
}

static bool
inside(const char *root, const char *p)
{
    size_t n = strlen(root);
    if (strcmp(root, "/") == 0)
        return true;
    return strncmp(root, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int
files_resolve(const struct files *f, const char *path, char **out)
{
    *out = NULL;
    char *v = normalize(path);
    if (v == NULL)
        return CR_EINVAL_INPUT;
    /* Longest attached prefix, at component boundaries. */
    size_t len = strlen(v);
    struct attach *x = NULL;
    for (;;) {
        char saved = v[len];
        v[len] = '\0';
        HASH_FIND_STR(f->table, v, x);
        v[len] = saved;
        if (x || len <= 1)
            break;
        while (len > 0 && v[len - 1] != '/')
            len--;
        if (len > 1)
            len--; /* drop the slash too, except for the root */
    }
    if (x == NULL) {
        free(v);
        return CR_ENOTFOUND;
    }
    const char *rest = v + (strcmp(x->vpath, "/") == 0 ? 0 : len);
    char *candidate = cr_xasprintf("%s%s", x->real, rest);
    free(v);
    char root[PATH_MAX], real[PATH_MAX];
    int rc = CR_ENOTFOUND;
    if (realpath(x->real, root) != NULL && realpath(candidate, real) != NULL &&
        inside(root, real)) {
        *out = cr_xstrdup(real);
        rc = 0;
    }
    free(candidate);
    return rc;
}

/* ---- JSON text ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point, or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len;
    unsigned c = s[0], min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, c &= 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, c &= 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

int
files_json_escape(struct cr_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    int rc = cr_buf_puts(b, "\"");
    size_t i = 0;
    while (rc == 0 && i < n) {
        unsigned cp;
        size_t len = utf8_seq(s + i, n - i, &cp);
        if (len == 0) {
            rc = cr_buf_printf(b, "\\u%04x", s[i]);
            i++;
            continue;
        }
        i += len;
        if (cp == '"')
            rc = cr_buf_puts(b, "\\\"");
        else if (cp == '\\')
            rc = cr_buf_puts(b, "\\\\");
        else if (cp == '\n')
            rc = cr_buf_puts(b, "\\n");
        else if (cp == '\t')
            rc = cr_buf_puts(b, "\\t");
        else if (cp == '\r')
            rc = cr_buf_puts(b, "\\r");
        else if (cp < 0x20 || cp == 0x7f)
            rc = cr_buf_printf(b, "\\u%04x", cp);
        else if (cp < 0x80) {
            char ch = (char)cp;
            rc = cr_buf_append(b, &ch, 1);
        } else if (cp < 0x10000)
            rc = cr_buf_printf(b, "\\u%04x", cp);
        else {
            cp -= 0x10000;
            rc = cr_buf_printf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
                               0xdc00 + (cp & 0x3ff));
        }
    }
    if (rc == 0)
        rc = cr_buf_puts(b, "\"");
    return rc;
}

/* ---- handlers ----------------------------------------------------------- */

static void
mode_string(mode_t m, char out[11])
{
    out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        out[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
    out[10] = '\0';
}

static json_t *
entry_json(const char *vpath, const struct stat *st)
{
    char mode[11];
    mode_string(st->st_mode, mode);
    char ubuf[1024], gbuf[1024], uid[32], gid[32];
    struct passwd pw, *pwr = NULL;
    struct group gr, *grr = NULL;
    getpwuid_r(st->st_uid, &pw, ubuf, sizeof(ubuf), &pwr);
    getgrgid_r(st->st_gid, &gr, gbuf, sizeof(gbuf), &grr);
    snprintf(uid, sizeof(uid), "%u", (unsigned)st->st_uid);
    snprintf(gid, sizeof(gid), "%u", (unsigned)st->st_gid);
    return json_pack("{s:s,s:I,s:I,s:f,s:s,s:s,s:s}", "path", vpath, "nlink",
                     (json_int_t)st->st_nlink, "size", (json_int_t)st->st_size,
                     "mtime", (double)st->st_mtime, "mode", mode, "uid",
                     pwr ? pwr->pw_name : uid, "gid", grr ? grr->gr_name : gid);
}

static int
cmp_path(const void *x, const void *y)
{
    const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    return strcmp(cr_json_str(a, "path"), cr_json_str(b, "path"));
}

static void
respond_json(struct cr_http_req *req, json_t *v)
{
    char *s = cr_json_dump(v);
    json_decref(v);
    cr_http_respond_json(req, 200, s, strlen(s));
    free(s);
}

static void
do_browse(struct cr_http_req *req, const char *vpath, const char *real)
{
    struct stat st;
    if (stat(real, &st) != 0) {
        cr_http_respond_text(req, 404, "");
        return;
    }
    char *base = normalize(vpath);
    if (!S_ISDIR(st.st_mode)) {
        json_t *arr = json_array();
        json_array_append_new(arr, entry_json(base, &st));
        free(base);
        respond_json(req, arr);
        return;
    }
    DIR *d = opendir(real);
    if (d == NULL) {
        free(base);
        cr_http_respond_text(req, 404, "");
        return;
    }
    size_t n = 0, cap = 16;
    json_t **v = cr_xmalloc(cap * sizeof(*v));
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < FILES_MAX_BROWSE) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = cr_xasprintf("%s/%s", real, de->d_name);
        struct stat es;
        if (stat(p, &es) == 0 || lstat(p, &es) == 0) {
            char *ve = cr_xasprintf(
                "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", de->d_name);
            if (n == cap) {
                cap *= 2;
                v = cr_xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = entry_json(ve, &es);
            free(ve);
        }
        free(p);
    }
    closedir(d);
    qsort(v, n, sizeof(*v), cmp_path);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
    free(base);
    respond_json(req, arr);
}

/* Parse an optional integer parameter >= -1. 0, or -1 on a bad value. */
static int
int_param(const char *q, const char *name, long long *out)
{
    char buf[64];
    *out = -1;
    int rc = cr_http_query_param(q, name, buf, sizeof(buf));
    if (rc == CR_ENOTFOUND)
        return 0;
    if (rc != 0)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || end == buf || *end != '\0' || v < -1)
        return -1;
    *out = v;
    return 0;
}

static void
do_read(struct cr_http_req *req, const char *real)
{
    long long offset, length;
    if (int_param(req->query, "offset", &offset) != 0 ||
        int_param(req->query, "length", &length) != 0) {
        cr_http_respond_text(req, 400, "Bad 'offset' or 'length' value");
        return;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        cr_http_respond_text(req, 404, "");
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        cr_http_respond_text(req, 400, "Cannot read a directory");
        return;
    }
    struct cr_buf b;
    cr_buf_init(&b, 8 * FILES_MAX_READ);
    size_t size = (size_t)st.st_size;
    if (offset == -1) {
        cr_buf_printf(&b, "{\"data\":\"\",\"offset\":%zu}", size);
    } else {
        size_t want = length < 0 || length > (long long)FILES_MAX_READ
                          ? FILES_MAX_READ
                          : (size_t)length;
        char *data = cr_xmalloc(want + 1);
        ssize_t got = (size_t)offset < size ? pread(fd, data, want, offset) : 0;
        if (got < 0)
            got = 0;
        cr_buf_puts(&b, "{\"data\":");
        files_json_escape(&b, data, (size_t)got);
        cr_buf_printf(&b, ",\"offset\":%lld}", offset);
        free(data);
    }
    close(fd);
    cr_http_respond_json(req, 200, b.data, b.len);
    cr_buf_fini(&b);
}

static const char *
mime_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".txt", "text/plain"},
        {".log", "text/plain"},
        {".html", "text/html"},
        {".json", "application/json"},
        {".js", "application/javascript"},
        {".css", "text/css"},
        {".gz", "application/x-gzip"},
        {".tar", "application/x-tar"},
        {".zip", "application/zip"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static void
do_download(struct cr_http_req *req, const char *real)
{
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        cr_http_respond_text(req, 404, "");
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        cr_http_respond_text(req, 400, "Cannot download a directory");
        return;
    }
    if ((size_t)st.st_size > FILES_MAX_DOWNLOAD) {
        close(fd);
        cr_http_respond_text(req, 413, "File too large to download");
        return;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *data = cr_xmalloc(n + 1);
    while (got < n) {
        ssize_t r = read(fd, data + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    char *hdr = cr_xasprintf("Content-Disposition: attachment; "
                             "filename=\"%s\"\r\n",
                             base);
    cr_http_respond(req, 200, mime_type(base), data, got, hdr);
    free(hdr);
    free(data);
}

static void
do_debug(struct files *f, struct cr_http_req *req)
{
    json_t *o = json_object();
    struct attach *x, *tmp;
    HASH_ITER(hh, f->table, x, tmp)
    json_object_set_new(o, x->vpath, json_string(x->real));
    respond_json(req, o);
}

void
files_handle(struct files *f, struct cr_http_req *req, const char *what)
{
    if (strcmp(what, "debug") == 0) {
        do_debug(f, req);
        return;
    }
    if (strcmp(what, "browse") != 0 && strcmp(what, "read") != 0 &&
        strcmp(what, "download") != 0) {
        cr_http_respond_text(req, 404, "");
        return;
    }
    char path[PATH_MAX];
    if (cr_http_query_param(req->query, "path", path, sizeof(path)) != 0 ||
        path[0] == '\0') {
        cr_http_respond_text(req, 400, "Expecting 'path' query parameter");
        return;
    }
    char *real = NULL;
    int rc = files_resolve(f, path, &real);
    if (rc != 0) {
        cr_http_respond_text(req, rc == CR_EINVAL_INPUT ? 400 : 404, "");
        return;
    }
    if (strcmp(what, "browse") == 0)
        do_browse(req, path, real);
    else if (strcmp(what, "read") == 0)
        do_read(req, real);
    else
        do_download(req, real);
    free(real);
}
