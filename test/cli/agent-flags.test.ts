// `corral node` / `corral up` policy flags: --eviction-hard and --seccomp-default reach the agent's
// options, and a mistake is one line naming the flag (exit 125) before anything is made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentOptions } from '../../src/cli/agent-flags.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('agentOptions: thresholds, none, booleans', () => {
  assert.deepEqual(agentOptions({}), {});
  assert.deepEqual(agentOptions({ evictionHard: 'memory.available<5%' }), {
    evictionHard: 'memory.available<5%',
  });
  assert.deepEqual(agentOptions({ evictionHard: 'none' }), { evictionHard: '' });
  assert.deepEqual(agentOptions({ seccompDefault: 'false' }), { seccompDefault: false });
  assert.deepEqual(agentOptions({ seccompDefault: 'true' }), { seccompDefault: true });
  assert.throws(
    () => agentOptions({ evictionHard: 'nodefs.available<1Gi' }),
    /--eviction-hard: .*memory\.available</,
  );
  assert.throws(() => agentOptions({ evictionHard: 'memory.available<lots' }), /--eviction-hard/);
});

test('a bad flag value: one line, exit 125, no data dir made', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'corral-agent-flags-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dataDir = join(base, 'data');
  for (const [args, re] of [
    [
      ['node', '--manifests', base, '--eviction-hard', 'bogus'],
      /^corral: --eviction-hard: "bogus" is not supported; give memory\.available<QUANTITY/,
    ],
    [
      ['up', '--network', 'none', '--seccomp-default', 'maybe'],
      /^corral: --seccomp-default: "maybe" is not a boolean; use true or false\n$/,
    ],
  ] as const) {
    const r = spawnSync(process.execPath, [MAIN, '--data-dir', dataDir, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(dataDir), 'nothing made');
  }
});
