/* The child stage of PLAN.md: everything that happens inside the container's namespaces up to
 * execve. The child talks only to the parent (private socket `chan`), never to TypeScript. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>
#include "plan_internal.h"

static struct lreader chan;

/* `loopback-up`: a new network namespace starts with lo down; two ioctls bring it up without
 * spawning `ip` (what the CNI loopback plugin would do). */
static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) die_errno("loopback-up: socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die_errno("loopback-up: SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die_errno("loopback-up: SIOCSIFFLAGS lo");
  close(s);
}

/* Wait for the parent's `go`, keeping the latest `state` for hooks. */
static void wait_go(struct plan *p) {
  for (;;) {
    char *line, **f;
    if (lr_getline(&chan, &line) <= 0) _exit(1); /* the parent is gone: nobody to report to */
    int nf = split_fields(line, &f);
    if (!strcmp(f[0], "go")) {
      free(f);
      free(line);
      return;
    }
    if (!strcmp(f[0], "state") && nf >= 2) {
      free(p->state_json);
      p->state_json = strdup(f[1]);
    } else if (!strcmp(f[0], "abort")) {
      _exit(1);
    }
    free(f);
    free(line);
  }
}

static void write_proc(const char *path, const char *value, const char *what) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die_errno("%s: open %s", what, path);
  if (write(fd, value, strlen(value)) < 0) die_errno("%s: write %s to %s", what, value, path);
  close(fd);
}

static int wait_timeout(pid_t pid, int *status, long long secs) {
  struct timespec start, now, tick = {0, 5 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return 0;
    if (r < 0 && errno != EINTR) return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (secs > 0 && now.tv_sec - start.tv_sec >= secs) return 1;
    nanosleep(&tick, NULL);
  }
}

/* Hooks of one stage, in plan order; the OCI state JSON goes to their stdin. */
void run_hooks(struct plan *p, const char *stage) {
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    if (strcmp(r->f[0], "hook") || strcmp(r->f[1], stage)) continue;
    long long timeout = num_field(r, 2, 10);
    const char *path = r->f[3];
    int argc = (int)num_field(r, 4, 10);
    int envc = (int)num_field(r, 5 + argc, 10);
    char **argv = calloc((size_t)argc + 2, sizeof(char *));
    char **envp = calloc((size_t)envc + 1, sizeof(char *));
    for (int a = 0; a < argc; a++) argv[a] = r->f[5 + a];
    if (argc == 0) argv[0] = (char *)path;
    for (int e = 0; e < envc; e++) envp[e] = r->f[6 + argc + e];
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) die_errno("hook %s %s: pipe", stage, path);
    pid_t pid = fork();
    if (pid < 0) die_errno("hook %s %s: fork", stage, path);
    if (pid == 0) {
      dup2(pfd[0], 0);
      signal(SIGPIPE, SIG_DFL);
      syscall(SYS_close_range, 3, ~0U, 0);
      execve(path, argv, envp);
      dprintf(2, "corral-helper: hook %s %s: exec: %s\n", stage, path, strerror(errno));
      _exit(127);
    }
    close(pfd[0]);
    const char *state = p->state_json ? p->state_json : "";
    if (write(pfd[1], state, strlen(state)) < 0 && errno != EPIPE) {
      /* a hook that does not read its stdin is fine */
    }
    close(pfd[1]);
    int status, rc = wait_timeout(pid, &status, timeout);
    if (rc == 1) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      die("hook %s %s: timed out after %lld s", stage, path, timeout);
    }
    if (rc < 0) die_errno("hook %s %s: wait", stage, path);
    if (WIFSIGNALED(status)) die("hook %s %s: killed by signal %d", stage, path, WTERMSIG(status));
    if (WEXITSTATUS(status)) die("hook %s %s: exited with status %d", stage, path, WEXITSTATUS(status));
    free(argv);
    free(envp);
  }
}

static const char *rlimit_name(int res) {
  static const char *names[] = {"RLIMIT_CPU",    "RLIMIT_FSIZE",      "RLIMIT_DATA",     "RLIMIT_STACK",
                                "RLIMIT_CORE",   "RLIMIT_RSS",        "RLIMIT_NPROC",    "RLIMIT_NOFILE",
                                "RLIMIT_MEMLOCK", "RLIMIT_AS",        "RLIMIT_LOCKS",    "RLIMIT_SIGPENDING",
                                "RLIMIT_MSGQUEUE", "RLIMIT_NICE",     "RLIMIT_RTPRIO",   "RLIMIT_RTTIME"};
  return res >= 0 && res < (int)(sizeof names / sizeof names[0]) ? names[res] : "RLIMIT_?";
}

