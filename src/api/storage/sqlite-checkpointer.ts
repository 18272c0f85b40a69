// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT that
// crosses wal_autocheckpoint pages, on the writing thread: it copies the WAL into the database
// and fsyncs both, stalling every request for 10–30 ms each 1,000 pages (the API's write p99).
// Instead a worker thread with its own connection runs PASSIVE checkpoints every second (its
// fsyncs still stall the writer a few ms on ext4, so not more often than that):
// PASSIVE never blocks the writer (it copies what no reader still needs), and the writer
// restarts the WAL from its start once a checkpoint has caught up, so the file stays small.
// The writer keeps a far larger automatic checkpoint as a backstop should the worker stall.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Backstop for the writer's own automatic checkpoint (pages of 4 KiB: 160 MiB of WAL). */
export const BACKSTOP_PAGES = 40_000;

// Evaluated code, not a file next to this one, so the esbuild bundle of the CLI keeps working.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { timeout: 0 });
let busy = false;
const tick = () => {
  if (busy) return;
  busy = true;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: next tick */ }
  busy = false;
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs = 1000): Checkpointer {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { path, intervalMs, sqlite } });
  // A failing worker only loses the offloading: the writer's backstop checkpoint remains.
  worker.on('error', (e) => process.stderr.write(`storage: checkpoint worker failed: ${e.message}\n`));
  worker.unref();
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  return {
    async stop() {
      worker.postMessage('stop');
      const t = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(t);
    },
  };
}
