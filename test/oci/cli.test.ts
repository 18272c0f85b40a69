// corral-oci's command line without root: one-line errors, spec, features.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateSpec } from '../../src/oci/validate.js';

const BIN = resolve(import.meta.dirname, '../../../bin/corral-oci.js');

export function oci(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'corral-oci-cli-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('spec writes a valid default config.json and refuses to overwrite it', (t) => {
  const d = tmp(t);
  assert.equal(oci(['spec', '--bundle', d]).code, 0);
  const spec = validateSpec(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')));
  assert.equal(spec.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
  const again = oci(['spec', '-b', d]);
  assert.equal(again.code, 1);
  assert.match(again.err, /^corral-oci: .*config\.json exists; remove it first\n$/);
});

test('errors are one line on stderr, exit 1, and go to --log as JSON', (t) => {
  const d = tmp(t);
  const missing = oci(['--root', d, 'state', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.err, 'corral-oci: container "nope" does not exist\n');
  writeFileSync(
    join(d, 'config.json'),
    JSON.stringify({
      ociVersion: '1.0.2',
      root: { path: 'rootfs' },
      process: { args: [], cwd: '/', user: { uid: 0, gid: 0 } },
    }),
  );
  const log = join(d, 'log.json');
  const bad = oci([
    '--root',
    join(d, 'state'),
    '--log',
    log,
    '--log-format',
    'json',
    'create',
    '-b',
    d,
    'c1',
  ]);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, 'corral-oci: process.args: must be a non-empty array\n');
  const entry = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!);
  assert.equal(entry.level, 'error');
  assert.equal(entry.msg, 'process.args: must be a non-empty array');
  const sd = oci(['--systemd-cgroup', 'list']);
  assert.equal(sd.code, 1);
  assert.match(sd.err, /^corral-oci: --systemd-cgroup is not supported: .*cgroupfs/);
  assert.equal(oci(['bogus']).code, 1);
});

test('features prints the runtime-spec features JSON', () => {
  const r = oci(['features']);
  assert.equal(r.code, 0);
  const f = JSON.parse(r.out);
  assert.equal(f.ociVersionMin, '1.0.0');
  assert.deepEqual(f.linux.namespaces, ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);
  assert.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN'));
});

test('usage: help, version, unknown flags and commands, missing and extra arguments', () => {
  const help = oci(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: corral-oci \[options\] \[command\]\n/);
  assert.match(help.out, /\n {2}exec \[options\] <id> \[command\.\.\.\]  +run a process/);
  const none = oci([]);
  assert.equal(none.code, 1);
  assert.match(none.err, /^Usage: corral-oci/);
  const kill = oci(['kill', '--help']);
  assert.equal(kill.code, 0);
  assert.match(kill.out, /^Usage: corral-oci kill \[options\] <id> \[signal\]\n/);
  assert.match(kill.out, /\n {2}-a, --all +send it to every process/);
  assert.equal(oci(['help', 'kill']).out, kill.out);
  assert.equal(oci(['--version']).out, '0.1.0\n');
  assert.equal(oci(['-v']).out, '0.1.0\n');
  const cases: [string[], string][] = [
    [['--bogus', 'list'], "corral-oci: unknown option '--bogus'\n"],
    [['bogus'], "corral-oci: unknown command 'bogus'\n"],
    [['state'], "corral-oci: missing required argument 'id'\n"],
    [['start', 'a', 'b'], "corral-oci: too many arguments for 'start'. Expected 1 argument but got 2.\n"],
    [['create', 'c1', '--bundle'], "corral-oci: option '-b, --bundle <dir>' argument missing\n"],
    [['delete', '--frce', 'c1'], "corral-oci: unknown option '--frce'\n"],
    [['--root'], "corral-oci: option '--root <dir>' argument missing\n"],
  ];
  for (const [args, err] of cases) {
    const r = oci(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.err, err, args.join(' '));
  }
});

test("conmon's argument orders: globals with = or a space, options after the id, exec pass-through", (t) => {
  const d = tmp(t);
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', root: { path: 'rootfs' } }));
  const state = join(d, 'state');
  // --bundle after the id still names the bundle (the config error proves it was read).
  const c = oci([
    `--root=${state}`,
    '--log-format',
    'json',
    '--systemd-cgroup=false',
    'create',
    'c1',
    '-b',
    d,
  ]);
  assert.equal(c.code, 1);
  assert.match(c.err, /^corral-oci: (process|root\.path)/);
  // After exec's id everything is the process's: -c is sh's, not --cap.
  const e = oci(['--root', state, 'exec', '--detach', 'nope', 'sh', '-c', 'true']);
  assert.equal(e.err, 'corral-oci: container "nope" does not exist\n');
  const k = oci(['--root', state, 'delete', '--force', 'nope']);
  assert.equal(k.code, 0, k.err);
});
