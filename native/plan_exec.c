#include <stdio.h>
#include "helper.h"

/* placeholder until implemented */
int cmd_run(int argc, char **argv) {
  fprintf(stderr, "plan_exec: not built yet\n");
  return 2;
}
