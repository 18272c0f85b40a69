/* Reading the plan (PLAN.md "Records") into a list of records, with field-count validation. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include "plan_internal.h"

static const struct {
  const char *name;
  int nf; /* fields including the name */
} record_table[] = {
    {"ns-join", 3},       {"ns-new", 2},           {"uidmap", 4},        {"gidmap", 4},
    {"setgroups", 2},     {"timens-offset", 4},    {"detach", 2},        {"exit-status-file", 2},
    {"seccomp-bpf", 2},   {"seccomp-flags", 2},    {"oom-score-adj", 2}, {"hostname", 2},
    {"domainname", 2},    {"rootfs-propagation", 2}, {"rootfs", 2},      {"mount", 7},
    {"rootfs-mount", 4},
    {"mkdir", 3},         {"device", 8},           {"device-bind", 2},   {"symlink", 3},
    {"sysctl", 3},        {"hook", 6},             {"pivot-root", 2},    {"masked-path", 2},
    {"readonly-path", 2}, {"rootfs-readonly", 1},  {"rlimit", 4},        {"console-socket", 2},
    {"preserve-fds", 2},  {"exec-fifo", 2},        {"user", 3},          {"groups", 2},
    {"umask", 2},         {"cwd", 2},              {"caps", 3},          {"no-new-privs", 1},
    {"env", 2},           {"arg", 2},              {"loopback-up", 1},      {"pause", 1},
    {"terminal-relay", 4}, {"cgroup-procs", 3},    {"prestart-wait", 1},    {"in-place", 1},
};

long long num_field(const struct rec *r, int i, int base) {
  const char *s = r->f[i];
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, base);
  if (errno || end == s || *end) die("%s: field %d: not a number: \"%s\"", r->f[0], i, s);
  return v;
}

static void check_hook(const struct rec *r) {
  /* hook stage timeout path argc args... envc envs... */
  long long argc = num_field(r, 4, 10);
  if (argc < 0 || 5 + argc >= r->nf) die("hook: argument count %lld does not match the record", argc);
  long long envc = num_field(r, 5 + (int)argc, 10);
  if (envc < 0 || 6 + argc + envc != r->nf) die("hook: environment count %lld does not match the record", envc);
  if (strcmp(r->f[1], "createContainer") && strcmp(r->f[1], "startContainer"))
    die("hook: unknown stage \"%s\"", r->f[1]);
}

static int ns_clone_flag(const char *type) {
  static const struct {
    const char *n;
    int f;
  } t[] = {{"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID},
           {"net", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
           {"cgroup", CLONE_NEWCGROUP}, {"time", 0x80 /* CLONE_NEWTIME */}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(type, t[i].n) == 0) return t[i].f;
  die("ns: unknown namespace type \"%s\"", type);
}

static void derive(struct plan *p) {
  p->console_fd = p->fifo_fd = p->exit_dirfd = -1;
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    const char *n = r->f[0];
    if (!strcmp(n, "ns-new")) {
      int f = ns_clone_flag(r->f[1]);
      if (f == CLONE_NEWCGROUP) p->new_cgroup = 1;
      else if (f == 0x80) p->new_time = 1;
      else p->clone_flags |= f;
      if (f == CLONE_NEWUSER) p->new_user = 1;
    } else if (!strcmp(n, "ns-join")) {
      ns_clone_flag(r->f[1]);
    } else if (!strcmp(n, "detach")) {
      p->detach = num_field(r, 1, 10) != 0;
    } else if (!strcmp(n, "exit-status-file")) {
      p->exit_status_file = r->f[1];
    } else if (!strcmp(n, "seccomp-bpf")) {
      p->seccomp_path = r->f[1];
    } else if (!strcmp(n, "seccomp-flags")) {
      p->seccomp_flags = (unsigned)num_field(r, 1, 10);
    } else if (!strcmp(n, "rootfs")) {
      p->rootfs = r->f[1];
    } else if (!strcmp(n, "pivot-root")) {
      if (strcmp(r->f[1], "pivot") && strcmp(r->f[1], "chroot"))
        die("pivot-root: expected pivot or chroot, got \"%s\"", r->f[1]);
      p->pivot_chroot = !strcmp(r->f[1], "chroot");
    } else if (!strcmp(n, "preserve-fds")) {
      p->preserve_fds = (int)num_field(r, 1, 10);
    } else if (!strcmp(n, "no-new-privs")) {
      p->no_new_privs = 1;
    } else if (!strcmp(n, "hook")) {
      check_hook(r);
    } else if (!strcmp(n, "terminal-relay")) {
      p->relay = 1;
      p->relay_rows = (int)num_field(r, 1, 10);
      p->relay_cols = (int)num_field(r, 2, 10);
      p->relay_stdin = num_field(r, 3, 10) != 0;
    } else if (!strcmp(n, "caps")) {
      const char *s = r->f[1];
      if (strcmp(s, "bounding") && strcmp(s, "effective") && strcmp(s, "permitted") &&
          strcmp(s, "inheritable") && strcmp(s, "ambient"))
        die("caps: unknown set \"%s\"", s);
      num_field(r, 2, 16);
    }
  }
}

static void check(struct plan *p) {
  if (p->relay && p->detach) die("terminal-relay: needs detach 0 (the helper stays to relay)");
  if (p->relay && plan_find(p, "console-socket")) die("terminal-relay: excludes console-socket");
}

void plan_read(struct plan *p, int fd) {
  struct lreader r;
  lr_init(&r, fd);
  memset(p, 0, sizeof *p);
  int cap = 64, first = 1;
  p->recs = malloc(sizeof(struct rec) * (size_t)cap);
  for (;;) {
    char *line;
    int rc = lr_getline(&r, &line);
    if (rc < 0) die_errno("plan: read");
    /* No plan at all: a helper started ahead of its plan that the caller did not need (see
     * prespawnHelper in src/kernel/plan/helper.ts) */
    if (rc == 0 && first) _exit(0);
    if (rc == 0) die("plan: ended before the end record");
    struct rec rec;
    rec.nf = split_fields(line, &rec.f);
    const char *name = rec.f[0];
    if (first) {
      if (strcmp(name, "version") || rec.nf < 2 || strcmp(rec.f[1], "1"))
        die("plan: first record must be \"version 1\", got \"%s\"", name);
      first = 0;
      continue;
    }
    if (!strcmp(name, "end")) break;
    size_t i;
    for (i = 0; i < sizeof record_table / sizeof record_table[0]; i++)
      if (!strcmp(record_table[i].name, name)) break;
    if (i == sizeof record_table / sizeof record_table[0]) die("plan: unknown record \"%s\"", name);
    if (rec.nf < record_table[i].nf)
      die("%s: expected %d fields, got %d", name, record_table[i].nf - 1, rec.nf - 1);
    if (p->n == cap) {
      cap *= 2;
      p->recs = realloc(p->recs, sizeof(struct rec) * (size_t)cap);
    }
    p->recs[p->n++] = rec;
  }
  /* Bytes after `end` belong to the handshake; TypeScript only sends replies when asked, so the
   * buffer is empty here. */
  free(r.buf);
  derive(p);
  check(p);
}

struct rec *plan_find(struct plan *p, const char *name) {
  for (int i = p->n - 1; i >= 0; i--)
    if (!strcmp(p->recs[i].f[0], name)) return &p->recs[i];
  return NULL;
}
