// Snapshots (admin API): a copy of the data directory's blocks under <dir>/snapshots/<name>,
// made of hard links (blocks are immutable, and a tombstones file is replaced by a rename, never
// rewritten in place, so a link keeps the snapshot's version), plus the head as a block. The
// snapshot is a data directory of its own: open it (or start a server on it) to read the data as
// it was. It is built in <name>.tmp and renamed into place, so a directory named like a snapshot
// is complete.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CHUNKS_DIR, INDEX_FILE, META_FILE, TOMBSTONES_FILE } from './block/index.ts';
import { fsyncDir } from './durable.ts';

export const SNAPSHOTS_DIR = 'snapshots';

/** Prometheus' snapshot name: the UTC time as YYYYMMDDTHHMMSSZ, a dash, 16 random hex digits. */
export function snapshotName(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-26T13:21:08.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return `${stamp}-${crypto.randomBytes(8).toString('hex')}`;
}

/** Links a block's files into `<into>/<block name>` (the files a block consists of, nothing else). */
export function linkBlock(blockDir: string, into: string): void {
  const dest = path.join(into, path.basename(blockDir));
  fs.mkdirSync(path.join(dest, CHUNKS_DIR), { recursive: true });
  for (const f of [INDEX_FILE, TOMBSTONES_FILE, META_FILE]) {
    try {
      fs.linkSync(path.join(blockDir, f), path.join(dest, f));
    } catch (e) {
      if (f === TOMBSTONES_FILE && (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
  }
  for (const f of fs.readdirSync(path.join(blockDir, CHUNKS_DIR))) fs.linkSync(path.join(blockDir, CHUNKS_DIR, f), path.join(dest, CHUNKS_DIR, f));
}

/** Makes a finished snapshot directory durable and visible under its final name. */
export function finishSnapshot(tmpDir: string, finalDir: string): void {
  fsyncTree(tmpDir);
  fs.renameSync(tmpDir, finalDir);
  fsyncDir(path.dirname(finalDir));
}

// Links need no data fsync, but the directories holding them do.
function fsyncTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) fsyncTree(path.join(dir, e.name));
  fsyncDir(dir);
}
