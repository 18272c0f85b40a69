/* `corral-helper run`: the parent stage of PLAN.md.
 *
 * Process layout: the helper (parent) reads the plan, joins/creates namespaces, clones the
 * container process (child) and then only relays: TypeScript talks to the parent over the sync
 * socket, the parent talks to the child over a private socketpair. So exactly one process ever
 * writes the sync socket, and the parent always learns when the child dies (EOF on the private
 * socket, which is close-on-exec and therefore also closes at the container's execve). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"
#include "plan_internal.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

/* CVE-2019-5736: a container process that can reach /proc/<helper>/exe must never be able to
 * overwrite the host binary, so we run from a sealed, anonymous copy of ourselves. */
static void self_seal(void) {
  if (getenv("CORRAL_HELPER_SEALED")) return;
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) die_errno("seal: open /proc/self/exe");
  /* MFD_EXEC keeps newer kernels (vm.memfd_noexec) from sealing it non-executable. */
  int mfd = memfd_create("corral-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("corral-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) die_errno("seal: memfd_create");
  struct stat st;
  if (fstat(exe, &st) < 0) die_errno("seal: stat /proc/self/exe");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die_errno("seal: copy /proc/self/exe");
  }
  close(exe);
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
    die_errno("seal: F_ADD_SEALS");
  setenv("CORRAL_HELPER_SEALED", "1", 1);
  char *argv[] = {"corral-helper", "run", NULL};
  extern char **environ;
  fexecve(mfd, argv, environ);
  die_errno("seal: fexecve");
}

static char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n == cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      free(buf);
      errno = e;
      return NULL;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  *len = n;
  return buf;
}

static void write_file(const char *path, const char *data, const char *what) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die_errno("%s: open %s", what, path);
  size_t len = strlen(data);
  ssize_t n = write(fd, data, len);
  if (n < 0) die_errno("%s: write %s", what, path);
  if ((size_t)n != len) die("%s: short write to %s", what, path);
  close(fd);
}

/* Everything that needs the host's view of the filesystem, done before any setns. */
static void prepare_host_side(struct plan *p) {
  struct rec *r;
  if (p->seccomp_path) {
    size_t len;
    char *bpf = read_file(p->seccomp_path, &len);
    if (!bpf) die_errno("seccomp-bpf: read %s", p->seccomp_path);
    if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > 0xffff)
      die("seccomp-bpf: %s: %zu bytes is not a BPF program", p->seccomp_path, len);
    p->bpf = (struct sock_filter *)bpf;
    p->bpf_len = (unsigned short)(len / sizeof(struct sock_filter));
  }
  if ((r = plan_find(p, "console-socket"))) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(r->f[1]) >= sizeof sa.sun_path) die("console-socket: path too long: %s", r->f[1]);
    strcpy(sa.sun_path, r->f[1]);
    p->console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->console_fd < 0 || connect(p->console_fd, (struct sockaddr *)&sa, sizeof sa) < 0)
      die_errno("console-socket: connect %s", r->f[1]);
  }
  if ((r = plan_find(p, "exec-fifo"))) {
    /* Created here when missing (Node has no mkfifo; spawning mkfifo(1) costs a fork+exec).
     * 0622 exactly, whatever the umask: the container's user must be able to open it. */
    if (mkfifo(r->f[1], 0622) == 0) {
      if (chmod(r->f[1], 0622) < 0) die_errno("exec-fifo: chmod %s", r->f[1]);
    } else if (errno != EEXIST) {
      die_errno("exec-fifo: mkfifo %s", r->f[1]);
    }
    p->fifo_fd = open(r->f[1], O_PATH | O_CLOEXEC);
    if (p->fifo_fd < 0) die_errno("exec-fifo: open %s", r->f[1]);
  }
  if (p->exit_status_file) {
    char *copy = strdup(p->exit_status_file);
    p->exit_dirfd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (p->exit_dirfd < 0) die_errno("exit-status-file: open directory of %s", p->exit_status_file);
    free(copy);
  }
  /* The highest capability: probed (PR_CAPBSET_READ fails past it) instead of read from /proc,
   * which the child may not have; a binary search is 6 calls where a count was 41. */
  int lo = 0, hi = 64; /* CAP_CHOWN (0) always exists; 64 never does */
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (prctl(PR_CAPBSET_READ, mid, 0, 0, 0) >= 0) lo = mid;
    else hi = mid;
  }
  p->cap_last = lo;
}

static void join_namespaces(struct plan *p) {
  /* Open every path first: after setns(mnt) the paths would resolve in the container's /proc. */
  int *fds = calloc((size_t)p->n, sizeof(int));
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    fds[i] = -1;
    if (strcmp(r->f[0], "ns-join")) continue;
    if ((fds[i] = open(r->f[2], O_RDONLY | O_CLOEXEC)) < 0) die_errno("ns-join %s: open %s", r->f[1], r->f[2]);
  }
  /* user first (it grants the capabilities for the others), then plan order */
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < p->n; i++) {
      struct rec *r = &p->recs[i];
      if (fds[i] < 0 || (pass == 0) != !strcmp(r->f[1], "user")) continue;
      if (setns(fds[i], 0) < 0) die_errno("ns-join %s: setns %s", r->f[1], r->f[2]);
      close(fds[i]);
    }
  }
  free(fds);
}

