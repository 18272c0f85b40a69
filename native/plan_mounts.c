/* The filesystem part of the child stage: rootfs, mounts, devices, symlinks, pivot_root, masked and
 * read-only paths.
 *
 * Paths inside the rootfs are opened with openat2(RESOLVE_IN_ROOT): symlinks and `..` in the
 * container's image resolve as if the rootfs were `/`, so they can never reach the host. The
 * kernel then mounts onto the opened file via /proc/self/fd/N, so a symlink swapped in after
 * the check cannot redirect the mount either. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "plan_internal.h"

static int rootfd = -1;

static int open_in_root(const char *path, int flags) {
  while (*path == '/') path++;
  struct open_how how = {
      .flags = (unsigned long long)(flags | O_CLOEXEC),
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
}

/* Resolve path inside the rootfs like filepath-securejoin, creating missing components (directories;
 * the last one an empty file when last_is_file), and return an O_PATH fd of the result. Symlinks
 * are resolved by hand against the rootfs, so a dangling absolute link such as /etc -> /host/etc
 * makes /host/etc inside the rootfs, never outside. */
static int mkdir_all_in_root(const char *what, const char *path, int last_is_file) {
  /* Most targets exist (image directories, /dev for device nodes): one openat2 resolves them
   * the way the walk below would (RESOLVE_IN_ROOT: links against the rootfs, `..` clamped). The
   * walk costs an open, a stat and a close per component; it still handles whatever fails here
   * (a missing component to create, a dangling link, its own error messages). */
  int fast = open_in_root(path, O_PATH);
  if (fast >= 0) return fast;
  /* Often only the last component is missing (a mount point in a tmpfs just mounted: /dev/pts,
   * /sys/fs/cgroup/cpu): its parent resolved in one call, it is made there. Anything else (a
   * dangling link in its place, a missing parent) is the walk's. */
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (errno == ENOENT && *base && strcmp(base, ".") && strcmp(base, "..") && strlen(path) < PATH_MAX) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 0, path);
    int parent = open_in_root(dir, O_PATH | O_DIRECTORY);
    if (parent >= 0) {
      int rc = last_is_file
                   ? openat(parent, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)
                   : mkdirat(parent, base, 0755);
      if (rc >= 0 && last_is_file) close(rc);
      close(parent);
      if (rc >= 0 && (fast = open_in_root(path, O_PATH)) >= 0) return fast;
    }
  }
  char prefix[PATH_MAX] = "";  /* resolved so far, free of symlinks, relative to the rootfs */
  char rest[PATH_MAX * 2];     /* components still to walk */
  snprintf(rest, sizeof rest, "%s", path);
  for (int links = 0;;) {
    char *r = rest;
    while (*r == '/') r++;
    if (!*r) break;
    size_t clen = strcspn(r, "/");
    char comp[NAME_MAX + 1];
    if (clen > NAME_MAX) die("%s: %s: name too long", what, path);
    memcpy(comp, r, clen);
    comp[clen] = 0;
    memmove(rest, r + clen, strlen(r + clen) + 1);
    int last = rest[strspn(rest, "/")] == 0;
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) { /* clamped at the rootfs */
      char *slash = strrchr(prefix, '/');
      *(slash ? slash : prefix) = 0;
      continue;
    }
    int parent = open_in_root(prefix, O_PATH | O_DIRECTORY);
    if (parent < 0) die_errno("%s: open %s/ in the rootfs", what, prefix);
    struct stat st;
    if (fstatat(parent, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT) die_errno("%s: stat %s/%s in the rootfs", what, prefix, comp);
      int rc;
      if (last && last_is_file) {
        rc = openat(parent, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) close(rc);
      } else {
        rc = mkdirat(parent, comp, 0755);
      }
      if (rc < 0 && errno != EEXIST) die_errno("%s: create %s/%s in the rootfs", what, prefix, comp);
    } else if (S_ISLNK(st.st_mode)) {
      char link[PATH_MAX];
      ssize_t n = readlinkat(parent, comp, link, sizeof link - 1);
      if (n < 0) die_errno("%s: readlink %s/%s", what, prefix, comp);
      link[n] = 0;
      if (++links > 40) die("%s: %s: too many levels of symbolic links", what, path);
      if (strlen(link) + strlen(rest) + 2 > sizeof rest) die("%s: %s: path too long", what, path);
      size_t ll = strlen(link), rl = strlen(rest); /* rest = link + "/" + rest */
      memmove(rest + ll + 1, rest, rl + 1);
      memcpy(rest, link, ll);
      rest[ll] = '/';
      if (link[0] == '/') prefix[0] = 0;
      close(parent);
      continue;
    }
    close(parent);
    size_t l = strlen(prefix);
    if (l + clen + 2 > sizeof prefix) die("%s: %s: path too long", what, path);
    snprintf(prefix + l, sizeof prefix - l, "/%s", comp);
  }
  /* RESOLVE_IN_ROOT again: a component swapped for a symlink meanwhile still cannot escape */
  int fd = open_in_root(prefix, O_PATH);
  if (fd < 0) die_errno("%s: open %s in the rootfs", what, path);
  return fd;
}

