/* Internal declarations of `corral-helper run` (plan_*.c). See PLAN.md for the contract. */
#ifndef CORRAL_PLAN_INTERNAL_H
#define CORRAL_PLAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

/* One plan record: f[0] is the record name, f[1..nf-1] its fields (already unescaped). */
struct rec {
  int nf;
  char **f;
};

struct plan {
  struct rec *recs;
  int n;

  /* Derived from the records by plan_parse.c. */
  int detach;
  const char *exit_status_file;
  int clone_flags;   /* CLONE_NEW* for clone() (user mnt pid net ipc uts) */
  int new_user, new_cgroup, new_time;
  int preserve_fds;
  const char *rootfs; /* NULL: no rootfs stage (e.g. exec into a running container) */
  int pivot_chroot;   /* 1: MS_MOVE + chroot instead of pivot_root */
  int no_new_privs;
  unsigned seccomp_flags;
  const char *seccomp_path;
  int relay;                       /* terminal-relay: a pty relayed by the parent */
  int relay_rows, relay_cols, relay_stdin;

  /* Prepared by the parent before clone, inherited by the child. */
  struct sock_filter *bpf;
  unsigned short bpf_len;
  int console_fd;   /* connected unix socket, or -1 */
  int fifo_fd;      /* O_PATH exec fifo, or -1 */
  int exit_dirfd;   /* directory of exit-status-file, or -1 */
  int cap_last;     /* highest capability number the kernel knows */
  char *state_json; /* last `state` reply of TypeScript (for hooks), or NULL */
  int relay_sv[2];  /* terminal-relay: the child sends the pty master over this pair */
};

/* Buffered line reader over a socket (one owner per fd). */
struct lreader {
  int fd;
  char *buf;
  size_t cap, len, start;
};
void lr_init(struct lreader *r, int fd);
int lr_fill(struct lreader *r);                /* one read(): >0 bytes, 0 EOF, -1 error */
int lr_next(struct lreader *r, char **line);    /* 1: a buffered line (malloc'd, no \n); 0: none */
int lr_getline(struct lreader *r, char **line); /* blocking: 1 line, 0 EOF, -1 error */

int split_fields(char *line, char ***fields); /* in place: split at TAB and unescape; returns count */
char *escape_field(const char *s);            /* malloc'd */
int send_line(int fd, const char *name, const char *arg); /* `name[\targ]\n`, arg escaped; -1 on error */
int send_raw(int fd, const char *buf, size_t len);

/* Error reporting: `error <msg>` on g_errfd, then exit(1). In the child after `created` the message
 * also goes to stderr because nobody may be listening on the channel any more. */
extern int g_errfd;
extern int g_late;
extern pid_t g_child_pid; /* parent: the container process, killed when the parent fails */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);

/* plan_parse.c */
void plan_read(struct plan *p, int fd);
struct rec *plan_find(struct plan *p, const char *name); /* last record with that name */
long long num_field(const struct rec *r, int i, int base);

/* plan_mounts.c */
void mounts_setup(struct plan *p);     /* propagation, rootfs bind, mount/mkdir/device/symlink */
void mounts_switch_root(struct plan *p); /* pivot_root or chroot */
void mounts_finish(struct plan *p);    /* masked, readonly paths, rootfs-readonly */

/* plan_child.c */
/* The signals the helper passes on to its container (plan_exec.c): the only handlers it installs. */
extern const int forwarded_signals[];
extern const size_t n_forwarded_signals;
__attribute__((noreturn)) void child_main(struct plan *p, int chanfd);

/* plan_exec.c */
void join_cgroups(struct plan *p, pid_t pid); /* the `cgroup-procs` records, at the first `go` */
void run_hooks(struct plan *p, const char *stage);

/* pty_relay.c */
void relay_prepare(struct plan *p);     /* parent, before clone */
void relay_child_setup(struct plan *p); /* child, after pivot_root: the pty becomes stdio */
void relay_terminal(struct plan *p, struct lreader *sync); /* parent, after `created` */

#endif
