// Which commands a `corral` start registers: all of them for help and for a word it does not
// know, only the one typed of the container commands. What a user sees must not depend on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerContainerCommands } from '../../src/cli/containers/register.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const CONTAINER_COMMANDS = ['run', 'ps', 'logs', 'stop', 'rm', 'exec', 'inspect'];

function corral(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}

test('registerContainerCommands: all of them, or only the one asked for', () => {
  const names = (only?: string) => {
    const p = new Command('corral').enablePositionalOptions(); // as main.ts
    registerContainerCommands(p, () => '/nonexistent', only);
    return p.commands.map((c) => c.name());
  };
  assert.deepEqual(names(), CONTAINER_COMMANDS);
  assert.deepEqual(names('ps'), ['ps']);
  assert.deepEqual(names('run'), ['run']);
  // Not one of them (an inherited property name included): all of them.
  assert.deepEqual(names('constructor'), CONTAINER_COMMANDS);
});

test("corral --help lists every command; a command's help shows its own flags", () => {
  const help = corral('--help');
  assert.equal(help.status, 0);
  for (const c of [...CONTAINER_COMMANDS, 'image', 'node', 'server', 'up', 'kubeconfig'])
    assert.match(help.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
  const run = corral('run', '--help');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /^Usage: corral run \[options\] IMAGE/m);
  assert.match(run.stdout, /--pids-limit <n>/);
  const ps = corral('ps', '--help');
  assert.equal(ps.status, 0);
  assert.match(ps.stdout, /^Usage: corral ps \[options\]/m);
  assert.match(ps.stdout, /--no-trunc/);
});

test('a mistyped command is told the commands it may have meant', () => {
  const r = corral('rn');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown command 'rn'/);
  assert.match(r.stderr, /Did you mean one of rm, run\?/);
});