/* Split "a/b/c" into an O_PATH fd of the (created) parent directory and the last component. */
static int parent_in_root(const char *what, const char *path, const char **base) {
  const char *slash = strrchr(path, '/');
  *base = slash ? slash + 1 : path;
  if (!**base) die("%s: %s: no file name", what, path);
  char *dir = strndup(path, slash ? (size_t)(slash - path) : 0);
  int fd = mkdir_all_in_root(what, dir, 0);
  free(dir);
  return fd;
}

static const char *fdpath(int fd, char *buf) {
  sprintf(buf, "/proc/self/fd/%d", fd);
  return buf;
}

/* Flags a user namespace may not clear on remount ("locked"), taken from the mount as it is. */
static unsigned long locked_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int remount_bind(const char *path, unsigned long flags) {
  int rc = mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
  if (rc < 0 && errno == EPERM) rc = mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | locked_flags(path), NULL);
  return rc;
}

#define PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

static void do_mount(const struct rec *r) {
  const char *src = r->f[1], *target = r->f[2], *fstype = r->f[3], *data = r->f[6];
  unsigned long flags = (unsigned long)num_field(r, 4, 10);
  unsigned long prop = (unsigned long)num_field(r, 5, 10);
  char p1[64], p2[64];
  int is_file = 0;
  if (flags & MS_BIND) {
    struct stat st;
    if (stat(src, &st) < 0) die_errno("mount %s: source %s", target, src);
    is_file = !S_ISDIR(st.st_mode);
  }
  int tfd = mkdir_all_in_root("mount", target, is_file);
  if (flags & MS_BIND) {
    if (mount(src, fdpath(tfd, p1), NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
      die_errno("mount %s: bind %s", target, src);
    unsigned long extra = flags & ~(MS_BIND | MS_REC | PROPAGATION);
    if (extra) { /* bind ignores the other flags: they need a remount of the new mount */
      int nfd = open_in_root(target, O_PATH);
      if (nfd < 0 || remount_bind(fdpath(nfd, p2), extra) < 0)
        die_errno("mount %s: remount bind with flags 0x%lx", target, extra);
      close(nfd);
    }
  } else {
    if (mount(src, fdpath(tfd, p1), fstype, flags & ~(unsigned long)PROPAGATION, *data ? data : NULL) < 0)
      die_errno("mount %s: %s (%s)", target, fstype, src);
  }
  close(tfd);
  if (prop) {
    int nfd = open_in_root(target, O_PATH);
    if (nfd < 0 || mount(NULL, fdpath(nfd, p2), NULL, prop, NULL) < 0)
      die_errno("mount %s: propagation 0x%lx", target, prop);
    close(nfd);
  }
}

static void do_device(const struct rec *r) {
  const char *path = r->f[1], *base;
  char t = r->f[2][0];
  mode_t type = t == 'b' ? S_IFBLK : t == 'p' ? S_IFIFO : S_IFCHR;
  if (strlen(r->f[2]) != 1 || !strchr("cbpu", t)) die("device %s: unknown type \"%s\"", path, r->f[2]);
  dev_t dev = makedev((unsigned)num_field(r, 3, 10), (unsigned)num_field(r, 4, 10));
  mode_t mode = (mode_t)num_field(r, 5, 8);
  int dfd = parent_in_root("device", path, &base);
  if (mknodat(dfd, base, type | (mode & 07777), dev) < 0) {
    if (errno != EEXIST) die_errno("device %s: mknod", path);
    /* an image may ship a stale node: replace it (never a directory) */
    if (unlinkat(dfd, base, 0) < 0 || mknodat(dfd, base, type | (mode & 07777), dev) < 0)
      die_errno("device %s: replace existing file", path);
  }
  if (fchownat(dfd, base, (uid_t)num_field(r, 6, 10), (gid_t)num_field(r, 7, 10), AT_SYMLINK_NOFOLLOW) < 0)
    die_errno("device %s: chown", path);
  close(dfd);
}

static void do_device_bind(const struct rec *r) {
  char p1[64];
  int tfd = mkdir_all_in_root("device-bind", r->f[1], 1);
  /* the host's device of the same name */
  if (mount(r->f[1], fdpath(tfd, p1), NULL, MS_BIND, NULL) < 0) die_errno("device-bind %s", r->f[1]);
  close(tfd);
}

static void do_symlink(const struct rec *r) {
  const char *base;
  int dfd = parent_in_root("symlink", r->f[2], &base);
  if (symlinkat(r->f[1], dfd, base) < 0 && errno != EEXIST)
    die_errno("symlink %s -> %s", r->f[2], r->f[1]);
  close(dfd);
}

static void do_mkdir(const struct rec *r) {
  int fd = mkdir_all_in_root("mkdir", r->f[1], 0);
  char p1[64];
  /* mode applies to the last component (parents get 0755) */
  if (chmod(fdpath(fd, p1), (mode_t)num_field(r, 2, 8)) < 0) die_errno("mkdir %s: chmod", r->f[1]);
  close(fd);
}

static void each(struct plan *p, const char *name, void (*fn)(const struct rec *)) {
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->recs[i].f[0], name)) fn(&p->recs[i]);
}

