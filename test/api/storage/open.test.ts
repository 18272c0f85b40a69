// openStorage's answers to bad input: one line naming what is wrong and what to write instead.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openStorage } from '../../../src/api/storage/open.js';

it('refuses unknown or incomplete storage URLs with a one-line fix', async () => {
  await assert.rejects(
    openStorage('mysql://x'),
    /unknown storage 'mysql:\/\/x'; use sqlite:PATH or etcd:\/\/HOST:PORT/,
  );
  await assert.rejects(openStorage('sqlite:'), /has no path; use sqlite:/);
  await assert.rejects(openStorage('etcd://'), /names no endpoint; use etcd:\/\/127.0.0.1:2379/);
  await assert.rejects(
    openStorage('sqlite:/nonexistent-dir-corral/state.db'),
    (e: Error) =>
      e.message.startsWith('storage: cannot open sqlite:/nonexistent-dir-corral/state.db: ') &&
      !e.message.includes('\n'),
  );
});
