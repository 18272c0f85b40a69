/* corral-helper: executes what TypeScript decided. No policy lives here. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "helper.h"

#ifdef CORRAL_SECCOMP_EXTERNAL
/* Built without libseccomp (see the Makefile): corral-seccomp next to this binary compiles. */
static int exec_seccomp_compiler(char **argv) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof "/corral-seccomp");
  if (n <= 0) {
    fprintf(stderr, "corral-helper: seccomp-compile: readlink /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  path[n] = '\0';
  char *slash = strrchr(path, '/');
  strcpy(slash ? slash + 1 : path, "corral-seccomp");
  argv[0] = path;
  execv(path, argv);
  fprintf(stderr, "corral-helper: seccomp-compile: cannot run %s: %s\n", path, strerror(errno));
  return 1;
}
#endif

int main(int argc, char **argv) {
  /* Run as `corral` (native/corral is a link to this binary): the front of the CLI. */
  const char *base = strrchr(argv[0], '/');
  if (strcmp(base ? base + 1 : argv[0], "corral") == 0) return cmd_front(argc, argv);
  if (argc >= 2) {
    if (strcmp(argv[1], "run") == 0) return cmd_run(argc - 1, argv + 1);
#ifdef CORRAL_SECCOMP_EXTERNAL
    if (strcmp(argv[1], "seccomp-compile") == 0) return exec_seccomp_compiler(argv);
#else
    if (strcmp(argv[1], "seccomp-compile") == 0) return cmd_seccomp_compile(argc - 1, argv + 1);
#endif
    if (strcmp(argv[1], "bpf-devices") == 0) return cmd_bpf_devices(argc - 1, argv + 1);
    if (strcmp(argv[1], "oom-watch-v1") == 0) return cmd_oom_watch_v1(argc - 1, argv + 1);
    if (strcmp(argv[1], "spawner") == 0) return cmd_spawner(argc - 1, argv + 1);
  }
  fprintf(stderr, "usage: corral-helper run|seccomp-compile|bpf-devices|oom-watch-v1|spawner ...\n"
                  "This helper is started by corral; see native/PLAN.md.\n");
  return 2;
}
