/* `terminal-relay` (PLAN.md): the container gets a pty of its own devpts; the helper (parent) keeps
 * the master and copies bytes between it and its own stdin/stdout, and applies `winsize` lines that
 * TypeScript sends on the sync socket. Node cannot receive SCM_RIGHTS, so this is how Corral's own
 * callers (corral run -t, exec -t through the node agent) get a terminal.
 *
 * The child opens the pty after pivot_root (so the slave lives in the container's /dev/pts and
 * `tty` names it) and sends the master to the parent over a private socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>
#include "plan_internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

void relay_prepare(struct plan *p) {
  p->relay_sv[0] = p->relay_sv[1] = -1;
  if (!p->relay) return;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->relay_sv) < 0) die_errno("terminal-relay: socketpair");
}

static void set_size(int fd, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return; /* 0: unknown, keep the kernel's default */
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  ioctl(fd, TIOCSWINSZ, &ws);
}

/* Child, after pivot_root: a pty of the container's devpts becomes its controlling terminal and stdio. */
void relay_child_setup(struct plan *p) {
  if (!p->relay) return;
  close(p->relay_sv[0]);
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die_errno("terminal-relay: open /dev/ptmx (the container needs devpts on /dev/pts)");
  if (unlockpt(master) < 0) die_errno("terminal-relay: unlockpt");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) die_errno("terminal-relay: open the pty slave");
  set_size(master, p->relay_rows, p->relay_cols);
  struct rec *u = plan_find(p, "user");
  /* the process's user owns its terminal, as after a login (mesg, tty permissions) */
  if (u && fchown(slave, (uid_t)num_field(u, 1, 10), (gid_t)num_field(u, 2, 10)) < 0 && errno != EINVAL)
    die_errno("terminal-relay: chown the pty slave");

  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = "m", .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (sendmsg(p->relay_sv[1], &msg, MSG_NOSIGNAL) < 0) die_errno("terminal-relay: send the pty master");
  close(master);
  close(p->relay_sv[1]);

  if (setsid() < 0) die_errno("terminal-relay: setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die_errno("terminal-relay: make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) die_errno("terminal-relay: dup2");
  if (slave > 2) close(slave);
}

static int recv_master(int sock) {
  char c, cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &c, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

/* Write everything, waiting when fd is non-blocking. -1: the reader is gone. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd pf = {.fd = fd, .events = POLLOUT};
      poll(&pf, 1, -1);
      continue;
    }
    if (n < 0) return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Copy what the pty has to stdout; 0 when the master reports EOF/EIO (no slave left open). */
static int pump_out(int master, int *out_ok) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 1;
    if (n <= 0) return 0;
    /* a vanished reader must not stop the container: keep draining, drop the bytes */
    if (*out_ok && write_all(1, buf, (size_t)n) < 0) *out_ok = 0;
  }
}

/* Stdin ended: a shell on the terminal should see end of input, as `script` does it: the VEOF
 * character when the terminal is in canonical mode. */
static void send_eof(int master) {
  struct termios t;
  if (tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON)) {
    char c = (char)t.c_cc[VEOF];
    write_all(master, &c, 1);
  }
}

static void apply_control(int master, struct lreader *sr) {
  char *line, **f;
  while (lr_next(sr, &line)) {
    int nf = split_fields(line, &f);
    if (nf == 3 && !strcmp(f[0], "winsize")) set_size(master, atoi(f[1]), atoi(f[2]));
    free(f);
    free(line);
  }
}

/* Parent, after `created`: relay until the container process has exited (it is left unreaped). */
void relay_terminal(struct plan *p, struct lreader *sr) {
  close(p->relay_sv[1]);
  int master = recv_master(p->relay_sv[0]);
  close(p->relay_sv[0]);
  if (master < 0) return; /* the child died before it sent the pty: wait_container reports it */
  signal(SIGPIPE, SIG_IGN);
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  int pidfd = (int)syscall(SYS_pidfd_open, g_child_pid, 0);
  if (pidfd < 0) die_errno("terminal-relay: pidfd_open (needs Linux 5.3)");
  int in_open = p->relay_stdin, sync_open = 1, out_ok = 1, master_open = 1;
  char inbuf[4096];
  size_t inlen = 0, inoff = 0;
  for (;;) {
    struct pollfd fds[4] = {
        {.fd = master_open ? master : -1, .events = (short)(POLLIN | (inlen ? POLLOUT : 0))},
        {.fd = in_open && !inlen ? 0 : -1, .events = POLLIN},
        {.fd = sync_open ? sr->fd : -1, .events = POLLIN},
        {.fd = pidfd, .events = POLLIN},
    };
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue; /* a forwarded signal */
      die_errno("terminal-relay: poll");
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!pump_out(master, &out_ok)) master_open = 0;
    }
    if (inlen && master_open && (fds[0].revents & POLLOUT)) {
      ssize_t n = write(master, inbuf + inoff, inlen - inoff);
      if (n > 0) inoff += (size_t)n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR) inoff = inlen;
      if (inoff == inlen) inlen = inoff = 0;
    }
    if (fds[1].revents) {
      ssize_t n = read(0, inbuf, sizeof inbuf);
      if (n > 0) inlen = (size_t)n;
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        in_open = 0;
        if (master_open) send_eof(master);
      }
    }
    if (fds[2].revents) {
      if (lr_fill(sr) <= 0) sync_open = 0; /* TypeScript is gone: the container runs on */
      apply_control(master, sr);
    }
    if (fds[3].revents) break;
  }
  /* The process has exited; what it wrote is in the pty's buffer. */
  if (master_open) pump_out(master, &out_ok);
  close(pidfd);
  close(master);
}