static rlim_t rlim_value(const struct rec *r, int i) {
  if (!strcmp(r->f[i], "-1")) return RLIM_INFINITY;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(r->f[i], &end, 10);
  if (errno || *end || end == r->f[i]) die("rlimit: not a number: \"%s\"", r->f[i]);
  return (rlim_t)v;
}

static void set_rlimits(struct plan *p) {
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    if (strcmp(r->f[0], "rlimit")) continue;
    int res = (int)num_field(r, 1, 10);
    struct rlimit rl = {rlim_value(r, 2), rlim_value(r, 3)};
    if (setrlimit(res, &rl) < 0) {
      struct rlimit cur = {0, 0};
      getrlimit(res, &cur);
      /* raising a hard limit needs CAP_SYS_RESOURCE: name the limit and the current values */
      die_errno("rlimit %s: set soft %s hard %s (current hard %llu)", rlimit_name(res), r->f[2], r->f[3],
                (unsigned long long)cur.rlim_max);
    }
  }
}

static void set_sysctls(struct plan *p) {
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    if (strcmp(r->f[0], "sysctl")) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "/proc/sys/%s", r->f[1]);
    for (char *c = path + 10; *c; c++)
      if (*c == '.') *c = '/';
    write_proc(path, r->f[2], "sysctl");
  }
}

/* A pty allocated inside the container (its devpts), master sent to TypeScript's socket. */
static void setup_console(struct plan *p) {
  if (p->console_fd < 0) return;
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die_errno("console-socket: open /dev/ptmx");
  if (unlockpt(master) < 0) die_errno("console-socket: unlockpt");
  char name[64] = "";
  if (ptsname_r(master, name, sizeof name) != 0) name[0] = 0;
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0 && name[0]) slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) die_errno("console-socket: open the pty slave %s", name);

  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = name[0] ? name : "pty", .iov_len = name[0] ? strlen(name) : 3};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (sendmsg(p->console_fd, &msg, MSG_NOSIGNAL) < 0) die_errno("console-socket: send the pty master");
  close(master);
  close(p->console_fd);
  p->console_fd = -1;

  if (setsid() < 0) die_errno("console-socket: setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die_errno("console-socket: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) die_errno("console-socket: dup2");
  if (slave > 2) close(slave);
}

static uint64_t caps_mask(struct plan *p, const char *set, int *found) {
  uint64_t m = 0;
  *found = 0;
  for (int i = 0; i < p->n; i++) {
    struct rec *r = &p->recs[i];
    if (strcmp(r->f[0], "caps") || strcmp(r->f[1], set)) continue;
    m = strtoull(r->f[2], NULL, 16);
    *found = 1;
  }
  uint64_t valid = p->cap_last >= 63 ? ~0ULL : (1ULL << (p->cap_last + 1)) - 1;
  return m & valid;
}

/* Bounding set, supplementary groups, user, then the other capability sets (PLAN.md `caps`). */
static void switch_user(struct plan *p) {
  int has_b, has_e, has_p, has_i, has_a;
  uint64_t bnd = caps_mask(p, "bounding", &has_b), eff = caps_mask(p, "effective", &has_e),
           prm = caps_mask(p, "permitted", &has_p), inh = caps_mask(p, "inheritable", &has_i),
           amb = caps_mask(p, "ambient", &has_a);
  /* keep the permitted set across the switch to a non-root uid; capset decides below */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die_errno("caps: PR_SET_KEEPCAPS");
  if (has_b)
    for (int c = 0; c <= p->cap_last; c++)
      if (!(bnd >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) die_errno("caps bounding: drop capability %d", c);

  struct rec *g = plan_find(p, "groups");
  if (g) {
    gid_t gids[NGROUPS_MAX];
    int n = 0;
    for (char *s = g->f[1]; *s && n < NGROUPS_MAX;) {
      char *end;
      gids[n++] = (gid_t)strtoul(s, &end, 10);
      if (end == s || (*end && *end != ',')) die("groups: bad list \"%s\"", g->f[1]);
      s = *end ? end + 1 : end;
    }
    if (setgroups((size_t)n, gids) < 0) die_errno("groups: setgroups %s", g->f[1]);
  }
  struct rec *u = plan_find(p, "user");
  if (u) {
    gid_t gid = (gid_t)num_field(u, 2, 10);
    uid_t uid = (uid_t)num_field(u, 1, 10);
    if (setresgid(gid, gid, gid) < 0) die_errno("user: setresgid %u", gid);
    if (setresuid(uid, uid, uid) < 0) die_errno("user: setresuid %u", uid);
  }
  if (has_e || has_p || has_i) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &hdr, d) < 0) die_errno("caps: capget");
    if (has_e) d[0].effective = (uint32_t)eff, d[1].effective = (uint32_t)(eff >> 32);
    if (has_p) d[0].permitted = (uint32_t)prm, d[1].permitted = (uint32_t)(prm >> 32);
    if (has_i) d[0].inheritable = (uint32_t)inh, d[1].inheritable = (uint32_t)(inh >> 32);
    if (syscall(SYS_capset, &hdr, d) < 0)
      die_errno("caps: capset effective %llx permitted %llx inheritable %llx", (unsigned long long)eff,
                (unsigned long long)prm, (unsigned long long)inh);
  }
  if (has_a) {
    /* ambient capabilities must be in permitted and inheritable */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) die_errno("caps ambient: clear");
    for (int c = 0; c <= p->cap_last; c++)
      if ((amb >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
        die_errno("caps ambient: raise capability %d", c);
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) die_errno("caps: PR_SET_KEEPCAPS");
}

