// corral-oci: the command engines run (podman --runtime). Node starts in tens of milliseconds,
// which runc's `start` and `delete` take whole, so this front executes those two verbs itself in
// their plain case, from the steps TypeScript wrote at create time (<root>/<id>/fast, format in
// ../PLAN.md "The corral-oci front"); everything else, and anything unusual on the way (a
// lock held, hooks to run, a container still running, a frozen cgroup, an unknown flag, any
// error), is handed to the Node CLI, bin/corral-oci.js, by exec with the same arguments, before
// anything was changed. So every decision and every error message stays in TypeScript.
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NODE_BIN
#define NODE_BIN "/usr/bin/node"
#endif

#define MAX_CGROUPS 32

struct fast {
  long pid;
  char starttime[32];
  char freezer[PATH_MAX];
  char cgroups[MAX_CGROUPS][PATH_MAX];
  int ncgroups;
  int start_ok, delete_ok;
};

static char dir[PATH_MAX], lock_path[PATH_MAX + 8];
static int locked;

/** Give the call to the Node CLI: argv as we got it, after node and the script. */
static void to_node(int argc, char **argv) {
  if (locked) unlink(lock_path);
  char self[PATH_MAX], script[PATH_MAX + 32];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("corral-oci: /proc/self/exe");
    exit(1);
  }
  self[n] = 0;
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  // native/corral-oci → bin/corral-oci.js
  snprintf(script, sizeof script, "%s/../bin/corral-oci.js", self);
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) exit(1);
  args[0] = "node";
  args[1] = script;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  // CORRAL_OCI_NODE: a node elsewhere (and how a test makes sure a verb never reached Node).
  const char *node = getenv("CORRAL_OCI_NODE");
  if (node && node[0]) execv(node, args);
  else {
    execvp("node", args);
    execv(NODE_BIN, args);
  }
  fprintf(stderr, "corral-oci: cannot run node (%s): install Node.js, put it on PATH or name it in CORRAL_OCI_NODE\n",
          strerror(errno));
  exit(1);
}

static int valid_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 1024 || !isalnum((unsigned char)id[0])) return 0;
  for (size_t i = 1; i < n; i++) {
    unsigned char c = (unsigned char)id[i];
    if (!isalnum(c) && c != '_' && c != '.' && c != '+' && c != '-') return 0;
  }
  return 1;
}

/** The state and start time (field 22) of /proc/PID/stat; 0 when there is no such process. */
static int proc_stat(long pid, char *state, char *starttime, size_t len) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); // comm may hold spaces and parentheses
  if (!p || p[1] != ' ') return 0;
  p += 2;
  *state = *p;
  // After ")": field 3 is the state, so the start time (22) is 19 fields on.
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  size_t k = strcspn(p, " ");
  if (k >= len) return 0;
  memcpy(starttime, p, k);
  starttime[k] = 0;
  return 1;
}

/** As src/oci/proc.ts processAlive: there, not a zombie, and the same start time. */
static int alive(const struct fast *f) {
  char state, st[32];
  if (!proc_stat(f->pid, &state, st, sizeof st)) return 0;
  if (state == 'Z' || state == 'X') return 0;
  return strcmp(st, f->starttime) == 0;
}

static int read_small(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return (int)n;
}

static int frozen(const struct fast *f) {
  if (!f->freezer[0]) return 0;
  char buf[256];
  if (read_small(f->freezer, buf, sizeof buf) < 0) return 0; // the cgroup is gone
  size_t l = strlen(f->freezer);
  if (l >= 13 && strcmp(f->freezer + l - 13, "cgroup.events") == 0) return strstr(buf, "frozen 1") != NULL;
  return strncmp(buf, "FROZEN", 6) == 0;
}

/** <dir>/fast: TAB-separated records, one per line (see ../PLAN.md). 0 when absent or unreadable. */
static int load_fast(struct fast *f) {
  char path[PATH_MAX + 8];
  snprintf(path, sizeof path, "%s/fast", dir);
  FILE *fp = fopen(path, "re");
  if (!fp) return 0;
  memset(f, 0, sizeof *f);
  char line[PATH_MAX + 64];
  int version = 0, ok = 1;
  while (ok && fgets(line, sizeof line, fp)) {
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != '\n') {
      ok = 0;
      break;
    }
    line[n - 1] = 0;
    char *val = strchr(line, '\t');
    if (val) *val++ = 0;
    if (strcmp(line, "version") == 0) version = val && strcmp(val, "1") == 0;
    else if (strcmp(line, "pid") == 0 && val) {
      char *tab = strchr(val, '\t');
      if (!tab || strlen(tab + 1) >= sizeof f->starttime) ok = 0;
      else {
        *tab = 0;
        f->pid = strtol(val, NULL, 10);
        strcpy(f->starttime, tab + 1);
      }
    } else if (strcmp(line, "freezer") == 0 && val && strlen(val) < PATH_MAX) strcpy(f->freezer, val);
    else if (strcmp(line, "cgroup") == 0 && val && strlen(val) < PATH_MAX && f->ncgroups < MAX_CGROUPS)
      strcpy(f->cgroups[f->ncgroups++], val);
    else if (strcmp(line, "start") == 0) f->start_ok = 1;
    else if (strcmp(line, "delete") == 0) f->delete_ok = 1;
    else ok = 0; // a record this front does not know: Node knows better
  }
  fclose(fp);
  return ok && version && f->pid > 0 && f->starttime[0];
}

