// corral-helper spawner (native/spawner.c, src/kernel/plan/spawner.ts): helpers started through
// the long-lived spawner behave as spawned ones — output to the paths given, exit codes, errors
// of a plan step, default signal dispositions — are the spawner's children (not ours), many at
// once keep their own sync streams apart, and the spawner leaves once closed and its runs ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelperError, startPlan } from '../../../src/kernel/plan/helper.js';
import { helperPath } from '../../../src/kernel/helper-path.js';
import type { Plan } from '../../../src/kernel/plan/plan.js';
import { HelperSpawner } from '../../../src/kernel/plan/spawner.js';
import { procStat } from '../../../src/oci/proc.js';

const skip = process.getuid?.() !== 0 && 'needs root';

const shPlan = (script: string): Plan => [
  { op: 'detach', value: false },
  { op: 'env', value: 'PATH=/usr/bin:/bin' },
  { op: 'arg', value: '/bin/sh' },
  { op: 'arg', value: '-c' },
  { op: 'arg', value: script },
];

function scratch(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'corral-spawner-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test(
  'a helper through the spawner: stdio paths, exit code, the spawner is its parent',
  { skip },
  async (t) => {
    const d = scratch(t);
    const spawner = new HelperSpawner(helperPath());
    t.after(() => spawner.close());
    const [out, err, stop] = ['out', 'err', 'stop'].map((f) => join(d, f)) as [string, string, string];
    writeFileSync(out, '');
    writeFileSync(err, '');
    const started = await startPlan(
      shPlan(
        `echo to-out; grep -E '^Sig(Blk|Ign)' /proc/self/status >&2; while [ ! -e ${stop} ]; do sleep 0.02; done; exit 7`,
      ),
      { stdio: ['ignore', { path: out }, { path: err }], detached: true, spawner },
    );
    const helper = started.helper.pid!;
    assert.equal(procStat(started.pid)?.ppid, helper, 'the container process is the helper’s child');
    const parent = procStat(helper)!.ppid;
    assert.notEqual(parent, process.pid, 'not forked by this process');
    assert.equal(parent, spawner.pid, 'forked by the spawner');
    writeFileSync(stop, '');
    const e = await started.exited;
    assert.equal(e.code, 7);
    assert.equal(readFileSync(out, 'utf8'), 'to-out\n');
    // Nothing blocked or ignored: the spawner's own SIGPIPE ignore and SIGCHLD block stay its own.
    assert.match(readFileSync(err, 'utf8'), /^SigBlk:\s+0+\nSigIgn:\s+0+\n$/);
  },
);

test('many runs at once keep their streams apart; a failing step is a HelperError', { skip }, async (t) => {
  const spawner = new HelperSpawner(helperPath());
  t.after(() => spawner.close());
  const codes = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const s = await startPlan(shPlan(`exit ${i}`), {
        stdio: ['ignore', 'ignore', 'ignore'],
        detached: true,
        spawner,
      });
      return (await s.exited).code;
    }),
  );
  assert.deepEqual(codes, [...Array(12).keys()]);
  await assert.rejects(
    startPlan([{ op: 'ns-join', type: 'net', path: '/nonexistent/ns' }, ...shPlan('true')], {
      stdio: ['ignore', 'ignore', 'ignore'],
      detached: true,
      spawner,
    }),
    (e: unknown) => e instanceof HelperError && /nonexistent/.test(e.message),
  );
});

test('close: the spawner leaves once its runs have ended; no new runs', { skip }, async (t) => {
  const d = scratch(t);
  const stop = join(d, 'stop');
  const spawner = new HelperSpawner(helperPath());
  const s = await startPlan(shPlan(`while [ ! -e ${stop} ]; do sleep 0.02; done`), {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
    spawner,
  });
  const pid = spawner.pid!;
  spawner.close();
  await assert.rejects(
    startPlan(shPlan('true'), { stdio: ['ignore', 'ignore', 'ignore'], detached: true, spawner }),
    /spawner is closed/,
  );
  assert.ok(existsSync(`/proc/${pid}`), 'still there for the run it has');
  writeFileSync(stop, '');
  assert.equal((await s.exited).code, 0);
  for (let i = 0; i < 100 && procStat(pid) && procStat(pid)!.state !== 'Z'; i++)
    await new Promise((r) => setTimeout(r, 20));
  const st = procStat(pid);
  assert.ok(!st || st.state === 'Z', 'the spawner ended');
});

test('a spawner that cannot start: the run fails as a spawn would', { skip }, async () => {
  const spawner = new HelperSpawner('/nonexistent/corral-helper');
  await assert.rejects(
    startPlan(shPlan('true'), { stdio: ['ignore', 'ignore', 'ignore'], detached: true, spawner }),
    (e: unknown) => e instanceof HelperError && /cannot start corral-helper: .*nonexistent/.test(e.message),
  );
});

test(
  'mount and umount through the spawner: one system call each, errors as the kernel says',
  { skip },
  async (t) => {
    const d = scratch(t);
    const spawner = new HelperSpawner(helperPath());
    const target = join(d, 'mnt');
    mkdirSync(target);
    const mounted = () =>
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .some((l) => l.split(' ')[4] === target);
    t.after(() => {
      if (mounted()) spawnSync('umount', ['-l', target]);
      spawner.close();
    });
    await spawner.mount({
      op: 'mount',
      fstype: 'tmpfs',
      source: 'tmpfs',
      target,
      flags: 0,
      data: 'size=1m,mode=0700',
    });
    assert.ok(mounted(), 'the tmpfs is in our mount table (the spawner shares our mount namespace)');
    const line = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[4] === target)!;
    assert.match(line, / - tmpfs tmpfs .*size=1024k/);
    assert.equal(statSync(target).mode & 0o777, 0o700);
    writeFileSync(join(target, 'f'), 'x');
    await spawner.mount({ op: 'umount', target, flags: 2 });
    assert.ok(!mounted());
    assert.ok(!existsSync(join(target, 'f')), 'the file was on the tmpfs');
    await assert.rejects(
      spawner.mount({
        op: 'mount',
        fstype: 'tmpfs',
        source: 'tmpfs',
        target: join(d, 'missing'),
        flags: 0,
        data: '',
      }),
      (e: Error & { code?: number }) => e.code === 2 && /No such file or directory/.test(e.message),
    );
    await assert.rejects(spawner.mount({ op: 'umount', target, flags: 0 }), /Invalid argument/);
  },
);

test("only the corral front passes its own stdio on ('inherit')", { skip }, () => {
  const spawner = new HelperSpawner(helperPath());
  assert.equal(spawner.inheritsStdio, false);
  assert.throws(
    () => spawner.spawn({ stdio: ['ignore', 'inherit', 'ignore'], detached: true }),
    /only the corral front/,
  );
  spawner.close();
  assert.equal(HelperSpawner.overFront(99).inheritsStdio, true);
});
