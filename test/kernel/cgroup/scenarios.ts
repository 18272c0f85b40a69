// Enforcement scenarios shared by the v1 host run (*.root.test.ts) and the cgroup v2 VM run
// (*.v2.test.ts): each drives real processes under real limits and checks the effect.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import {
  CgroupError,
  openCgroups,
  type CgroupEvent,
  type CgroupManager,
  type LinuxResources,
} from '../../../src/kernel/cgroup/index.js';
import { removeCgroupTree } from '../../support/cgroup-root.js';
import { makeLoopDevice, sleep, startIn, uniqueName, until, type Workload } from './workload.js';

const MiB = 1024 * 1024;

export function cgroupScenarios(mode: 'v1' | 'v2', opts: { slow?: number } = {}): void {
  // The v2 VM emulates its CPU: everything takes longer there.
  const slow = opts.slow ?? 1;
  const T = { timeout: 120000 * slow };
  let hostMode: string | undefined;
  try {
    hostMode = openCgroups().mode;
  } catch {
    hostMode = undefined;
  }
  const skip =
    process.getuid?.() !== 0 ? 'needs root' : hostMode !== mode ? `host is not cgroup ${mode}` : false;
  // The scenarios' cgroups live below a root of their own, removed at the end.
  const cgroupRoot = `corral-test-${process.pid}-scenarios`;
  const driver = () => openCgroups({ root: cgroupRoot });
  if (!skip) after(() => removeCgroupTree(cgroupRoot));

  /** A fresh cgroup and the workloads in it, all removed after the test. */
  async function setup(
    t: TestContext,
    what: string,
    resources?: LinuxResources,
  ): Promise<{ m: CgroupManager; work: Workload[] }> {
    const m = driver().manager(uniqueName(what));
    const work: Workload[] = [];
    t.after(async () => {
      for (const w of work) w.kill();
      await m.remove();
      for (const d of Object.values(m.dirs())) assert.equal(existsSync(d), false, `${d} left behind`);
    });
    await m.create(resources);
    return { m, work };
  }
  async function run(m: CgroupManager, work: Workload[], script: string): Promise<Workload> {
    const w = await startIn(m, script);
    work.push(w);
    return w;
  }
  const usage = async (m: CgroupManager): Promise<number> => (await m.stats()).cpu.usageUsec;

  test(
    `${mode}: allocating past memory.limit is OOM-killed and the kill is reported`,
    { skip, ...T },
    async (t) => {
      const { m, work } = await setup(t, 'oom', { memory: { limit: 32 * MiB, swap: 32 * MiB } });
      const events: CgroupEvent[] = [];
      const stop = m.watchEvents((e) => events.push(e));
      t.after(stop);
      await sleep(100); // the v1 watcher registers its eventfd asynchronously
      const w = await run(m, work, 'exec dd if=/dev/zero of=/dev/null bs=100M count=1');
      const res = await w.exited;
      assert.equal(
        res.signal,
        'SIGKILL',
        `dd should be OOM-killed, got ${JSON.stringify(res)} ${w.stderr()}`,
      );
      await until(() => events.length > 0, 10000 * slow, 'the oom-kill event');
      assert.equal(events[0]!.type, 'oom-kill');
      assert.ok(events[0]!.count >= 1);
      assert.ok((await m.stats()).memory.oomKills >= 1);
    },
  );

  test(
    `${mode}: a child's OOM ${mode === 'v2' ? 'takes the whole group with memory.oom.group' : 'is reported, its parent lives'}`,
    { skip, ...T },
    async (t) => {
      const res: LinuxResources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
      if (mode === 'v2') res.unified = { 'memory.oom.group': '1' };
      const { m, work } = await setup(t, 'oomgroup', res);
      const events: CgroupEvent[] = [];
      const stop = m.watchEvents((e) => events.push(e));
      t.after(stop);
      await sleep(100);
      const w = await run(
        m,
        work,
        'sleep 1000 & dd if=/dev/zero of=/dev/null bs=100M count=1; echo survived; wait',
      );
      await until(() => events.length > 0, 20000 * slow, 'the oom-kill event');
      if (mode === 'v2') {
        const r = await w.exited;
        assert.equal(r.signal, 'SIGKILL', 'the shell went with the group');
        await until(async () => (await m.pids()).length === 0, 10000 * slow, 'the group to be empty');
      } else {
        await until(() => w.stdout().includes('survived'), 10000 * slow, 'the shell to go on');
        assert.equal((await m.pids()).length, 2, 'sh and sleep live on');
      }
    },
  );

  test(`${mode}: a fork bomb stops at pids.limit`, { skip, ...T }, async (t) => {
    const limit = 12;
    const { m, work } = await setup(t, 'pids', { pids: { limit } });
    // Bounded: at most 40 forks; the shell gives up at the first failure.
    const w = await run(
      m,
      work,
      'i=0; while [ $i -lt 40 ]; do sleep 600 & i=$((i+1)); done; echo all-forked',
    );
    await w.exited;
    assert.match(w.stderr(), /fork|resource temporarily unavailable/i);
    assert.doesNotMatch(w.stdout(), /all-forked/);
    const s = await m.stats();
    assert.ok(s.pids.current <= limit, `pids.current ${s.pids.current} > ${limit}`);
    assert.ok(s.pids.current >= limit - 2, `the bomb should have reached the limit (${s.pids.current})`);
    assert.equal(s.pids.limit, limit);
  });

  test(
    `${mode}: a busy loop under a 20% quota gets about 20% of a CPU and is throttled`,
    { skip, ...T },
    async (t) => {
      const { m, work } = await setup(t, 'cpu', { cpu: { quota: 20000, period: 100000, shares: 1024 } });
      await run(m, work, 'while :; do :; done');
      await sleep(300);
      const u0 = await usage(m);
      const t0 = process.hrtime.bigint();
      await sleep(1000);
      const used = (await usage(m)) - u0;
      const wall = Number(process.hrtime.bigint() - t0) / 1000;
      const share = used / wall;
      assert.ok(share > 0.1 && share < 0.32, `expected ~20% of a CPU, got ${(share * 100).toFixed(1)}%`);
      const s = await m.stats();
      assert.ok(
        s.cpu.nrThrottled > 0 && s.cpu.throttledUsec > 0,
        `throttling shows: ${JSON.stringify(s.cpu)}`,
      );
    },
  );

  test(
    `${mode}: O_DIRECT writes to a loop device are held near the wbps limit`,
    { skip, ...T },
    async (t) => {
      const loop = makeLoopDevice(64);
      t.after(loop.cleanup);
      const rate = 1 * MiB;
      const { m, work } = await setup(t, 'io', {
        blockIO: { throttleWriteBpsDevice: [{ major: loop.major, minor: loop.minor, rate }] },
      });
      const t0 = Date.now();
      const w = await run(m, work, `exec dd if=/dev/zero of=${loop.dev} bs=256k count=12 oflag=direct`);
      const r = await w.exited;
      const secs = (Date.now() - t0) / 1000;
      assert.equal(r.code, 0, w.stderr());
      // 3 MiB at 1 MiB/s: ~3 s (the first slice may pass a little early).
      assert.ok(secs >= 2, `3 MiB took only ${secs}s under a 1 MiB/s limit`);
      assert.ok(secs < 12 * slow, `3 MiB took ${secs}s under a 1 MiB/s limit`);
      const io = (await m.stats()).io.find((d) => d.major === loop.major && d.minor === loop.minor);
      assert.ok(io && io.wbytes >= 3 * MiB && io.wios >= 12, `io stats: ${JSON.stringify(io)}`);
    },
  );

  test(`${mode}: freeze stops a busy process, thaw resumes it`, { skip, ...T }, async (t) => {
    const { m, work } = await setup(t, 'freeze');
    await run(m, work, 'while :; do :; done');
    await sleep(200);
    await m.freeze();
    assert.equal(await m.frozen(), true);
    const u0 = await usage(m);
    await sleep(500);
    const frozenUse = (await usage(m)) - u0;
    assert.ok(frozenUse < 20000, `used ${frozenUse} µs while frozen`);
    await m.thaw();
    assert.equal(await m.frozen(), false);
    const u1 = await usage(m);
    await sleep(500);
    assert.ok((await usage(m)) - u1 > 100000, 'runs again after thaw');
  });

  test(
    `${mode}: update changes the limits of a running cgroup; a rejected update changes nothing`,
    { skip, ...T },
    async (t) => {
      const { m, work } = await setup(t, 'update', {
        pids: { limit: 100 },
        cpu: { quota: 50000, period: 100000 },
      });
      // Holds ~8 MiB of anonymous memory, then waits for a line before forking.
      const w = await run(
        m,
        work,
        'x=$(head -c 8000000 /dev/zero | tr "\\0" a); echo holding; read y; sleep 600 & sleep 600 & sleep 600 & sleep 600 & echo forked; wait',
      );
      await until(() => w.stdout().includes('holding'), 20000 * slow, 'the memory to be held');
      const before = await m.stats();
      assert.ok(before.memory.current > 7 * MiB, `usage ${before.memory.current}`);
      const cpuFile =
        mode === 'v2' ? join(m.dirs().unified!, 'cpu.max') : join(m.dirs().cpu!, 'cpu.cfs_quota_us');
      const { readFileSync } = await import('node:fs');
      const cpuBefore = readFileSync(cpuFile, 'utf8');
      await assert.rejects(
        m.update({ cpu: { quota: 30000 }, memory: { limit: MiB, checkBeforeUpdate: true } }),
        (e: unknown) =>
          e instanceof CgroupError &&
          e.field === 'linux.resources.memory.limit' &&
          /1048576 is below the cgroup's current usage \(\d+\.\d MiB\)/.test(e.message),
      );
      assert.equal(
        readFileSync(cpuFile, 'utf8'),
        cpuBefore,
        'the cpu quota written before the failure was restored',
      );
      if (mode === 'v1') {
        // Without the pre-check the v1 kernel itself refuses (EBUSY); v2 would reclaim/OOM-kill instead.
        await assert.rejects(
          m.update({ cpu: { quota: 30000 }, memory: { limit: MiB } }),
          (e: unknown) =>
            e instanceof CgroupError &&
            e.errno === 'EBUSY' &&
            /below the cgroup's current usage/.test(e.message),
        );
        assert.equal(readFileSync(cpuFile, 'utf8'), cpuBefore, 'restored after the kernel refused');
      }
      // Now a real change: 3 tasks at most while the shell forks 4 sleeps.
      await m.update({ pids: { limit: 3 }, memory: { limit: 64 * MiB } });
      assert.equal((await m.stats()).memory.limit, 64 * MiB);
      w.child.stdin!.write('go\n');
      await w.exited;
      assert.match(w.stderr(), /fork|resource temporarily unavailable/i);
      assert.doesNotMatch(w.stdout(), /forked/);
      assert.ok((await m.stats()).pids.current <= 3);
    },
  );

  test(`${mode}: bad values name the field and nothing is applied`, { skip, ...T }, async (t) => {
    const { m } = await setup(t, 'bad', { pids: { limit: 50 } });
    const cases: [LinuxResources, RegExp][] = [
      [{ cpu: { quota: 500 } }, /^linux\.resources\.cpu\.quota: 500: below/],
      [
        { pids: { limit: 7 }, blockIO: { throttleReadBpsDevice: [{ major: 4095, minor: 4242, rate: 1 }] } },
        /^linux\.resources\.blockIO\.throttleReadBpsDevice\[0\]: 4095:4242: no such block device/,
      ],
      [{ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }, /^linux\.resources\.hugepageLimits/],
    ];
    if (mode === 'v1')
      cases.push([{ unified: { 'memory.high': '1' } }, /^linux\.resources\.unified: .*cgroup v1/]);
    for (const [r, re] of cases) {
      await assert.rejects(
        m.update(r),
        (e: unknown) => e instanceof CgroupError && re.test(e.message),
        JSON.stringify(r),
      );
    }
    assert.equal((await m.stats()).pids.limit, 50, 'pids limit untouched');
  });

  test(
    `${mode}: device rules: a denied device cannot be created or opened, even by root`,
    { skip, ...T },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'corral-dev-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const rules: LinuxResources['devices'] = [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
      ];
      const { m, work } = await setup(t, 'devices', { devices: rules });
      const script = (tag: string): string =>
        `mknod ${dir}/null${tag} c 1 3 && echo null-mknod-ok; echo x > ${dir}/null${tag} && echo null-open-ok; ` +
        `mknod ${dir}/zero${tag} c 1 5 && echo zero-mknod-ok; head -c1 /dev/zero >/dev/null && echo zero-open-ok; true`;
      const w = await run(m, work, script('1'));
      await w.exited;
      assert.match(w.stdout(), /null-mknod-ok/);
      assert.match(w.stdout(), /null-open-ok/);
      assert.doesNotMatch(w.stdout(), /zero-mknod-ok|zero-open-ok/);
      assert.match(w.stderr(), /not permitted/i);
      // Updating the rules replaces the filter: now /dev/zero is allowed too.
      await m.update({ devices: [...rules, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }] });
      const w2 = await run(m, work, script('2'));
      await w2.exited;
      assert.match(w2.stdout(), /zero-mknod-ok/);
      assert.match(w2.stdout(), /zero-open-ok/);
    },
  );

  test(
    `${mode}: remove kills what runs, removes nested cgroups, leaves nothing`,
    { skip, ...T },
    async (t) => {
      const d = driver();
      const name = uniqueName('remove');
      const outer = d.manager(name);
      const inner = d.manager(`${name}/inner`);
      t.after(() => outer.remove());
      await outer.create();
      await inner.create({ pids: { limit: 10 } });
      const w = await startIn(inner, 'sleep 600 & sleep 600 & wait');
      t.after(w.kill);
      await until(async () => (await outer.pids()).length === 3, 10000 * slow, 'three processes');
      await outer.remove();
      const r = await w.exited;
      assert.equal(r.signal, 'SIGKILL');
      for (const dir of [...Object.values(outer.dirs()), ...Object.values(inner.dirs())]) {
        assert.equal(existsSync(dir), false, `${dir} left behind`);
      }
      await outer.remove(); // removing again is fine
    },
  );
}
