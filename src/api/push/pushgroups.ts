// The Pushgateway groups' state: which series each group holds (to mark them stale on the next
// PUT/POST/DELETE) and when it last changed. The values are in the TSDB; this is only what the TSDB
// cannot answer cheaply. It lives in memory and, so that a restart does not forget which series a
// group holds, in the data directory: one small JSON file per group under `pushgateway/`, replaced
// atomically (write, fsync, rename) before the push is answered. One file per group keeps a push's
// cost to its own group's size; Pushgateway pushes are rare (batch jobs), so the fsync is affordable.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Labels } from '../../model/index.ts';

export interface GroupSeries {
  labels: Labels;
  /** Metric family, for POST's replace-by-name. */
  family: string;
  /**
   * The family's type in the Pushgateway's words (`COUNTER`, `UNTYPED`, ...), to refuse a push
   * giving the name another type, as the Pushgateway does; absent in files from before it was kept.
   */
  type?: string;
}

export interface PushGroup {
  /** Grouping key as sorted [name, value, ...] pairs. */
  key: Labels;
  /** Series by their JSON key. */
  series: Map<string, GroupSeries>;
  /** Last successful change (ms; 0 for none) and last failed one (ms; 0 for none). */
  lastPushMs: number;
  lastFailureMs: number;
}

interface GroupFile {
  version: 1;
  key: string[];
  lastPushMs: number;
  lastFailureMs: number;
  series: { labels: string[]; family: string; type?: string }[];
}

const SUBDIR = 'pushgateway';

export class PushGroupStore {
  private readonly dir: string | null;
  private readonly groups = new Map<string, PushGroup>();
  private loading: Promise<void> | null = null;

  /** `dataDir` null keeps the state in memory only. */
  constructor(dataDir: string | null) {
    this.dir = dataDir === null ? null : path.join(dataDir, SUBDIR);
  }

  /**
   * Loads the saved groups, once. Called on the first push (the DB is open by then, so the data
   * directory exists and is locked by this process). A damaged file is moved aside (`.corrupt`):
   * it costs one group's staleness marking, not the endpoint.
   */
  ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  get(id: string): PushGroup | undefined {
    return this.groups.get(id);
  }

  /** Every group (after ready()). */
  all(): IterableIterator<PushGroup> {
    return this.groups.values();
  }

  async save(id: string, g: PushGroup): Promise<void> {
    this.groups.set(id, g);
    if (this.dir === null) return;
    const file: GroupFile = {
      version: 1, key: [...g.key], lastPushMs: g.lastPushMs, lastFailureMs: g.lastFailureMs,
      series: [...g.series.values()].map((s) => ({ labels: [...s.labels], family: s.family, type: s.type })),
    };
    await fs.promises.mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, fileName(id));
    const tmp = `${target}.tmp`;
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(file));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, target);
  }

  async remove(id: string): Promise<void> {
    this.groups.delete(id);
    if (this.dir === null) return;
    await fs.promises.rm(path.join(this.dir, fileName(id)), { force: true });
  }

  private async load(): Promise<void> {
    if (this.dir === null) return;
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names) {
      const full = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        // Left by a crash between write and rename: the previous file is still in place.
        await fs.promises.rm(full, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const g = parseGroupFile(await fs.promises.readFile(full, 'utf8'));
      if (g === null) {
        await fs.promises.rename(full, `${full}.corrupt`);
        continue;
      }
      this.groups.set(JSON.stringify(g.key), g);
    }
  }
}

/** A file name per group: a hash of its id (grouping label values may hold any character). */
function fileName(id: string): string {
  return `${createHash('sha256').update(id).digest('hex').slice(0, 32)}.json`;
}

function parseGroupFile(text: string): PushGroup | null {
  let f: GroupFile;
  try {
    f = JSON.parse(text) as GroupFile;
  } catch {
    return null;
  }
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.length % 2 === 0 && a.every((x) => typeof x === 'string');
  if (f?.version !== 1 || !strings(f.key) || !Array.isArray(f.series) ||
      typeof f.lastPushMs !== 'number' || typeof f.lastFailureMs !== 'number') return null;
  const series = new Map<string, GroupSeries>();
  for (const s of f.series) {
    if (!strings(s?.labels) || typeof s.family !== 'string' || (s.type !== undefined && typeof s.type !== 'string')) return null;
    series.set(JSON.stringify(s.labels), { labels: s.labels, family: s.family, type: s.type });
  }
  return { key: f.key, series, lastPushMs: f.lastPushMs, lastFailureMs: f.lastFailureMs };
}
