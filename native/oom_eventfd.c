#include <stdio.h>
#include "helper.h"

/* placeholder until implemented */
int cmd_oom_watch_v1(int argc, char **argv) {
  fprintf(stderr, "oom_eventfd: not built yet\n");
  return 2;
}
