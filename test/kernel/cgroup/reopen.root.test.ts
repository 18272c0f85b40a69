// Reopening a container's cgroup from another process (corral-oci delete after create): from the
// directories noted at creation, not from a path that each process resolves against its own
// cgroups (which differ per hierarchy on this host: memory is /process_api/<id>, the rest /).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { detectLayout, openCgroups } from '../../../src/kernel/cgroup/index.js';
import { removeCgroupTree } from '../../support/cgroup-root.js';
import { startIn, uniqueName } from './workload.js';

const index = fileURLToPath(new URL('../../../src/kernel/cgroup/index.js', import.meta.url));

test(
  'a second driver (another process, placed elsewhere) reopens the cgroup from its dirs and removes it',
  { skip: process.getuid?.() !== 0 ? 'needs root' : false, timeout: 60000 },
  async (t) => {
    const name = uniqueName('reopen');
    const cgroupRoot = `corral-test-${process.pid}-reopen`;
    const mgr = openCgroups({ root: cgroupRoot }).manager(name);
    const dirs = mgr.dirs();
    t.after(async () => {
      await mgr.remove();
      await removeCgroupTree(cgroupRoot);
    });
    await mgr.create({ pids: { limit: 20 } });
    const w = await startIn(mgr, 'sleep 300');
    t.after(() => w.kill());

    // Another process's view: its own cgroup differs in every hierarchy.
    const layout = detectLayout();
    const elsewhere = openCgroups({
      root: cgroupRoot,
      layout: { ...layout, own: new Map([...layout.own.keys()].map((k) => [k, '/elsewhere'])) },
    });
    assert.notDeepEqual(elsewhere.manager(name).dirs(), dirs, 'the same cgroupsPath resolves elsewhere');
    const again = elsewhere.open(dirs);
    assert.deepEqual(again.dirs(), dirs);
    assert.ok((await again.pids()).includes(w.pid));
    assert.equal((await again.stats()).pids.limit, 20);

    // And a real other process: it kills what is inside and removes every directory.
    const script =
      `import { openCgroups } from ${JSON.stringify(index)};` +
      `await openCgroups().open(JSON.parse(process.argv[1])).remove();`;
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script, JSON.stringify(dirs)],
        { timeout: 30000 },
        (err, _out, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve()),
      ),
    );
    assert.equal((await w.exited).signal, 'SIGKILL');
    for (const d of Object.values(dirs)) assert.equal(existsSync(d), false, `${d} left behind`);
  },
);