static void new_time_namespace(struct plan *p) {
  if (!p->new_time) return;
  if (unshare(CLONE_NEWTIME) < 0) die_errno("ns-new time: unshare");
  /* Offsets must be written before any process enters the namespace (our child will). */
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    if (strcmp(r->f[0], "timens-offset")) continue;
    char line[128];
    snprintf(line, sizeof line, "%s %lld %lld\n", r->f[1], num_field(r, 2, 10), num_field(r, 3, 10));
    write_file("/proc/self/timens_offsets", line, "timens-offset");
  }
}

static void write_id_maps(struct plan *p, pid_t pid) {
  char path[64], buf[8192];
  for (int kind = 0; kind < 2; kind++) {
    const char *name = kind ? "gidmap" : "uidmap";
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < p->n; i++) {
      struct rec *r = &p->recs[i];
      if (strcmp(r->f[0], name)) continue;
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%lld %lld %lld\n", num_field(r, 1, 10),
                              num_field(r, 2, 10), num_field(r, 3, 10));
      if (len >= sizeof buf) die("%s: too many map lines", name);
    }
    if (kind == 1) { /* setgroups must be set before gid_map is written */
      struct rec *sg = plan_find(p, "setgroups");
      if (sg) {
        snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
        write_file(path, sg->f[1], "setgroups");
      }
    }
    if (!len) continue;
    snprintf(path, sizeof path, "/proc/%d/%s", pid, kind ? "gid_map" : "uid_map");
    write_file(path, buf, name); /* one write(): the kernel accepts a map only once */
  }
}

const int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
const size_t n_forwarded_signals = sizeof forwarded_signals / sizeof forwarded_signals[0];

static void forward_signal(int sig) {
  int e = errno;
  if (g_child_pid > 0) kill(g_child_pid, sig);
  errno = e;
}

static void write_exit_status(struct plan *p, int status) {
  if (!p->exit_status_file) return;
  char buf[64], tmp[64];
  if (WIFSIGNALED(status)) snprintf(buf, sizeof buf, "signal %d\n", WTERMSIG(status));
  else snprintf(buf, sizeof buf, "%d\n", WEXITSTATUS(status));
  char *copy = strdup(p->exit_status_file);
  const char *base = basename(copy);
  snprintf(tmp, sizeof tmp, ".exit-status.%d", getpid());
  int fd = openat(p->exit_dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, buf, strlen(buf)) < 0 || close(fd) < 0 ||
      renameat(p->exit_dirfd, tmp, p->exit_dirfd, base) < 0)
    dprintf(2, "corral-helper: exit-status-file %s: %s\n", p->exit_status_file, strerror(errno));
  free(copy);
}

static const char *status_text(int status, char *buf, size_t len) {
  if (WIFSIGNALED(status)) snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
  else snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
  return buf;
}

/* detach 0: wait for the container, relay late errors (e.g. a failed execve), exit with its status. */
__attribute__((noreturn)) static void wait_container(struct plan *p, struct lreader *cr, int syncfd) {
  int status;
  while (waitpid(g_child_pid, &status, 0) < 0) {
    if (errno != EINTR) die_errno("run: waitpid");
  }
  g_child_pid = 0;
  fcntl(cr->fd, F_SETFL, O_NONBLOCK);
  char *line;
  do {
    while (lr_next(cr, &line)) {
      if (!strncmp(line, "error\t", 6)) {
        send_raw(syncfd, line, strlen(line));
        send_raw(syncfd, "\n", 1);
      }
      free(line);
    }
  } while (lr_fill(cr) > 0);
  write_exit_status(p, status);
  _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

/* `cgroup-procs PATH REQUIRED`: the child's pid written to each cgroup.procs as TypeScript's
 * first `go` passes (it made the cgroup meanwhile), before the child goes on: one open, write and
 * close each here, where a caller in Node paid thread-pool round trips for every one of the
 * hierarchies of a cgroup v1 host. A failing optional one (the hybrid host's cgroup2 tree) is
 * skipped. */
void join_cgroups(struct plan *p, pid_t pid) {
  char num[32];
  int len = snprintf(num, sizeof num, "%d", pid);
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    if (strcmp(r->f[0], "cgroup-procs")) continue;
    int fd = open(r->f[1], O_WRONLY | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, num, (size_t)len) == len;
    int e = errno;
    if (fd >= 0) close(fd);
    if (!ok && num_field(r, 2, 10)) {
      errno = e;
      die_errno("cgroup-procs %s", r->f[1]);
    }
  }
}

