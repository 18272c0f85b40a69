/* `corral-helper spawner`: starts `corral-helper run` processes for a long-lived caller (the node
 * agent) and relays their sync sockets over its own stdin/stdout (PLAN.md, "The spawner").
 *
 * Why: Node starts a child with fork(), which copies the page tables of a process of a hundred
 * megabytes and blocks the event loop until the child has exec'd — milliseconds per container.
 * This process is small, so its fork is cheap; the caller only writes a line. It also seals one
 * copy of the helper (CVE-2019-5736) for all the runs it starts instead of one per run.
 *
 * Requests (stdin), events (stdout): lines in the plan encoding, the first two fields the record
 * name and the caller's token for one run. The spawner decides nothing: it opens what it is told,
 * forks, execs the sealed helper, relays lines and reports exits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helper.h"
#include "plan_internal.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

struct run {
  char *tok;
  pid_t pid;
  int exited;
  int sock; /* our end of the helper's sync socket (non-blocking), -1 once it reached EOF */
  struct lreader rd;
  char *obuf; /* lines for the helper, written once per batch of requests */
  size_t olen, ocap;
};

static struct run *runs;
static int nruns, cap_runs;
static int sealed = -1;
/* Requests come from g_in and events go to g_out: stdin and stdout, or the front's socket. */
static int g_in = 0, g_out = 1;
/* Front mode (front.c): the node CLI this process started, whose exit ends us; 0 otherwise. */
static pid_t g_node;

static void out_fields(const char *name, const char *tok, const char *a, const char *b) {
  char *t = escape_field(tok);
  char *ea = a ? escape_field(a) : NULL, *eb = b ? escape_field(b) : NULL;
  size_t len = strlen(name) + strlen(t) + (ea ? strlen(ea) + 1 : 0) + (eb ? strlen(eb) + 1 : 0) + 3;
  char *line = malloc(len);
  if (!line) abort();
  snprintf(line, len, "%s\t%s%s%s%s%s\n", name, t, ea ? "\t" : "", ea ? ea : "", eb ? "\t" : "", eb ? eb : "");
  if (send_raw(g_out, line, strlen(line)) < 0 && !g_node) _exit(0); /* the caller is gone */
  free(line);
  free(t);
  free(ea);
  free(eb);
}

/* A line from a helper, passed on as it is (it is already in the plan encoding). */
static void out_data(const char *tok, const char *line) {
  char *t = escape_field(tok);
  size_t len = strlen(t) + strlen(line) + 8;
  char *buf = malloc(len);
  if (!buf) abort();
  int n = snprintf(buf, len, "data\t%s\t%s\n", t, line);
  if (send_raw(g_out, buf, (size_t)n) < 0 && !g_node) _exit(0);
  free(buf);
  free(t);
}

static int seal_helper(void) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) return -1;
  int mfd = memfd_create("corral-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("corral-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  struct stat st;
  if (mfd < 0 || fstat(exe, &st) < 0) return -1;
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, exe, &off, (size_t)(st.st_size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
  }
  close(exe);
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) return -1;
  return mfd;
}

/* Write all of buf to a non-blocking socket, waiting while it is full. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      poll(&p, 1, 1000);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Pass on the lines a helper wrote; at EOF close our end and say so. */
static void drain(struct run *r) {
  if (r->sock < 0) return;
  int got;
  while ((got = lr_fill(&r->rd)) > 0) {
    char *l;
    while (lr_next(&r->rd, &l)) {
      out_data(r->tok, l);
      free(l);
    }
  }
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  close(r->sock);
  r->sock = -1;
  out_fields("eof", r->tok, NULL, NULL);
}

static void flush(struct run *r) {
  if (r->olen && r->sock >= 0) write_all(r->sock, r->obuf, r->olen); /* failing: the helper is gone */
  r->olen = 0;
}

static void append(struct run *r, const char *s, size_t n) {
  if (r->olen + n > r->ocap) {
    r->ocap = (r->olen + n) * 2;
    r->obuf = realloc(r->obuf, r->ocap);
    if (!r->obuf) abort();
  }
  memcpy(r->obuf + r->olen, s, n);
  r->olen += n;
}

static struct run *find(const char *tok) {
  for (int i = 0; i < nruns; i++)
    if (strcmp(runs[i].tok, tok) == 0) return &runs[i];
  return NULL;
}

/* `-` /dev/null, `&` the fd as we have it (only the front's 0..2 are its caller's), else a path. */
static int open_stdio(const char *spec, int target) {
  if (strcmp(spec, "&") == 0) {
    if (g_node) return 0;
    errno = EINVAL;
    return -1;
  }
  int fd = open(strcmp(spec, "-") == 0 ? "/dev/null" : spec, O_RDWR | O_NOCTTY);
  if (fd < 0) return -1;
  if (fd != target) {
    if (dup2(fd, target) < 0) return -1;
    close(fd);
  }
  return 0;
}

