/* Line encoding of PLAN.md (TAB-separated fields, \\ \t \n escapes) and error reporting. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "plan_internal.h"

int g_errfd = -1;
int g_late = 0;
pid_t g_child_pid = 0;

void lr_init(struct lreader *r, int fd) {
  r->fd = fd;
  r->cap = 65536;
  r->buf = malloc(r->cap);
  if (!r->buf) abort();
  r->len = r->start = 0;
}

int lr_fill(struct lreader *r) {
  if (r->start) { /* compact so that a long line fits */
    memmove(r->buf, r->buf + r->start, r->len - r->start);
    r->len -= r->start;
    r->start = 0;
  }
  if (r->len == r->cap) {
    r->cap *= 2;
    r->buf = realloc(r->buf, r->cap);
    if (!r->buf) abort();
  }
  for (;;) {
    ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) r->len += (size_t)n;
    return n < 0 ? -1 : (int)(n > 0);
  }
}

int lr_next(struct lreader *r, char **line) {
  char *s = r->buf + r->start;
  char *nl = memchr(s, '\n', r->len - r->start);
  if (!nl) return 0;
  size_t n = (size_t)(nl - s);
  *line = malloc(n + 1);
  if (!*line) abort();
  memcpy(*line, s, n);
  (*line)[n] = 0;
  r->start += n + 1;
  return 1;
}

int lr_getline(struct lreader *r, char **line) {
  for (;;) {
    if (lr_next(r, line)) return 1;
    int n = lr_fill(r);
    if (n <= 0) return n;
  }
}

static void unescape(char *s) {
  char *o = s;
  for (; *s; s++) {
    if (*s == '\\' && s[1]) {
      s++;
      *o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
    } else {
      *o++ = *s;
    }
  }
  *o = 0;
}

int split_fields(char *line, char ***fields) {
  int n = 1;
  for (char *c = line; *c; c++)
    if (*c == '\t') n++;
  char **f = calloc((size_t)n + 1, sizeof(char *));
  if (!f) abort();
  int i = 0;
  char *start = line;
  for (char *c = line;; c++) {
    if (*c == '\t' || *c == 0) {
      int end = *c == 0;
      *c = 0;
      f[i++] = start;
      start = c + 1;
      if (end) break;
    }
  }
  for (i = 0; i < n; i++) unescape(f[i]);
  *fields = f;
  return n;
}

char *escape_field(const char *s) {
  char *o = malloc(strlen(s) * 2 + 1), *p = o;
  if (!o) abort();
  for (; *s; s++) {
    if (*s == '\\' || *s == '\t' || *s == '\n') {
      *p++ = '\\';
      *p++ = *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\';
    } else {
      *p++ = *s;
    }
  }
  *p = 0;
  return o;
}

int send_raw(int fd, const char *buf, size_t len) {
  while (len > 0) {
    /* MSG_NOSIGNAL: a vanished reader must not kill us with SIGPIPE. */
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int send_line(int fd, const char *name, const char *arg) {
  char *e = arg ? escape_field(arg) : NULL;
  size_t len = strlen(name) + (e ? strlen(e) + 1 : 0) + 2;
  char *line = malloc(len);
  if (!line) abort();
  snprintf(line, len, "%s%s%s\n", name, e ? "\t" : "", e ? e : "");
  int rc = send_raw(fd, line, strlen(line));
  free(line);
  free(e);
  return rc;
}

static void vdie(int with_errno, const char *fmt, va_list ap) {
  int saved = errno;
  char msg[4096];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (with_errno) {
    size_t l = strlen(msg);
    snprintf(msg + l, sizeof msg - l, ": %s", strerror(saved));
  }
  if (g_errfd >= 0) send_line(g_errfd, "error", msg);
  if (g_errfd < 0 || g_late) {
    /* Nobody may read the channel any more (detached parent gone): tell the container's stderr. */
    dprintf(2, "corral-helper: %s\n", msg);
  }
  if (g_child_pid > 0) { /* the parent failed: the waiting child must not live on */
    kill(g_child_pid, SIGKILL);
    waitpid(g_child_pid, NULL, 0);
  }
  _exit(1);
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdie(0, fmt, ap);
  va_end(ap);
  _exit(1);
}

void die_errno(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdie(1, fmt, ap);
  va_end(ap);
  _exit(1);
}
