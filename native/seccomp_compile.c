/* `corral-helper seccomp-compile OUT.bpf < profile`: libseccomp → classic BPF bytes.
 *
 * Profile format (written by src/kernel/seccomp/, one statement per line, fields separated by
 * blanks; `#` starts a comment line):
 *
 *   default ACTION                      the action for every syscall no rule matches (once, first)
 *   arch NAME                           extra architecture (libseccomp name: x86, x32, aarch64...);
 *                                       the native one is always included
 *   rule SYSCALL ACTION [arg IDX OP VALUE VALUE2]...
 *                                       conditions of one rule are ANDed; IDX 0-5;
 *                                       OP: NE LT LE EQ GE GT MASKED_EQ (MASKED_EQ: VALUE is the
 *                                       mask, VALUE2 the datum; other ops ignore VALUE2);
 *                                       values are unsigned 64-bit decimal
 *
 *   ACTION: ALLOW | KILL (thread) | KILL_PROCESS | TRAP | LOG | ERRNO N | TRACE N
 *
 * Syscall names the native architecture does not know are skipped (as runc does), and so are rules
 * whose action is the default action (libseccomp rejects them). Errors name the line. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helper.h"

static int lineno;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "seccomp-compile: line %d: ", lineno);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static char *next_tok(char **save) { return strtok_r(NULL, " \t\r\n", save); }

static unsigned long long num(const char *s, const char *what) {
  if (!s) fail("missing %s", what);
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || end == s || *s == '-') fail("%s: not an unsigned number: \"%s\"", what, s);
  return v;
}

static uint32_t parse_action(char **save) {
  const char *a = next_tok(save);
  if (!a) fail("missing action");
  if (!strcmp(a, "ALLOW")) return SCMP_ACT_ALLOW;
  if (!strcmp(a, "KILL") || !strcmp(a, "KILL_THREAD")) return SCMP_ACT_KILL_THREAD;
  if (!strcmp(a, "KILL_PROCESS")) return SCMP_ACT_KILL_PROCESS;
  if (!strcmp(a, "TRAP")) return SCMP_ACT_TRAP;
  if (!strcmp(a, "LOG")) return SCMP_ACT_LOG;
  if (!strcmp(a, "ERRNO")) {
    unsigned long long n = num(next_tok(save), "errno");
    if (n > 0xffff) fail("errno %llu out of range", n);
    return SCMP_ACT_ERRNO((uint32_t)n);
  }
  if (!strcmp(a, "TRACE")) {
    unsigned long long n = num(next_tok(save), "trace message");
    if (n > 0xffff) fail("trace message %llu out of range", n);
    return SCMP_ACT_TRACE((uint32_t)n);
  }
  fail("unknown action \"%s\"", a);
}

static enum scmp_compare parse_op(const char *s) {
  static const struct {
    const char *n;
    enum scmp_compare op;
  } ops[] = {{"NE", SCMP_CMP_NE}, {"LT", SCMP_CMP_LT}, {"LE", SCMP_CMP_LE},        {"EQ", SCMP_CMP_EQ},
             {"GE", SCMP_CMP_GE}, {"GT", SCMP_CMP_GT}, {"MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  if (s)
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
      if (!strcmp(s, ops[i].n)) return ops[i].op;
  fail("unknown comparison \"%s\"", s ? s : "");
}

int cmd_seccomp_compile(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: corral-helper seccomp-compile OUT.bpf < profile\n");
    return 2;
  }
  scmp_filter_ctx ctx = NULL;
  uint32_t def = 0;
  int skipped = 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, stdin) >= 0) {
    lineno++;
    char *save = NULL, *kw = strtok_r(line, " \t\r\n", &save);
    if (!kw || kw[0] == '#') continue;
    if (!strcmp(kw, "default")) {
      if (ctx) fail("default given twice");
      def = parse_action(&save);
      ctx = seccomp_init(def);
      if (!ctx) fail("seccomp_init failed");
      continue;
    }
    if (!ctx) fail("the profile must start with `default ACTION`");
    if (!strcmp(kw, "arch")) {
      const char *name = next_tok(&save);
      uint32_t arch = name ? seccomp_arch_resolve_name(name) : 0;
      if (!arch) fail("unknown architecture \"%s\"", name ? name : "");
      int rc = seccomp_arch_add(ctx, arch);
      if (rc < 0 && rc != -EEXIST) fail("arch %s: %s", name, strerror(-rc));
    } else if (!strcmp(kw, "rule")) {
      const char *name = next_tok(&save);
      if (!name) fail("missing syscall name");
      uint32_t action = parse_action(&save);
      struct scmp_arg_cmp conds[6];
      unsigned n = 0;
      for (char *t = next_tok(&save); t; t = next_tok(&save)) {
        if (strcmp(t, "arg")) fail("expected `arg`, got \"%s\"", t);
        if (n == 6) fail("more than 6 argument conditions");
        unsigned long long idx = num(next_tok(&save), "argument index");
        if (idx > 5) fail("argument index %llu out of range 0-5", idx);
        enum scmp_compare op = parse_op(next_tok(&save));
        unsigned long long a = num(next_tok(&save), "value"), b = num(next_tok(&save), "value2");
        conds[n++] = (struct scmp_arg_cmp){.arg = (unsigned)idx, .op = op, .datum_a = a, .datum_b = b};
      }
      int sc = seccomp_syscall_resolve_name(name);
      if (sc == __NR_SCMP_ERROR || action == def) {
        skipped++;
        continue;
      }
      int rc = seccomp_rule_add_array(ctx, action, sc, n, conds);
      if (rc < 0) fail("rule %s: %s", name, strerror(-rc));
    } else {
      fail("unknown statement \"%s\"", kw);
    }
  }
  free(line);
  if (!ctx) fail("empty profile: expected `default ACTION`");
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "seccomp-compile: open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0 || close(fd) < 0) {
    fprintf(stderr, "seccomp-compile: write %s: %s\n", argv[1], strerror(rc < 0 ? -rc : errno));
    return 1;
  }
  seccomp_release(ctx);
  return 0;
}