/* spawn TOKEN DETACHED STDIN STDOUT STDERR [ENV...] */
static void do_spawn(char **f, int nf) {
  if (nf < 6) return;
  const char *tok = f[1];
  if (sealed < 0) {
    out_fields("error", tok, "no sealed copy of corral-helper to run", NULL);
    return;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    out_fields("error", tok, strerror(errno), NULL);
    return;
  }
  /* The child's environment: the caller's entries, then ours. */
  char **env = calloc((size_t)nf, sizeof(char *));
  if (!env) abort();
  int ne = 0;
  for (int i = 6; i < nf; i++) env[ne++] = f[i];
  env[ne++] = "CORRAL_HELPER_SEALED=1";
  env[ne++] = "CORRAL_SYNC_FD=3";
  env[ne] = NULL;
  /* vfork: the child only sets up fds and execs, and copying the spawner's page tables for it
   * (fork) cost more than the exec on a paravirtualised host, where each is a hypervisor call.
   * The child shares our memory until it execs: it writes nothing of ours but errno. */
  pid_t pid = vfork();
  if (pid < 0) {
    out_fields("error", tok, strerror(errno), NULL);
    close(sv[0]);
    close(sv[1]);
    free(env);
    return;
  }
  if (pid == 0) {
    /* As a fresh child of its caller would start (libuv resets them too): no blocked signals,
     * default dispositions (our SIGPIPE ignore must not reach the container). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* The one disposition the spawner changed: libuv started it with all defaults, and handlers
     * do not survive exec (SIG_IGN does). A loop over every signal cost 64 syscalls per run. */
    signal(SIGPIPE, SIG_DFL);
    if (strcmp(f[2], "1") == 0) setsid();
    /* stdio first (they may land on 0..2), then the sync socket as fd 3, nothing else open. */
    int s = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    int m = fcntl(sealed, F_DUPFD_CLOEXEC, 10);
    if (s < 0 || m < 0 || open_stdio(f[3], 0) < 0 || open_stdio(f[4], 1) < 0 || open_stdio(f[5], 2) < 0) {
      dprintf(2, "corral-helper spawner: stdio: %s\n", strerror(errno));
      _exit(127);
    }
    if (dup2(s, 3) < 0) _exit(127);
    /* Everything from 4 up but m (the helper execs from it; it is close-on-exec): two
     * close_range calls, a loop where the kernel has none (before 5.9). */
    if (syscall(SYS_close_range, 4, m - 1, 0) < 0 || syscall(SYS_close_range, m + 1, ~0U, 0) < 0)
      for (int fd = 4; fd < 1024; fd++)
        if (fd != m) close(fd);
    char *argv[] = {"corral-helper", "run", NULL};
    fexecve(m, argv, env);
    dprintf(2, "corral-helper spawner: exec: %s\n", strerror(errno));
    _exit(127);
  }
  free(env);
  close(sv[1]);
  fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  if (nruns == cap_runs) {
    cap_runs = cap_runs ? cap_runs * 2 : 16;
    runs = realloc(runs, (size_t)cap_runs * sizeof *runs);
    if (!runs) abort();
  }
  struct run *r = &runs[nruns++];
  r->tok = strdup(tok);
  r->pid = pid;
  r->exited = 0;
  r->obuf = NULL;
  r->olen = r->ocap = 0;
  r->sock = sv[0];
  lr_init(&r->rd, sv[0]);
  char p[32];
  snprintf(p, sizeof p, "%d", pid);
  out_fields("pid", tok, p, NULL);
}

/* mount TOKEN FSTYPE SOURCE TARGET FLAGS DATA, umount TOKEN TARGET FLAGS, mkfifo TOKEN PATH MODE:
 * one mount(2), umount2(2) or mknod(2) (+ chmod: the mode exactly, whatever the umask) for the
 * caller (a long-running agent: a `mount` or `mkfifo` process would cost it a fork of itself),
 * answered by `done TOKEN ERRNO MESSAGE` (0 and an empty message when it worked). */
static void do_fs_op(char **f, int nf) {
  int rc;
  if (strcmp(f[0], "mount") == 0 && nf >= 7)
    rc = mount(f[3], f[4], f[2], strtoul(f[5], NULL, 10), f[6][0] ? f[6] : NULL);
  else if (strcmp(f[0], "umount") == 0 && nf >= 4)
    rc = umount2(f[2], (int)strtol(f[3], NULL, 10));
  else if (strcmp(f[0], "mkfifo") == 0 && nf >= 4) {
    mode_t mode = (mode_t)strtoul(f[3], NULL, 8) & 07777;
    rc = mknod(f[2], S_IFIFO | mode, 0);
    if (rc == 0) rc = chmod(f[2], mode);
  } else {
    rc = -1;
    errno = EINVAL;
  }
  char e[16];
  snprintf(e, sizeof e, "%d", rc < 0 ? errno : 0);
  out_fields("done", nf >= 2 ? f[1] : "", e, rc < 0 ? strerror(errno) : "");
}