static void set_cwd(struct plan *p) {
  struct rec *r = plan_find(p, "cwd");
  if (!r) return;
  if (chdir(r->f[1]) < 0) die_errno("cwd: chdir %s", r->f[1]);
  /* CVE-2024-21626: a leaked host fd (/proc/self/fd/N) would put cwd outside the root; the
   * kernel then reports it as unreachable (glibc: ENOENT, older: "(unreachable)/..."). */
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf) || buf[0] != '/') die("cwd: %s is outside the container's root", r->f[1]);
}

static void load_seccomp(struct plan *p) {
  struct sock_fprog prog = {.len = p->bpf_len, .filter = p->bpf};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) == 0) return;
  if (errno == ENOSYS && !p->seccomp_flags && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0) return;
  die_errno("seccomp-bpf: load %s%s", p->seccomp_path,
            p->no_new_privs ? "" : " (without no-new-privs this needs CAP_SYS_ADMIN)");
}

/* execvpe-style lookup in the container's PATH (not the helper's). */
static char *find_program(const char *arg0, char **envp) {
  if (strchr(arg0, '/')) return strdup(arg0);
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = envp; *e; e++)
    if (!strncmp(*e, "PATH=", 5)) path = *e + 5;
  char *copy = strdup(path), *save = NULL, *found = NULL;
  /* strtok would skip empty entries, which mean the cwd: split by hand */
  for (char *dir = copy; dir && !found; dir = save) {
    save = strchr(dir, ':');
    if (save) *save++ = 0;
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", *dir ? dir : ".", arg0);
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) found = strdup(buf);
  }
  free(copy);
  if (!found) die("arg: %s: executable file not found in $PATH", arg0);
  return found;
}

static char **collect(struct plan *p, const char *name) {
  int n = 0;
  char **v = calloc((size_t)p->n + 1, sizeof(char *));
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->recs[i].f[0], name)) v[n++] = p->recs[i].f[1];
  return v;
}

static void pause_down(int sig) {
  (void)sig;
  _exit(0);
}

static void pause_reap(int sig) {
  (void)sig;
  int e = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = e;
}

/* The `pause` record: this process, set up like any container's, is the pod's pause (the
 * Kubernetes pause image's loop) instead of exec'ing one: the exec of a sleep binary cost a pod
 * more than everything this needs. Handlers rather than SIG_DFL: as PID 1 of a PID namespace the
 * kernel drops signals that have none. What the exec would have closed is closed here, the sync
 * channel with it, which tells the parent that setup is done as a successful execve does. */
