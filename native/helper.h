/* Shared declarations of corral-helper's subcommands (see PLAN.md). */
#ifndef CORRAL_HELPER_H
#define CORRAL_HELPER_H

int cmd_run(int argc, char **argv);             /* plan_exec.c */
int cmd_seccomp_compile(int argc, char **argv); /* seccomp_compile.c */
int cmd_bpf_devices(int argc, char **argv);     /* bpf_devices.c */
int cmd_oom_watch_v1(int argc, char **argv);    /* oom_eventfd.c */
int cmd_spawner(int argc, char **argv);         /* spawner.c */
int cmd_front(int argc, char **argv);           /* front.c: this binary run as `corral` */

/* spawner.c, for the front */
#include <signal.h>
#include <sys/types.h>
int spawner_seal(void);
int spawner_serve(int in, int out, pid_t node, const sigset_t *sigs);

#endif
