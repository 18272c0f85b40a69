// OCI seccomp → helper profile conversion and validation, and compilation with the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeccompConfigError, seccompProfile } from '../../../src/kernel/seccomp/profile.js';
import { compileSeccomp, seccompPlanRecords } from '../../../src/kernel/seccomp/compile.js';

test('an OCI profile becomes the line profile', () => {
  const p = seccompProfile({
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [
          { index: 0, value: 0, op: 'SCMP_CMP_EQ' },
          { index: 0, value: 8, op: 'SCMP_CMP_EQ' },
        ],
      },
      {
        names: ['socket'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 97,
        args: [
          { index: 0, value: 16, op: 'SCMP_CMP_EQ' },
          { index: 2, value: 9, op: 'SCMP_CMP_EQ' },
        ],
      },
      { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['kexec_load'], action: 'SCMP_ACT_KILL_THREAD' },
      { names: ['acct'], action: 'SCMP_ACT_TRACE', errnoRet: 5 },
    ],
  });
  assert.equal(p.flags, 2 | 4);
  assert.equal(
    p.text,
    [
      '# corral seccomp profile v1',
      'default ERRNO 38',
      'arch x86_64',
      'arch x86',
      'arch x32',
      'rule read ALLOW',
      'rule write ALLOW',
      'rule clone ALLOW arg 0 MASKED_EQ 2114060288 0',
      // the same argument twice: alternatives, one rule each (as runc)
      'rule personality ALLOW arg 0 EQ 0 0',
      'rule personality ALLOW arg 0 EQ 8 0',
      'rule socket ERRNO 97 arg 0 EQ 16 0 arg 2 EQ 9 0',
      'rule ptrace KILL_PROCESS',
      'rule kexec_load KILL',
      'rule acct TRACE 5',
      '',
    ].join('\n'),
  );
});

test('ERRNO defaults to EPERM; the old single `name` is accepted', () => {
  const p = seccompProfile({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO' }],
  });
  assert.equal(p.text, '# corral seccomp profile v1\ndefault ALLOW\nrule mkdir ERRNO 1\n');
  assert.equal(p.flags, 0);
});

test('validation errors name the JSON path', () => {
  const bad = (v: unknown, re: RegExp) =>
    assert.throws(
      () => seccompProfile(v),
      (e: unknown) => e instanceof SeccompConfigError && re.test(e.message),
    );
  bad(null, /^linux\.seccomp: must be an object/);
  bad({}, /^linux\.seccomp\.defaultAction: is required/);
  bad({ defaultAction: 'SCMP_ACT_NOPE' }, /^linux\.seccomp\.defaultAction: unknown action "SCMP_ACT_NOPE"/);
  bad(
    { defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 },
    /^linux\.seccomp\.defaultErrnoRet: only SCMP_ACT_ERRNO/,
  );
  bad(
    { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] },
    /^linux\.seccomp\.architectures\[0\]: unknown architecture "SCMP_ARCH_Z80"/,
  );
  bad(
    { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_X'] },
    /^linux\.seccomp\.flags\[0\]: unknown/,
  );
  bad(
    { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/x.sock' },
    /^linux\.seccomp\.listenerPath: seccomp user notification/,
  );
  const sc = (s: unknown) => ({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [...Array(3).fill({ names: ['read'], action: 'SCMP_ACT_ERRNO' }), s],
  });
  bad(
    sc({ names: ['read'], action: 'SCMP_ACT_FOO' }),
    /^linux\.seccomp\.syscalls\[3\]\.action: unknown action "SCMP_ACT_FOO"/,
  );
  bad(
    {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ERRNO' },
        { names: [], action: 'SCMP_ACT_ALLOW' },
      ],
    },
    /^linux\.seccomp\.syscalls\[1\]\.names: must be a non-empty array/,
  );
  bad(
    sc({ names: ['read'], action: 'SCMP_ACT_NOTIFY' }),
    /syscalls\[3\]\.action: SCMP_ACT_NOTIFY .* not supported/,
  );
  bad(sc({ names: ['re ad'], action: 'SCMP_ACT_ALLOW' }), /syscalls\[3\]\.names\[0\]: not a syscall name/);
  bad(
    sc({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }),
    /syscalls\[3\]\.errnoRet: must be an errno number/,
  );
  bad(
    sc({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }),
    /syscalls\[3\]\.args\[0\]\.index: must be 0 to 5/,
  );
  bad(
    sc({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }),
    /syscalls\[3\]\.args\[0\]\.op: unknown operator "SCMP_CMP_LIKE"/,
  );
  bad(
    sc({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: -5, op: 'SCMP_CMP_EQ' }] }),
    /syscalls\[3\]\.args\[0\]\.value: -5 is out of the unsigned 64-bit range/,
  );
  // the caller chooses the path prefix
  assert.throws(() => seccompProfile({ defaultAction: 1 }, 'process.seccomp'), {
    message: /^process\.seccomp\.defaultAction: unknown action 1/,
  });
});

test('compileSeccomp writes BPF into the cache once and reuses it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-seccomp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cacheDir = join(dir, 'seccomp-cache');
  const profile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { names: ['mkdir', 'mkdirat', 'no_such_syscall_anywhere'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['getpid'], action: 'SCMP_ACT_ALLOW' }, // same as the default: skipped
    ],
  };
  const a = await compileSeccomp(profile, { cacheDir });
  assert.equal(a.compiled, true);
  assert.equal(a.path, join(cacheDir, `${a.hash}.bpf`));
  assert.equal(a.flags, 2);
  const size = statSync(a.path).size;
  assert.ok(size > 0 && size % 8 === 0, `BPF is whole sock_filter entries (${size} bytes)`);
  const b = await compileSeccomp(profile, { cacheDir });
  assert.equal(b.compiled, false);
  assert.equal(b.path, a.path);
  assert.deepEqual(readdirSync(cacheDir), [`${a.hash}.bpf`], 'no temporary files left');
  assert.deepEqual(seccompPlanRecords(a), [
    { op: 'seccomp-bpf', path: a.path },
    { op: 'seccomp-flags', flags: 2 },
  ]);
  await assert.rejects(
    compileSeccomp({ defaultAction: 'SCMP_ACT_FOO' }, { cacheDir }),
    /defaultAction: unknown action/,
  );
});
