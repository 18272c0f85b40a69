/* `corral` (this binary under that name, native/corral → corral-helper): the command people run.
 * It runs the Node CLI, `node [flags] bin/corral.cjs ARGS...`, and for `corral run` it stays as that
 * CLI's parent (PLAN.md, "The corral front"):
 *  - It is the CLI's helper spawner (spawner.c) over a socket, fd 3 of the CLI
 *    (CORRAL_FRONT_FD=3): this process is small, so starting a helper is a vfork here instead of
 *    a fork of Node, and it runs while Node works; `&` stdio is the caller's own stdio.
 *  - The CLI sends `exit CODE` once the container is gone and its output written, and this
 *    process exits with CODE then: Node's own teardown (its heap, its threads, the exit of a big
 *    process) is no longer part of the command's time.
 *  - Signals that a process sends to it (kill, a supervisor, timeout(1)) are passed on to the
 *    CLI, which passes them to the container; a terminal's reach the CLI directly.
 * It decides nothing about containers: it runs what the CLI asks for. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "helper.h"

#ifndef NODE_BIN
#define NODE_BIN "/usr/bin/node"
#endif

extern char **environ;

/* The command word of `corral [--data-dir DIR] COMMAND ...` (the global options come first). */
static const char *command_word(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--data-dir") == 0) i++;
    else if (argv[i][0] != '-') return argv[i];
    else if (strncmp(argv[i], "--data-dir=", 11) != 0) return NULL;
  }
  return NULL;
}

/* node [flags] bin/corral.cjs ARGS... with this environment; returns only when no node could run.
 * --min-semi-space-size=2 (MiB, V8's default 1): a `corral run` allocates about 2 MB in the young
 * generation, and with twice the room it collects it once or not at all before it ends instead of
 * twice (-1.2 ms a run, 4 paired runs here). The bin/ shims keep a code cache per set of flags. */
static void exec_node(const char *script, int argc, char **argv, char **env) {
  char *args[argc + 4];
  args[0] = "node";
  args[1] = "--min-semi-space-size=2";
  args[2] = (char *)script;
  for (int i = 1; i < argc; i++) args[i + 2] = argv[i];
  args[argc + 2] = NULL;
  /* CORRAL_NODE: a node elsewhere; else node on PATH; else the one found at build time. */
  const char *node = getenv("CORRAL_NODE");
  if (node && node[0]) execve(node, args, env);
  else {
    execvpe("node", args, env);
    execve(NODE_BIN, args, env);
  }
}

static void cannot_run_node(void) {
  fprintf(stderr, "corral: cannot run node (%s): install Node.js, put it on PATH or name it in CORRAL_NODE\n",
          strerror(errno));
}

int cmd_front(int argc, char **argv) {
  char self[PATH_MAX], script[PATH_MAX + 32];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("corral: /proc/self/exe");
    return 125;
  }
  self[n] = 0;
  /* <repo>/native/corral-helper → <repo>/bin/corral.cjs (the shim bin/corral.js links to) */
  for (int up = 0; up < 2; up++) {
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
  }
  snprintf(script, sizeof script, "%s/bin/corral.cjs", self);

  const char *cmd = command_word(argc, argv);
  if (!cmd || strcmp(cmd, "run") != 0) {
    /* Every other command: node in our place (same pid, signals and exit status as its own). */
    exec_node(script, argc, argv, environ);
    cannot_run_node();
    return 125;
  }

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    perror("corral: socketpair");
    return 125;
  }
  /* The CLI's environment: ours and where its front is. Made before vfork: the child only execs. */
  size_t ne = 0;
  while (environ[ne]) ne++;
  char **env = calloc(ne + 2, sizeof *env);
  if (!env) return 125;
  size_t k = 0;
  for (size_t i = 0; i < ne; i++)
    if (strncmp(environ[i], "CORRAL_FRONT_FD=", 16) != 0) env[k++] = environ[i];
  env[k++] = "CORRAL_FRONT_FD=3";
  env[k] = NULL;

  /* Blocked before the CLI exists, so none of them is lost (spawner_serve reads them). */
  sigset_t sigs, none;
  sigemptyset(&sigs);
  sigemptyset(&none);
  const int passed[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++) sigaddset(&sigs, passed[i]);
  sigprocmask(SIG_BLOCK, &sigs, NULL);

  volatile int err = 0;
  pid_t pid = vfork();
  if (pid < 0) {
    perror("corral: vfork");
    return 125;
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(sv[1], 3) < 0) _exit(125); /* dup2 clears close-on-exec */
    exec_node(script, argc, argv, env);
    err = errno; /* vfork: the parent sees it */
    _exit(125);
  }
  if (err) {
    errno = err;
    cannot_run_node();
    return 125;
  }
  close(sv[1]);
  free(env);
  /* After the CLI started (it has tens of milliseconds of its own start-up to do meanwhile). */
  spawner_seal();
  return spawner_serve(sv[0], sv[0], pid, &sigs);
}
