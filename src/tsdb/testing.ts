// Test helpers for DB-level tests: temp directories and open DBs, all removed and closed after
// each test. Call useTestDBs at a test file's top level (it registers the afterEach).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { openDB, type DB, type DBOptions } from './db.ts';

export const silentLogger = pino({ level: 'silent' });

export function useTestDBs(prefix: string) {
  const dirs: string[] = [];
  const open: DB[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    /** A fresh directory, removed after the test. */
    tmpdir(): string {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    /** A DB without retention or background maintenance (unless `o` says otherwise), closed after the test. */
    async openTestDB(dir: string, o: Partial<DBOptions> = {}): Promise<DB> {
      const db = await openDB({ dir, logger: silentLogger, retentionMs: 0, maintenanceIntervalMs: 3600_000, ...o });
      open.push(db);
      return db;
    },
    /** Closes a DB now (to reopen its directory); it is not closed again after the test. */
    async closeDB(db: DB): Promise<void> {
      open.splice(open.indexOf(db), 1);
      await db.close();
    },
  };
}
