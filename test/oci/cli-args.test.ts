// corral-oci's argument parser (src/cli/oci/args.ts): runc's conventions on util.parseArgs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, UsageError, type Options } from '../../src/cli/oci/args.js';

const OPTS: Options = {
  bundle: { short: 'b', value: 'dir', help: '', default: '.' },
  'pid-file': { value: 'file', help: '' },
  detach: { short: 'd', help: '' },
  tty: { short: 't', help: '' },
  env: { short: 'e', value: 'K=V', multiple: true, help: '' },
  'cpu-quota': { value: 'us', help: '' },
  'no-pivot': { help: '' },
};

test('options before, after and between positionals; --flag=value and --flag value', () => {
  const p = parse(['--bundle', '/b', 'c1', '--pid-file=/p', '-d'], OPTS);
  assert.deepEqual(p.positionals, ['c1']);
  assert.equal(p.values.bundle, '/b');
  assert.equal(p.values.pidFile, '/p');
  assert.equal(p.values.detach, true);
  assert.equal(p.values.noPivot, undefined);
  assert.deepEqual(p.values.env, []);
  assert.equal(parse([], OPTS).values.bundle, '.', 'defaults apply');
});

test('a value option takes the next argument even when it starts with a dash (runc: --cpu-quota -1)', () => {
  assert.equal(parse(['--cpu-quota', '-1', 'c1'], OPTS).values.cpuQuota, '-1');
  assert.equal(parse(['-b', '-weird', 'c1'], OPTS).values.bundle, '-weird');
});

test('short groups, attached values, repeated options, booleans as --flag=true|false', () => {
  const p = parse(['-dt', '-b/x', '-e', 'A=1', '--env=B=2', '--no-pivot=true', '--tty=false', 'c1'], OPTS);
  assert.equal(p.values.detach, true);
  assert.equal(p.values.tty, true, '-dt set it; --tty=false adds nothing');
  assert.equal(p.values.bundle, '/x');
  assert.deepEqual(p.values.env, ['A=1', 'B=2']);
  assert.equal(p.values.noPivot, true);
  assert.equal(parse(['-db', '/y', 'c1'], OPTS).values.bundle, '/y');
});

test('stopAtPositional: what follows the first positional is left alone (exec ID CMD -c ...)', () => {
  const p = parse(['-t', 'c1', 'sh', '-c', 'echo', '--bundle'], OPTS, true);
  assert.equal(p.values.tty, true);
  assert.deepEqual(p.rest, ['c1', 'sh', '-c', 'echo', '--bundle']);
  assert.deepEqual(parse(['--', '-x', 'y'], OPTS, true).rest, ['-x', 'y']);
});

test('usage errors are one line naming the flag', () => {
  const err = (args: string[], re: RegExp) =>
    assert.throws(
      () => parse(args, OPTS),
      (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
    );
  err(['--bogus'], /^unknown option '--bogus'$/);
  err(['-z'], /^unknown option '-z'$/);
  err(['-dz'], /^unknown option '-z'$/);
  err(['c1', '--bundle'], /^option '-b, --bundle <dir>' argument missing$/);
  err(['--pid-file'], /^option '--pid-file <file>' argument missing$/);
  err(['--detach=maybe'], /^option '-d, --detach' takes no value/);
});
