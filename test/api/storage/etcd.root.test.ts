// The shared suite on a real etcd v3 (/usr/bin/etcd, started on loopback in a tmp dir), and what
// only a remote store has: the server going away.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStorage } from '../../../src/api/storage/open.js';
import { StorageError } from '../../../src/api/storage/types.js';
import { ETCD_BIN, etcdInstalled, startEtcd, type EtcdServer } from './etcd-server.js';
import { storageSuite } from './suite.js';

const skip = etcdInstalled() ? false : `${ETCD_BIN} is not installed (Debian: apt-get install etcd-server)`;

describe('etcd backend', { skip }, () => {
  let server: EtcdServer | undefined;
  before(async () => {
    server = await startEtcd(200);
  });
  after(async () => {
    await server?.stop();
  });
  storageSuite('etcd', () => ({ open: (o) => openStorage(`etcd://${server!.endpoint}`, o) }));

  it("reports 'unavailable' to watches and calls when etcd goes away", async (t) => {
    const lone = await startEtcd(60_000);
    t.after(() => lone.stop());
    const s = await openStorage(`etcd://${lone.endpoint}`);
    t.after(() => s.close());
    await s.create('/a', Buffer.from('1'));
    const errors: Error[] = [];
    const w = s.watch(
      '/',
      0,
      () => {},
      (e) => errors.push(e),
    );
    t.after(() => w.close());
    await new Promise((r) => setTimeout(r, 200));
    await lone.stop();
    const end = Date.now() + 10_000;
    while (errors.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(errors[0] instanceof StorageError && errors[0].code === 'unavailable', String(errors[0]));
    for (const call of [() => s.get('/a'), () => s.create('/b', Buffer.from('2')), () => s.list('/')]) {
      await assert.rejects(call(), (e: unknown) => e instanceof StorageError && e.code === 'unavailable');
    }
  });
});
