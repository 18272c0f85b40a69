import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { defaultSeccomp, resolveSeccompProfile } from '../../src/oci/defaults/seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from '../../src/oci/defaults/seccomp-profile.js';
import { DEFAULT_CAPS } from '../../src/oci/defaults/capabilities.js';
import { validateSpec } from '../../src/oci/validate.js';
import { defaultSpec } from '../../src/oci/defaults/spec-template.js';

test("the default capability set is podman's (containers.conf on this machine when installed)", () => {
  const conf = '/usr/share/containers/containers.conf';
  if (existsSync(conf)) {
    const m = /^default_capabilities\s*=\s*\[([^\]]*)\]/m.exec(readFileSync(conf, 'utf8'));
    const caps = [...m![1]!.matchAll(/"([A-Z_]+)"/g)].map((x) => `CAP_${x[1]}`);
    assert.deepEqual([...DEFAULT_CAPS].sort(), caps.sort());
  }
  assert.equal(DEFAULT_CAPS.length, 11);
});

test('the shipped seccomp profile is the installed containers-common one', (t) => {
  const path = '/usr/share/containers/seccomp.json';
  if (!existsSync(path)) return t.skip('no /usr/share/containers/seccomp.json');
  assert.deepEqual(DEFAULT_SECCOMP_PROFILE, JSON.parse(readFileSync(path, 'utf8')));
});

test('the profile resolves per capability set and architecture', () => {
  const sc = defaultSeccomp(DEFAULT_CAPS, 'x64');
  assert.equal(sc.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(sc.defaultErrnoRet, 38);
  assert.deepEqual(sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const allowed = new Set(
    sc.syscalls!.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names),
  );
  const denied = sc.syscalls!.filter((s) => s.action === 'SCMP_ACT_ERRNO').flatMap((s) => s.names);
  assert.ok(allowed.has('read') && allowed.has('arch_prctl') && allowed.has('chroot'));
  // mount is allowed by the profile (podman relies on CAP_SYS_ADMIN being dropped); bpf needs the cap.
  assert.ok(allowed.has('mount') && !allowed.has('bpf') && !allowed.has('init_module'));
  assert.ok(denied.includes('bpf') && denied.includes('kexec_load'));
  assert.ok(!allowed.has('breakpoint'), 'arm-only syscalls are left out on x86_64');
  // CAP_SYS_ADMIN unlocks the admin syscalls and removes their explicit EPERM.
  const admin = resolveSeccompProfile(DEFAULT_SECCOMP_PROFILE, [...DEFAULT_CAPS, 'CAP_SYS_ADMIN'], 'x64');
  const adminAllowed = new Set(
    admin.syscalls!.filter((s) => s.action === 'SCMP_ACT_ALLOW').flatMap((s) => s.names),
  );
  assert.ok(adminAllowed.has('bpf') && adminAllowed.has('umount2'));
  assert.ok(!admin.syscalls!.some((s) => s.action === 'SCMP_ACT_ERRNO' && s.names.includes('bpf')));
  // The resolved profile is a valid OCI linux.seccomp.
  const spec = defaultSpec();
  spec.linux!.seccomp = admin;
  validateSpec(spec);
});
