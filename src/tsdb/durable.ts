// Making file system changes survive a power loss, for every part of the tsdb that writes files
// (blocks, tombstones, snapshots, the WAL): a file's data is fsynced before it is renamed into
// place, and the directory holding a new, renamed or removed entry is fsynced after.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Makes a directory entry change (create, rename, unlink) durable. Without it a power loss can
 * lose a new file or resurrect a deleted one even though the file's data was fsynced.
 */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    // Some file systems refuse fsync on directories; there is nothing better to do there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Writes `file` and fsyncs it (its directory entry is the caller's to make durable). */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces `file` atomically and durably: a synced temp file renamed over it, then its directory synced. */
export function replaceFileDurably(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp`;
  writeFileSynced(tmp, data);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}
