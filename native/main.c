/* corral-helper: executes what TypeScript decided. No policy lives here. */
#include <stdio.h>
#include <string.h>
#include "helper.h"

int main(int argc, char **argv) {
  if (argc >= 2) {
    if (strcmp(argv[1], "run") == 0) return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "seccomp-compile") == 0) return cmd_seccomp_compile(argc - 1, argv + 1);
    if (strcmp(argv[1], "bpf-devices") == 0) return cmd_bpf_devices(argc - 1, argv + 1);
    if (strcmp(argv[1], "oom-watch-v1") == 0) return cmd_oom_watch_v1(argc - 1, argv + 1);
    if (strcmp(argv[1], "spawner") == 0) return cmd_spawner(argc - 1, argv + 1);
  }
  fprintf(stderr, "usage: corral-helper run|seccomp-compile|bpf-devices|oom-watch-v1|spawner ...\n"
                  "This helper is started by corral; see native/PLAN.md.\n");
  return 2;
}
