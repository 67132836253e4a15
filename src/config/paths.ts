// File names in a config file are relative to the directory of the file that holds them, joined
// as Prometheus joins them at load (config.JoinDir): a relative --config.file keeps them relative
// (to the working directory, where the process opens them), and the result is lexically cleaned
// as Go's filepath.Join does, so /api/v1/status/config prints what Prometheus prints.
import { isAbsolute, posix } from 'node:path';

/** `file` joined with `dir` unless it is empty or absolute. */
export function joinDir(dir: string, file: string): string {
  if (file === '' || isAbsolute(file)) return file;
  const joined = posix.normalize(`${dir}/${file}`);
  // Go's Clean drops a trailing slash (Node's normalize keeps it).
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}
