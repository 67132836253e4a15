// The notification log: per group and receiver integration, which alerts were last notified as
// firing and as resolved, and when. A flush consults it to decide whether anything needs sending
// (Alertmanager's needsUpdate), which is what makes a restart or a second replica not page twice.
//
// Durability: an entry is recorded only after its notification was delivered (at-least-once: a
// crash between delivery and record re-sends once, never loses), appended to a JSON-lines log and
// fsync'd before the flush goes on; a periodic snapshot replaces the log. Peers exchange entries.
import { join } from 'node:path';
import { ensureDir, openAppendLog, readAppendLog, readSnapshot, writeSnapshot, type AppendLog } from './persist.ts';

/** Which integration of which receiver: Alertmanager's (group_name, integration, idx). */
export interface ReceiverIntegration {
  receiver: string;
  integration: string;
  index: number;
}

export interface NflogEntry extends ReceiverIntegration {
  groupKey: string;
  /** Fingerprints notified as firing / as resolved at `timestamp`. */
  firing: string[];
  resolved: string[];
  /** ms since the epoch: when the notification was delivered. */
  timestamp: number;
  expiresAt: number;
}

export const DEFAULT_NFLOG_RETENTION_MS = 120 * 3600_000;

export function nflogKey(groupKey: string, r: ReceiverIntegration): string {
  return `${groupKey}:${r.receiver}/${r.integration}/${r.index}`;
}

/**
 * Whether a group's current alerts need a notification given the last one (Alertmanager's rules):
 * nothing sent yet and something fires; an alert fires that was not notified as firing; all
 * alerts resolved after firing ones were notified (always, so the log forgets them); a newly
 * resolved alert when the integration sends resolved notifications; or repeat_interval passed.
 */
export function needsUpdate(entry: NflogEntry | undefined, firing: ReadonlySet<string>, resolved: ReadonlySet<string>, sendResolved: boolean, repeatIntervalMs: number, now: number): boolean {
  if (!entry) return firing.size > 0;
  const lastFiring = new Set(entry.firing);
  for (const fp of firing) if (!lastFiring.has(fp)) return true;
  if (firing.size === 0) return entry.firing.length > 0;
  if (sendResolved) {
    const lastResolved = new Set(entry.resolved);
    for (const fp of resolved) if (!lastResolved.has(fp)) return true;
  }
  return entry.timestamp < now - repeatIntervalMs;
}

export interface Nflog {
  query(groupKey: string, r: ReceiverIntegration): NflogEntry | undefined;
  /** Records a delivered notification durably. */
  log(groupKey: string, r: ReceiverIntegration, firing: string[], resolved: string[]): NflogEntry;
  /** Takes a peer's entries that are newer than ours; returns how many changed. */
  merge(entries: NflogEntry[]): number;
  list(): NflogEntry[];
  /** Writes a snapshot and empties the append log; drops expired entries first. */
  maintain(): void;
  onLog(fn: (e: NflogEntry) => void): void;
  close(): void;
}

export interface NflogOptions {
  /** Directory for the files; undefined keeps the log in memory only. */
  dir?: string;
  now: () => number;
  retentionMs?: number;
}

export function createNflog(o: NflogOptions): Nflog {
  const retention = o.retentionMs ?? DEFAULT_NFLOG_RETENTION_MS;
  const entries = new Map<string, NflogEntry>();
  const listeners: ((e: NflogEntry) => void)[] = [];
  const snapFile = o.dir === undefined ? undefined : join(o.dir, 'nflog.json');
  const logFile = o.dir === undefined ? undefined : join(o.dir, 'nflog.log');

  const take = (e: NflogEntry): boolean => {
    const k = nflogKey(e.groupKey, e);
    const prev = entries.get(k);
    if (prev && prev.timestamp >= e.timestamp) return false;
    entries.set(k, e);
    return true;
  };

  let appendLog: AppendLog | undefined;
  if (o.dir !== undefined) {
    ensureDir(o.dir);
    const snap = readSnapshot(snapFile!) as { entries?: NflogEntry[] } | undefined;
    for (const e of snap?.entries ?? []) take(e);
    for (const e of readAppendLog(logFile!) as NflogEntry[]) take(e);
    appendLog = openAppendLog(logFile!);
  }

  return {
    query: (groupKey, r) => {
      const e = entries.get(nflogKey(groupKey, r));
      return e && e.expiresAt > o.now() ? e : undefined;
    },
    log(groupKey, r, firing, resolved) {
      const now = o.now();
      const e: NflogEntry = { receiver: r.receiver, integration: r.integration, index: r.index, groupKey, firing, resolved, timestamp: now, expiresAt: now + retention };
      take(e);
      appendLog?.append(e);
      for (const fn of listeners) fn(e);
      return e;
    },
    merge(list) {
      let n = 0;
      for (const e of list) {
        if (take(e)) {
          appendLog?.append(e);
          n++;
        }
      }
      return n;
    },
    list: () => [...entries.values()],
    maintain() {
      const now = o.now();
      for (const [k, e] of entries) if (e.expiresAt <= now) entries.delete(k);
      if (snapFile) {
        writeSnapshot(snapFile, { entries: [...entries.values()] });
        appendLog!.truncate();
      }
    },
    onLog(fn) {
      listeners.push(fn);
    },
    close() {
      appendLog?.close();
    },
  };
}
