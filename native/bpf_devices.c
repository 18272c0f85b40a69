#include <stdio.h>
#include "helper.h"

/* placeholder until implemented */
int cmd_bpf_devices(int argc, char **argv) {
  fprintf(stderr, "bpf_devices: not built yet\n");
  return 2;
}