/* Relay between TypeScript (sync socket) and the child (private socket) until `created`. */
__attribute__((noreturn)) static void relay(struct plan *p, int syncfd, int chanfd) {
  struct lreader sr, cr;
  lr_init(&sr, syncfd);
  lr_init(&cr, chanfd);
  int got_error = 0, joined = 0;
  for (;;) {
    struct pollfd fds[2] = {{.fd = syncfd, .events = POLLIN}, {.fd = chanfd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die_errno("run: poll");
    }
    char *line;
    if (fds[0].revents) {
      if (lr_fill(&sr) <= 0) die("run: TypeScript closed the sync socket"); /* kills the child */
      while (lr_next(&sr, &line)) {
        if (!strncmp(line, "abort", 5)) {
          /* exit at once; die() would echo an error TypeScript already knows about */
          kill(g_child_pid, SIGKILL);
          waitpid(g_child_pid, NULL, 0);
          _exit(1);
        }
        if (!joined && !strcmp(line, "go")) {
          join_cgroups(p, g_child_pid);
          joined = 1;
        }
        /* `go` and `state JSON` are for the child; it knows what to expect when */
        if (send_raw(chanfd, line, strlen(line)) < 0 || send_raw(chanfd, "\n", 1) < 0) {
          /* the child is gone; its EOF below tells why */
        }
        free(line);
      }
    }
    if (fds[1].revents) {
      int n = lr_fill(&cr);
      while (lr_next(&cr, &line)) {
        if (send_raw(syncfd, line, strlen(line)) < 0 || send_raw(syncfd, "\n", 1) < 0)
          die("run: TypeScript closed the sync socket");
        if (!strncmp(line, "error", 5)) got_error = 1;
        if (!strcmp(line, "created")) {
          free(line);
          if (p->detach) _exit(0); /* the container is reparented; it waits on the exec fifo */
          if (p->relay) relay_terminal(p, &sr);
          wait_container(p, &cr, syncfd);
        }
        free(line);
      }
      if (n <= 0) { /* EOF before `created`: the child failed */
        int status;
        while (waitpid(g_child_pid, &status, 0) < 0 && errno == EINTR) {
        }
        g_child_pid = 0;
        if (!got_error) {
          char buf[64];
          die("run: container process %s before it was created", status_text(status, buf, sizeof buf));
        }
        _exit(1);
      }
    }
  }
}

/* The `in-place` record: no clone, this process becomes the container process (a pod's pause,
 * which needs no PID namespace of its own unless the pod shares one). One process per pod less,
 * and no fork's copy of the helper. It speaks to TypeScript directly: `pid` is its own, the
 * child's steps follow with the sync socket as their channel, joining the cgroups at `go`. */
__attribute__((noreturn)) static void run_in_place(struct plan *p, int syncfd) {
  if (!plan_find(p, "pause") || (p->clone_flags & (CLONE_NEWPID | CLONE_NEWUSER)) || p->relay)
    die("in-place: only a pause without a new PID or user namespace or terminal runs in the helper");
  if (p->clone_flags && unshare(p->clone_flags) < 0) die_errno("ns-new: unshare");
  char num[32];
  snprintf(num, sizeof num, "%d", (int)getpid());
  if (send_line(syncfd, "pid", num) < 0) die_errno("run: send pid");
  child_main(p, syncfd);
}

int cmd_run(int argc, char **argv) {
  const char *s = getenv("CORRAL_SYNC_FD");
  if (!s || !*s) {
    fprintf(stderr, "corral-helper run: CORRAL_SYNC_FD is not set (this helper is started by corral)\n");
    return 2;
  }
  int syncfd = atoi(s);
  g_errfd = syncfd;
  self_seal();
  /* Nothing we exec (hooks, the container) may inherit the sync socket. */
  fcntl(syncfd, F_SETFD, FD_CLOEXEC);

  struct plan p;
  plan_read(&p, syncfd);
  prepare_host_side(&p);
  join_namespaces(&p);
  new_time_namespace(&p);

  relay_prepare(&p);
  if (plan_find(&p, "in-place")) run_in_place(&p, syncfd);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die_errno("run: socketpair");

  /* Block the forwarded signals across clone so a signal cannot hit before g_child_pid is set. */
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded_signals / sizeof forwarded_signals[0]; i++) {
    sigaddset(&set, forwarded_signals[i]);
    if (!p.detach) {
      struct sigaction sa = {.sa_handler = forward_signal};
      sigaction(forwarded_signals[i], &sa, NULL); /* no SA_RESTART: poll/waitpid see EINTR */
    }
  }
  sigprocmask(SIG_BLOCK, &set, &old);

  /* Fork-like clone: a new PID namespace applies to children only, so the container is our
   * child; its new user namespace gets its maps from us while it waits for `go`. */
  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(p.clone_flags | SIGCHLD), NULL, NULL, NULL, 0);
  if (pid < 0) die_errno("ns-new: clone");
  if (pid == 0) {
    close(sv[0]);
    close(syncfd);
    g_errfd = sv[1];
    child_main(&p, sv[1]);
  }
  g_child_pid = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(sv[1]);
  if (p.console_fd >= 0) close(p.console_fd);
  if (p.fifo_fd >= 0) close(p.fifo_fd);

  if (p.new_user) write_id_maps(&p, pid);
  char num[32];
  snprintf(num, sizeof num, "%d", pid);
  if (send_line(syncfd, "pid", num) < 0) die_errno("run: send pid");
  relay(&p, syncfd, sv[0]);
}
