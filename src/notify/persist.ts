// Small durable files of the notifier's data dir: a snapshot replaced atomically (write a temporary
// file, fsync, rename, fsync the directory) and an append-only log of JSON lines fsync'd per record.
// The data is small (silences, one notification log entry per group and integration), so plain
// synchronous JSON keeps the code simple and a record is on disk before the caller goes on.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** Writes `data` as JSON to `file` atomically. */
export function writeSnapshot(file: string, data: unknown): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

/** The snapshot's JSON, or undefined when there is none. A damaged snapshot throws. */
export function readSnapshot(file: string): unknown {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: damaged snapshot: ${(e as Error).message}`);
  }
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  }
}

/** An append-only JSON-lines log whose records are fsync'd before append() returns. */
export interface AppendLog {
  append(record: unknown): void;
  /** Empties the log (after a snapshot made its records redundant). */
  truncate(): void;
  close(): void;
}

export function openAppendLog(file: string): AppendLog {
  let fd = openSync(file, 'a');
  return {
    append(record) {
      writeSync(fd, JSON.stringify(record) + '\n');
      fsyncSync(fd);
    },
    truncate() {
      closeSync(fd);
      fd = openSync(file, 'w');
      fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

/** The records of a JSON-lines log; a torn last line (crash mid-write) is ignored. */
export function readAppendLog(file: string): unknown[] {
  if (!existsSync(file)) return [];
  const out: unknown[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    try {
      out.push(JSON.parse(lines[i]));
    } catch (e) {
      if (i < lines.length - 2) throw new Error(`${file}:${i + 1}: damaged record: ${(e as Error).message}`);
    }
  }
  return out;
}