static void drop(int i) {
  free(runs[i].tok);
  free(runs[i].rd.buf);
  free(runs[i].obuf);
  runs[i] = runs[--nruns];
}

static void request(char *line) {
  /* data TOKEN LINE: the rest after the second TAB is the helper's line, unescaped as it is. */
  if (strncmp(line, "data\t", 5) == 0) {
    char *tab = strchr(line + 5, '\t');
    if (!tab) return;
    *tab = 0;
    char *rest = tab + 1;
    char **tf;
    split_fields(line + 5, &tf);
    struct run *r = find(tf[0]);
    if (r && r->sock >= 0) {
      size_t n = strlen(rest);
      rest[n] = '\n'; /* the terminating NUL becomes the line's newline (lr_next allocated n+1) */
      append(r, rest, n + 1);
      rest[n] = 0;
    }
    free(tf);
    return;
  }
  char **f;
  int nf = split_fields(line, &f);
  if (strcmp(f[0], "spawn") == 0) do_spawn(f, nf);
  else if (strcmp(f[0], "mount") == 0 || strcmp(f[0], "umount") == 0 || strcmp(f[0], "mkfifo") == 0)
    do_fs_op(f, nf);
  else if (strcmp(f[0], "ping") == 0 && nf >= 2)
    out_fields("pong", f[1], NULL, NULL); /* ends a caller's pending read of our events */
  else if (strcmp(f[0], "exit") == 0 && nf >= 2 && g_node)
    _exit((int)strtol(f[1], NULL, 10) & 0xff); /* the CLI is done; its own exit may take a while */
  else if (strcmp(f[0], "close") == 0 && nf >= 2) {
    struct run *r = find(f[1]);
    if (r && r->sock >= 0) {
      flush(r);
      shutdown(r->sock, SHUT_WR);
    }
  }
  free(f);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    /* The CLI ended without an `exit` request (a crash, a signal): its status is ours, as a
     * shell's (128+n for signal n). */
    if (g_node && pid == g_node) _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    for (int i = 0; i < nruns; i++) {
      if (runs[i].pid != pid || runs[i].exited) continue;
      char code[16], sig[16];
      snprintf(code, sizeof code, "%d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      snprintf(sig, sizeof sig, "%d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      drain(&runs[i]); /* lines the helper wrote before it exited come first */
      runs[i].exited = 1;
      out_fields("exit", runs[i].tok, code, sig);
      break;
    }
  }
}

/* The request/event loop. `sigs` are blocked and read from a signalfd: SIGCHLD reaps; in front
 * mode the others are passed on to the CLI when a process sent them (kill(2)); those a terminal
 * sends reach the CLI itself, as they reach the whole foreground process group. */
int spawner_serve(int in, int out, pid_t node, const sigset_t *sigs) {
  g_in = in;
  g_out = out;
  g_node = node;
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("corral: signalfd");
    return 1;
  }
  struct lreader in_rd;
  lr_init(&in_rd, in);
  int in_open = 1;
  struct pollfd *pfd = NULL;
  int cap_pfd = 0;
  for (;;) {
    int n = 2 + nruns;
    if (n > cap_pfd) {
      cap_pfd = n * 2;
      pfd = realloc(pfd, (size_t)cap_pfd * sizeof *pfd);
      if (!pfd) abort();
    }
    pfd[0] = (struct pollfd){.fd = in_open ? in : -1, .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (int i = 0; i < nruns; i++) pfd[2 + i] = (struct pollfd){.fd = runs[i].sock, .events = POLLIN};
    if (poll(pfd, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfd[0].revents) {
      if (lr_fill(&in_rd) <= 0) {
        /* The caller ended (or died): leave. Helpers run on, as they would after a caller's exit.
         * The front waits for its CLI's exit status instead. */
        if (!g_node) return 0;
        in_open = 0;
      }
      char *line;
      while (lr_next(&in_rd, &line)) {
        request(line);
        free(line);
      }
      for (int i = 0; i < nruns; i++) flush(&runs[i]);
    }
    /* Helpers' lines (runs added above were not polled: skip them). */
    for (int i = 0; i < n - 2 && i < nruns; i++)
      if (pfd[2 + i].revents && runs[i].sock == pfd[2 + i].fd) drain(&runs[i]);
    if (pfd[1].revents) {
      struct signalfd_siginfo si;
      int chld = 0;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) chld = 1;
        else if (g_node && si.ssi_code != SI_KERNEL) kill(g_node, (int)si.ssi_signo);
      }
      if (chld) reap();
    }
    for (int i = nruns - 1; i >= 0; i--)
      if (runs[i].exited && runs[i].sock < 0) drop(i);
  }
}

/* One sealed memfd copy of this binary (CVE-2019-5736) that every run execs. */
int spawner_seal(void) {
  sealed = seal_helper();
  return sealed < 0 ? -1 : 0;
}

int cmd_spawner(int argc, char **argv) {
  if (spawner_seal() < 0) {
    perror("corral-helper spawner: seal");
    return 1;
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  return spawner_serve(0, 1, 0, &chld);
}