void mounts_setup(struct plan *p) {
  struct rec *r = plan_find(p, "rootfs-propagation");
  /* Without a record we still make / a slave when there is a rootfs: the mounts below must never
   * propagate back to the host (and pivot_root refuses shared mounts). */
  unsigned long prop = r ? (unsigned long)num_field(r, 1, 10) : (p->rootfs ? MS_SLAVE : 0);
  if (prop && mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    die_errno("rootfs-propagation: mount / 0x%lx", prop);
  if (p->rootfs) {
    /* The root filesystem mounted here, in the container's own mount namespace (an overlay over
     * image layers): nothing to unmount on the host, it goes with the namespace. */
    struct rec *rm = plan_find(p, "rootfs-mount");
    if (rm && mount(rm->f[1], p->rootfs, rm->f[2], 0, *rm->f[3] ? rm->f[3] : NULL) < 0)
      die_errno("rootfs-mount: %s (%s) on %s", rm->f[2], rm->f[1], p->rootfs);
    if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) die_errno("rootfs: bind %s", p->rootfs);
    rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  } else {
    rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  if (rootfd < 0) die_errno("rootfs: open %s", p->rootfs ? p->rootfs : "/");
  each(p, "mount", do_mount);
  each(p, "mkdir", do_mkdir);
  each(p, "device", do_device);
  each(p, "device-bind", do_device_bind);
  each(p, "symlink", do_symlink);
}

void mounts_switch_root(struct plan *p) {
  if (!p->rootfs) return;
  if (chdir(p->rootfs) < 0) die_errno("pivot-root: chdir %s", p->rootfs);
  if (p->pivot_chroot) {
    if (mount(p->rootfs, "/", NULL, MS_MOVE, NULL) < 0) die_errno("pivot-root: move %s to /", p->rootfs);
    if (chroot(".") < 0) die_errno("pivot-root: chroot");
  } else {
    /* pivot_root(".", "."): the old root ends up stacked on the new one and is detached at once,
     * no temporary directory needed (as runc and crun do). */
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) die_errno("pivot-root: open /");
    if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot-root: pivot_root %s", p->rootfs);
    if (fchdir(oldroot) < 0) die_errno("pivot-root: fchdir old root");
    /* never propagate the unmount to the host */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) die_errno("pivot-root: make old root slave");
    if (umount2(".", MNT_DETACH) < 0) die_errno("pivot-root: detach old root");
    close(oldroot);
  }
  if (chdir("/") < 0) die_errno("pivot-root: chdir /");
  close(rootfd);
  rootfd = -1;
}

static void mask_path(const struct rec *r) {
  struct stat st;
  const char *path = r->f[1];
  if (stat(path, &st) < 0) {
    if (errno == ENOENT) return;
    die_errno("masked-path %s", path);
  }
  int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
                               : mount("/dev/null", path, NULL, MS_BIND, NULL);
  if (rc < 0) die_errno("masked-path %s", path);
}

static void readonly_path(const struct rec *r) {
  const char *path = r->f[1];
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT) return;
    die_errno("readonly-path %s: bind", path);
  }
  if (remount_bind(path, MS_RDONLY | locked_flags(path)) < 0) die_errno("readonly-path %s: remount read-only", path);
}

void mounts_finish(struct plan *p) {
  each(p, "masked-path", mask_path);
  each(p, "readonly-path", readonly_path);
  if (plan_find(p, "rootfs-readonly") && remount_bind("/", MS_RDONLY | locked_flags("/")) < 0)
    die_errno("rootfs-readonly: remount / read-only");
}
