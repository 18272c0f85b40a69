// Tests break configs in arbitrary ways, so they handle them as untyped JSON.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec, validateSpec } from '../../src/oci/validate.js';
import { OciError } from '../../src/oci/errors.js';
import { defaultSpec } from '../../src/oci/defaults/spec-template.js';

function withChange(change: (s: Record<string, any>) => void): unknown {
  const s = structuredClone(defaultSpec()) as unknown as Record<string, any>;
  change(s);
  return s;
}

function rejects(change: (s: Record<string, any>) => void, message: string) {
  assert.throws(
    () => validateSpec(withChange(change)),
    (e: unknown) => {
      assert.ok(e instanceof OciError, `expected OciError, got ${String(e)}`);
      assert.equal(e.message, message);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
}

test('the default spec is valid', () => {
  validateSpec(defaultSpec());
  validateSpec(defaultSpec({ rootless: { hostUid: 1000, hostGid: 1000 } }));
});

test('errors name the JSON path and the problem', () => {
  const cases: [(s: Record<string, any>) => void, string][] = [
    [(s) => (s.process.args = []), 'process.args: must be a non-empty array'],
    [(s) => delete s.process.args, 'process.args: must be a non-empty array'],
    [(s) => (s.process.args = ['sh', 3]), 'process.args[1]: must be a string'],
    [(s) => delete s.ociVersion, 'ociVersion: must be a string'],
    [(s) => (s.ociVersion = '2.0.0'), 'ociVersion: unsupported version "2.0.0" (expected 1.x.y)'],
    [(s) => delete s.root, 'root: must be an object'],
    [(s) => (s.root.path = ''), 'root.path: must be a non-empty string'],
    [(s) => (s.process.cwd = 'tmp'), 'process.cwd: must be an absolute path (got "tmp")'],
    [(s) => (s.process.user.uid = -1), 'process.user.uid: must be between 0 and 4294967295'],
    [(s) => (s.process.user.uid = '0'), 'process.user.uid: must be an integer'],
    [(s) => (s.process.env = ['FOO']), 'process.env[0]: must have the form KEY=value (got "FOO")'],
    [
      (s) => (s.process.capabilities.bounding = ['CAP_FLY']),
      'process.capabilities.bounding[0]: unknown capability "CAP_FLY"',
    ],
    [
      (s) => (s.process.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }]),
      'process.rlimits[0].type: unknown rlimit "RLIMIT_NOPE" (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)',
    ],
    [
      (s) => (s.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 1 }]),
      'process.rlimits[0]: soft limit 10 is above the hard limit 1',
    ],
    [(s) => (s.process.oomScoreAdj = 2000), 'process.oomScoreAdj: must be between -1000 and 1000'],
    [
      (s) => (s.mounts[0].destination = 'proc'),
      'mounts[0].destination: must be an absolute path (got "proc")',
    ],
    [(s) => (s.mounts = {}), 'mounts: must be an array'],
    [
      (s) => s.linux.namespaces.push({ type: 'bogus' }),
      'linux.namespaces[5].type: unknown namespace "bogus" (expected one of pid, network, mount, ipc, uts, user, cgroup, time)',
    ],
    [
      (s) => s.linux.namespaces.push({ type: 'pid' }),
      'linux.namespaces[5].type: namespace "pid" is listed twice',
    ],
    [
      (s) => s.linux.namespaces.push({ type: 'user', path: 'x' }),
      'linux.namespaces[5].path: must be an absolute path (got "x")',
    ],
    [
      (s) => (s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]),
      'linux.uidMappings: uid/gid mappings need a user namespace in linux.namespaces',
    ],
    [
      (s) => (s.linux.timeOffsets = { monotonic: { secs: 1 } }),
      'linux.timeOffsets: needs a time namespace in linux.namespaces',
    ],
    [
      (s) => (s.linux.devices = [{ type: 'x', path: '/dev/x' }]),
      'linux.devices[0].type: must be one of c, b, u, p (got "x")',
    ],
    [
      (s) => (s.linux.devices = [{ type: 'c', path: '/dev/x' }]),
      'linux.devices[0].major: must be an integer',
    ],
    [
      (s) => (s.linux.rootfsPropagation = 'sideways'),
      'linux.rootfsPropagation: unknown propagation "sideways"',
    ],
    [(s) => (s.linux.seccomp.defaultAction = 'ALLOW'), 'linux.seccomp.defaultAction: unknown action "ALLOW"'],
    [
      (s) => (s.linux.seccomp.syscalls[0].names = []),
      'linux.seccomp.syscalls[0].names: must be a non-empty array',
    ],
    // The checks that name an element's path only once it is wrong (validate.ts) still name it.
    [
      (s) => (s.linux.seccomp.syscalls[1].names = ['read', 7]),
      'linux.seccomp.syscalls[1].names[1]: must be a string',
    ],
    [
      (s) => (s.linux.seccomp.syscalls[1].action = 'SCMP_ACT_MAYBE'),
      'linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_MAYBE"',
    ],
    [
      (s) => (s.linux.seccomp.syscalls[1].errnoRet = -1),
      'linux.seccomp.syscalls[1].errnoRet: must be between 0 and Infinity',
    ],
    [
      (s) => (s.linux.seccomp.syscalls[1].args = [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }]),
      'linux.seccomp.syscalls[1].args[0].index: must be between 0 and 5',
    ],
    [(s) => (s.linux.seccomp.syscalls[1] = 'read'), 'linux.seccomp.syscalls[1]: must be an object'],
    [(s) => (s.process.env = ['A=1', 2]), 'process.env[1]: must be a string'],
    [(s) => (s.process.capabilities.effective = [1]), 'process.capabilities.effective[0]: must be a string'],
    [(s) => (s.mounts[1].options = ['ro', false]), 'mounts[1].options[1]: must be a string'],
    [
      (s) => (s.linux.maskedPaths = ['/proc/kcore', 'kmsg']),
      'linux.maskedPaths[1]: must be an absolute path (got "kmsg")',
    ],
    [(s) => (s.linux.readonlyPaths = [3]), 'linux.readonlyPaths[0]: must be a string'],
    [
      (s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': 1 }),
      'linux.sysctl.net.ipv4.ip_forward: must be a string',
    ],
    [
      (s) => (s.hooks = { prestart: [{ path: 'rel' }] }),
      'hooks.prestart[0].path: must be an absolute path (got "rel")',
    ],
    [(s) => (s.hooks = { later: [] }), 'hooks.later: unknown hook stage'],
    [(s) => (s.annotations = { a: 1 }), 'annotations.a: must be a string'],
  ];
  for (const [change, msg] of cases) rejects(change, msg);
});

test('invalid JSON is one line naming the file', () => {
  assert.throws(
    () => parseSpec('{"ociVersion":', '/b/config.json'),
    (e: unknown) => {
      assert.ok(e instanceof OciError);
      assert.match(e.message, /^\/b\/config\.json: invalid JSON: /);
      return true;
    },
  );
});
