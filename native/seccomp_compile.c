#include <stdio.h>
#include "helper.h"

/* placeholder until implemented */
int cmd_seccomp_compile(int argc, char **argv) {
  fprintf(stderr, "seccomp_compile: not built yet\n");
  return 2;
}
