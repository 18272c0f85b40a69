/* oom-watch-v1: OOM notifications of a cgroup v1 memory cgroup, as they happen.
 *
 *   corral-helper oom-watch-v1 CGROUP_MEMORY_DIR
 *
 * Registers an eventfd for memory.oom_control through cgroup.event_control. Prints `ready` once
 * registered, then one line `oom OOM_KILL_COUNT` per notification (the `oom_kill` counter of
 * memory.oom_control, -1 when the kernel lacks it). The kernel also signals the eventfd when the
 * cgroup is removed: then the helper exits 0. It also exits when stdin reaches EOF (the parent
 * went away).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "helper.h"

static long read_oom_kill(int dirfd) {
  int fd = openat(dirfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -2;
  char buf[512];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return -2;
  buf[n] = 0;
  char *p = strstr(buf, "oom_kill ");
  return p ? strtol(p + 9, NULL, 10) : -1;
}

int cmd_oom_watch_v1(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: corral-helper oom-watch-v1 CGROUP_MEMORY_DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    fprintf(stderr, "oom-watch-v1: open %s: %s\n", dir, strerror(errno));
    return 1;
  }
  int ofd = openat(dirfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
  int cfd = openat(dirfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
  int efd = eventfd(0, EFD_CLOEXEC);
  if (ofd < 0 || cfd < 0 || efd < 0) {
    fprintf(stderr, "oom-watch-v1: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  char line[64];
  int len = snprintf(line, sizeof(line), "%d %d", efd, ofd);
  if (write(cfd, line, (size_t)len) != len) {
    fprintf(stderr, "oom-watch-v1: cgroup.event_control: %s\n", strerror(errno));
    return 1;
  }
  close(cfd);
  long last = read_oom_kill(dirfd);
  printf("ready %ld\n", last);
  fflush(stdout);

  struct pollfd pfds[2] = {{.fd = efd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
  for (;;) {
    if (poll(pfds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfds[1].revents) {
      char b[256];
      if (read(0, b, sizeof(b)) <= 0) return 0; /* parent gone */
    }
    if (!(pfds[0].revents & POLLIN)) continue;
    uint64_t v;
    if (read(efd, &v, sizeof(v)) != sizeof(v)) continue;
    /* The notification precedes the kill: give the counter a moment to move. */
    long now = read_oom_kill(dirfd);
    for (int i = 0; i < 100 && now == last && now >= 0; i++) {
      struct timespec ts = {0, 2 * 1000 * 1000};
      nanosleep(&ts, NULL);
      now = read_oom_kill(dirfd);
    }
    if (now == -2) return 0; /* the cgroup was removed */
    if (now != -1) last = now;
    printf("oom %ld\n", now);
    fflush(stdout);
  }
}
