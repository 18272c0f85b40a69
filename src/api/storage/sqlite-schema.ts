// The SQL side of the SQLite backend: kine's table and indexes, the statements, and rows as
// KeyValues and watch events.
import type Database from 'better-sqlite3';
import { StorageError, type KeyValue, type WatchEvent } from './types.js';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, created INTEGER, deleted INTEGER,
  create_revision INTEGER, prev_revision INTEGER, lease INTEGER, value BLOB, old_value BLOB);
-- (name) holds the rowid too, so it serves "newest row of a name" and name ranges; every other
-- query here ranges over id, the rowid. Each further index is written on every insert (kine's
-- (name, id), (id, deleted) and (prev_revision) cost a write about as much again as the row):
-- databases made with them lose them.
CREATE INDEX IF NOT EXISTS kine_name_index ON kine (name);
DROP INDEX IF EXISTS kine_name_id_index;
DROP INDEX IF EXISTS kine_id_deleted_index;
DROP INDEX IF EXISTS kine_prev_revision_index;
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
-- kine keeps the compact revision in a 'compact_rev_key' row; a side table keeps it out of the
-- revision sequence and out of every range query.
CREATE TABLE IF NOT EXISTS corral_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

export interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: Buffer | null;
  old_value: Buffer | null;
}

const COLS = 'id, name, created, deleted, create_revision, prev_revision, value, old_value';
/** A list needs neither the previous value nor prev_revision. */
const LIST_COLS =
  'k.id, k.name, k.created, k.deleted, k.create_revision, 0 AS prev_revision, k.value, NULL AS old_value';
export function toKv(r: Row): KeyValue {
  return {
    key: r.name,
    value: r.value ?? Buffer.alloc(0),
    // kine stores 0 for a create: the create revision is the row's own id.
    createRevision: r.created ? r.id : r.create_revision,
    modRevision: r.id,
  };
}

export function toEvent(r: Row): WatchEvent {
  const kv = toKv(r);
  const prev: KeyValue = {
    key: r.name,
    value: r.old_value ?? Buffer.alloc(0),
    createRevision: kv.createRevision,
    modRevision: r.prev_revision,
  };
  if (r.deleted) return { type: 'delete', kv, prev };
  return r.created ? { type: 'put', kv } : { type: 'put', kv, prev };
}

export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** A lock held past busy_timeout (by another process) is 'unavailable': the client retries. */
export function mapBusy(e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StorageError(
      'unavailable',
      `the database is locked by another process: ${(e as Error).message}`,
    );
  }
  return e;
}

export function prepareStatements(d: Database.Database) {
  return {
    // Reads and writes need neither the row's previous value (copying that blob out doubles a
    // GET's cost) nor its prev_revision.
    latest: d.prepare<[string], Row>(
      `SELECT id, name, created, deleted, create_revision, 0 AS prev_revision, value, NULL AS old_value
       FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1`,
    ),
    insert: d.prepare(
      `INSERT INTO kine (name, created, deleted, create_revision, prev_revision, lease, value, old_value)
       VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
    ),
    // The newest row per name at or below the revision, for up to `limit` names in name
    // order (deleted ones included: the caller drops them and asks for more). Limiting the
    // names before the join keeps a page's cost proportional to the page.
    listAfter: d.prepare<[string, string, number, number], Row>(
      `SELECT ${LIST_COLS} FROM (
         SELECT name, MAX(id) AS mid FROM kine WHERE name > ? AND name < ? AND id <= ?
         GROUP BY name ORDER BY name LIMIT ?
       ) m JOIN kine k ON k.id = m.mid ORDER BY m.name`,
    ),
    listFrom: d.prepare<[string, string, number, number], Row>(
      `SELECT ${LIST_COLS} FROM (
         SELECT name, MAX(id) AS mid FROM kine WHERE name >= ? AND name < ? AND id <= ?
         GROUP BY name ORDER BY name LIMIT ?
       ) m JOIN kine k ON k.id = m.mid ORDER BY m.name`,
    ),
    count: d.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM kine k JOIN (
         SELECT MAX(id) AS mid FROM kine WHERE name >= ? AND name < ? GROUP BY name
       ) m ON k.id = m.mid WHERE k.deleted = 0`,
    ),
    after: d.prepare<[number, string, string], Row>(
      `SELECT ${COLS} FROM kine WHERE id > ? AND name >= ? AND name < ? ORDER BY id`,
    ),
    // Every live key, once at open (SqliteMemo's directory counts).
    liveNames: d.prepare<[], { name: string }>(
      `SELECT name FROM kine WHERE id IN (SELECT MAX(id) FROM kine GROUP BY name) AND deleted = 0`,
    ),
    // AUTOINCREMENT's high-water mark: the current revision even when compaction removed the
    // newest rows (a trailing delete).
    rev: d.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'kine'`),
    compactRev: d.prepare<[], { value: number }>(`SELECT value FROM corral_meta WHERE key = 'compact_rev'`),
    setCompactRev: d.prepare(
      `INSERT INTO corral_meta (key, value) VALUES ('compact_rev', ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ),
    // kine's compaction: rows superseded by a write in (lo, hi], and deletions in (lo, hi].
    compact: d.prepare(
      `DELETE FROM kine WHERE id IN (
         SELECT prev_revision FROM kine WHERE prev_revision != 0 AND id > ? AND id <= ?
         UNION SELECT id FROM kine WHERE deleted != 0 AND id > ? AND id <= ?)`,
    ),
  };
}