/** The lock of src/oci/state.ts (a file made with O_EXCL holding our pid); 0 when held. */
static int take_lock(void) {
  int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%d", getpid());
  int ok = write(fd, pid, (size_t)n) == n;
  close(fd);
  locked = 1;
  return ok;
}

/** `start`: read the init's byte from the exec fifo, which lets it exec (as lifecycle.ts start). */
static int start(const struct fast *f) {
  char fifo[PATH_MAX + 16];
  snprintf(fifo, sizeof fifo, "%s/exec.fifo", dir);
  if (!f->start_ok || !alive(f) || frozen(f)) return -1;
  int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1; // started already, or not made by a detached create
  char b;
  for (int round = 0;; round++) {
    ssize_t n = read(fd, &b, 1);
    if (n == 1) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      close(fd);
      return -1;
    }
    if (!alive(f)) {
      close(fd);
      return -1; // it exited before start: the Node CLI says so
    }
    // Opening the read end woke the init; its byte follows within a scheduling round.
    if (round < 50) sched_yield();
    else usleep((useconds_t)(round - 49 < 10 ? round - 49 : 10) * 1000);
  }
  close(fd);
  unlink(fifo);
  unlink(lock_path);
  return 0;
}

/** `delete` of a stopped container: rmdir its (empty) cgroups, remove the state directory. */
static int delete(const struct fast *f) {
  if (!f->delete_ok || alive(f)) return -1;
  if (f->ncgroups) {
    char procs[PATH_MAX + 16], buf[64];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", f->cgroups[0]);
    int n = read_small(procs, buf, sizeof buf);
    if (n < 0 ? errno != ENOENT : n > 0) return -1; // processes left: the driver kills them
    for (int i = 0; i < f->ncgroups; i++)
      if (rmdir(f->cgroups[i]) < 0 && errno != ENOENT) return -1; // child cgroups, busy: the driver
  }
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "lock") == 0)
      continue;
    if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
      closedir(d);
      return -1; // a subdirectory: Node's recursive removal (the state is gone: it finds nothing to kill)
    }
  }
  closedir(d);
  unlink(lock_path);
  locked = 0;
  if (rmdir(dir) < 0 && errno != ENOENT) return -1;
  return 0;
}

int main(int argc, char **argv) {
  const char *root = "/run/corral-oci";
  int i = 1;
  // Global options of runc's command line that do not change what start/delete do.
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--root") == 0 && i + 1 < argc) root = argv[++i];
    else if (strncmp(a, "--root=", 7) == 0) root = a + 7;
    else if ((strcmp(a, "--log") == 0 || strcmp(a, "--log-format") == 0 || strcmp(a, "--cgroup-root") == 0) &&
             i + 1 < argc)
      i++;
    else if (strncmp(a, "--log=", 6) == 0 || strncmp(a, "--log-format=", 13) == 0 ||
             strncmp(a, "--cgroup-root=", 14) == 0)
      ;
    else to_node(argc, argv); // --debug, --systemd-cgroup, --help, ...
  }
  if (i >= argc) to_node(argc, argv);
  const char *verb = argv[i++];
  int is_start = strcmp(verb, "start") == 0, is_delete = strcmp(verb, "delete") == 0;
  if (!is_start && !is_delete) to_node(argc, argv);
  const char *id = NULL;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (is_delete && (strcmp(a, "--force") == 0 || strcmp(a, "-f") == 0)) continue;
    if (a[0] == '-' || id) to_node(argc, argv);
    id = a;
  }
  if (!id || !valid_id(id) || root[0] == 0) to_node(argc, argv);
  if ((size_t)snprintf(dir, sizeof dir, "%s/%s", root, id) >= sizeof dir) to_node(argc, argv);
  snprintf(lock_path, sizeof lock_path, "%s/lock", dir);
  struct fast f;
  // The lock first (a `fast` read before it could be one a concurrent delete removes).
  if (!take_lock() || !load_fast(&f)) to_node(argc, argv);
  if ((is_start ? start(&f) : delete(&f)) < 0) to_node(argc, argv);
  return 0;
}