__attribute__((noreturn)) static void pause_forever(unsigned first_fd) {
  syscall(SYS_close_range, first_fd, ~0U, 0);
  prctl(PR_SET_NAME, "pause", 0, 0, 0);
  struct sigaction down = {.sa_handler = pause_down};
  struct sigaction reap = {.sa_handler = pause_reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigaction(SIGINT, &down, NULL);
  sigaction(SIGTERM, &down, NULL);
  sigaction(SIGCHLD, &reap, NULL);
  for (;;) pause();
}

__attribute__((noreturn)) void child_main(struct plan *p, int chanfd) {
  /* Inherited from the parent: its forwarding handlers and a blocked mask. Every other signal is
   * at its default already: whoever starts the helper (libuv's child setup, the spawner) resets
   * them, and handlers do not survive execve (only SIG_IGN would). A loop over all 64 cost as
   * many syscalls per container. */
  sigset_t all;
  sigemptyset(&all);
  for (size_t i = 0; i < n_forwarded_signals; i++) signal(forwarded_signals[i], SIG_DFL);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_IGN); /* hooks may close stdin early; restored before execve */
  lr_init(&chan, chanfd);
  unsetenv("CORRAL_HELPER_SEALED");
  unsetenv("CORRAL_SYNC_FD");

  wait_go(p); /* maps written, cgroups joined */
  if (plan_find(p, "in-place")) join_cgroups(p, getpid()); /* no parent did it */
  if (p->new_cgroup && unshare(CLONE_NEWCGROUP) < 0) die_errno("ns-new cgroup: unshare");
  if (p->new_user) {
    /* become the namespace's root (if mapped) so created files get the right owner */
    if (setresgid(0, 0, 0) < 0 && errno != EINVAL) die_errno("ns-new user: setresgid 0");
    if (setresuid(0, 0, 0) < 0 && errno != EINVAL) die_errno("ns-new user: setresuid 0");
  }
  mode_t old_umask = umask(0); /* modes in the plan are exact */

  struct rec *r;
  char num[32];
  if ((r = plan_find(p, "oom-score-adj"))) {
    snprintf(num, sizeof num, "%lld", num_field(r, 1, 10));
    write_proc("/proc/self/oom_score_adj", num, "oom-score-adj");
  }
  if ((r = plan_find(p, "hostname")) && sethostname(r->f[1], strlen(r->f[1])) < 0)
    die_errno("hostname: sethostname %s", r->f[1]);
  if ((r = plan_find(p, "domainname")) && setdomainname(r->f[1], strlen(r->f[1])) < 0)
    die_errno("domainname: setdomainname %s", r->f[1]);
  if (plan_find(p, "loopback-up")) loopback_up();

  mounts_setup(p);
  /* The exec fifo is reopened through this after pivot_root, whether or not the container has a
   * /proc: an fd of our own /proc/<pid>/fd stays valid after the old root is detached. */
  int procfd = -1;
  if (p->fifo_fd >= 0 && (procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    die_errno("exec-fifo: open /proc/self/fd");
  if (p->rootfs && plan_find(p, "prestart-wait")) {
    if (send_line(chanfd, "prestart", NULL) < 0) _exit(1);
    wait_go(p);
  }
  run_hooks(p, "createContainer");
  mounts_switch_root(p);
  set_sysctls(p); /* before readonly-path makes /proc/sys read-only (runc's order) */
  mounts_finish(p);
  set_rlimits(p);
  setup_console(p);
  relay_child_setup(p);
  /* Without no-new-privs loading a filter needs CAP_SYS_ADMIN, so it must happen before the user
   * switch drops it (as runc does); with it, as late as possible. */
  if (p->bpf && !p->no_new_privs) load_seccomp(p);
  switch_user(p);
  umask(old_umask);
  if ((r = plan_find(p, "umask"))) umask((mode_t)num_field(r, 1, 8));
  set_cwd(p);
  char **argv = collect(p, "arg"), **envp = collect(p, "env");
  int pause_only = plan_find(p, "pause") != NULL;
  if (!argv[0] && !pause_only) die("arg: the plan has no process arguments");
  /* a missing program is a create-time error */
  char *prog = pause_only ? NULL : find_program(argv[0], envp);

  if (send_line(chanfd, "created", NULL) < 0) _exit(1);
  g_late = p->detach; /* a detached parent is gone: later errors go to stderr too */
  if (p->fifo_fd >= 0) {
    snprintf(num, sizeof num, "%d", p->fifo_fd);
    int w = openat(procfd, num, O_WRONLY | O_CLOEXEC); /* blocks until `start` opens the fifo */
    if (w < 0) die_errno("exec-fifo: reopen for writing");
    if (write(w, "0", 1) != 1) die_errno("exec-fifo: write");
    close(w);
    close(p->fifo_fd);
    close(procfd);
  }
  run_hooks(p, "startContainer");
  if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno("no-new-privs: prctl");
  /* No host fd may reach the container. CLOEXEC rather than close: the channel stays open to
   * report a failing execve and closes at a successful one. */
  unsigned first = 3 + (unsigned)p->preserve_fds;
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    for (unsigned fd = first; fd < rl.rlim_cur && fd < 1u << 20; fd++) fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  }
  if (p->bpf && p->no_new_privs) load_seccomp(p);
  signal(SIGPIPE, SIG_DFL);
  if (pause_only) pause_forever(first);
  execve(prog, argv, envp);
  die_errno("exec %s", prog);
}
