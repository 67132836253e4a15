// The agent's own metrics, in one list that serves both its /metrics page and the "strata-agent"
// job it forwards to the server with its other data (as Prometheus in agent mode scrapes itself),
// so the two always agree. Metrics other modules keep in a prom-client registry (the scrape
// manager's prometheus_target_* and prometheus_sd_*) join the list through registryFamilies, so
// they are defined once, where they are counted.
import type { Registry } from 'prom-client';
import { SampleBatchBuilder, labelsFromRecord, type Labels, type SampleBatch } from '../model/index.ts';
import type { QueueStats } from './queue.ts';
import { SEND_DURATION_BUCKETS, type SenderStats } from './sender.ts';

export interface MetricFamily {
  name: string;
  type: 'gauge' | 'counter' | 'histogram' | 'summary';
  help: string;
  /** Series of the family: the full metric name (with _bucket/_sum/_count for histograms). */
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** The job name of the agent's own metrics as forwarded to the server. */
export const SELF_JOB = 'strata-agent';

export function agentMetricFamilies(q: QueueStats, s: SenderStats, collectErrors: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  const one = (name: string, type: 'gauge' | 'counter', help: string, value: number) => {
    out.push({ name, type, help, samples: [{ name, labels: {}, value }] });
  };
  one('strata_agent_queue_bytes', 'gauge', 'Bytes in the on-disk queue not yet delivered.', q.pendingBytes);
  one('strata_agent_queue_samples', 'gauge', 'Samples in the on-disk queue not yet delivered.', q.pendingSamples);
  one('strata_agent_queue_records', 'gauge', 'Requests in the on-disk queue not yet delivered.', q.pendingRecords);
  one('strata_agent_queue_dropped_samples_total', 'counter', 'Samples dropped because the queue was full (oldest first).', q.droppedSamples);
  one('strata_agent_queue_dropped_segments_total', 'counter', 'Queue segments dropped because the queue was full.', q.droppedSegments);
  one('strata_agent_queue_corrupt_bytes_total', 'counter', 'Bytes cut off the queue at startup (torn or failing checksum).', q.corruptBytes);
  one('strata_agent_queue_write_failed_samples_total', 'counter', 'Samples lost because the queue could not be written (disk full, I/O error).', q.failedSamples);
  one('strata_agent_queue_fsyncs_total', 'counter', 'fsync calls on queue segments.', q.fsyncs);
  one('strata_agent_sent_samples_total', 'counter', 'Samples the server acknowledged.', s.sentSamples);
  one('strata_agent_sent_requests_total', 'counter', 'Remote write requests the server acknowledged.', s.sentRequests);
  one('strata_agent_retries_total', 'counter', 'Remote write attempts that failed and were retried.', s.retries);
  one('strata_agent_rejected_samples_total', 'counter', 'Samples the server refused for good (4xx other than 429), dropped.', s.rejectedSamples);
  one('strata_agent_collect_errors_total', 'counter', 'Collection rounds of a producer that failed.', collectErrors);
  const h = 'strata_agent_send_duration_seconds';
  const d = s.sendDuration;
  const samples: MetricFamily['samples'] = [];
  let cumulative = 0;
  for (let i = 0; i <= SEND_DURATION_BUCKETS.length; i++) {
    cumulative += d.buckets[i];
    samples.push({ name: `${h}_bucket`, labels: { le: i < SEND_DURATION_BUCKETS.length ? String(SEND_DURATION_BUCKETS[i]) : '+Inf' }, value: cumulative });
  }
  samples.push({ name: `${h}_sum`, labels: {}, value: d.sum }, { name: `${h}_count`, labels: {}, value: d.count });
  out.push({ name: h, type: 'histogram', help: 'Duration of remote write attempts, answered or failed.', samples });
  return out;
}

/** The families of a prom-client registry, series named as its text output names them (_bucket, _sum, _count). */
export async function registryFamilies(registry: Registry): Promise<MetricFamily[]> {
  const out: MetricFamily[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    const type = String(m.type);
    if (type !== 'gauge' && type !== 'counter' && type !== 'histogram' && type !== 'summary') continue;
    out.push({
      name: m.name,
      type,
      help: m.help,
      samples: m.values.map((v) => ({
        name: (v as { metricName?: string }).metricName ?? m.name,
        labels: Object.fromEntries(Object.entries(v.labels).map(([k, l]) => [k, String(l)])),
        value: v.value,
      })),
    });
  }
  return out;
}

/** The Prometheus text format of the families. */
export function formatMetricsText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const ls = Object.entries(s.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
      lines.push(`${s.name}${ls === '' ? '' : `{${ls}}`} ${formatValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * A producer of the families as samples labelled with `target` (job and instance, as a scrape
 * would add). Label sets are built once per series and instance.
 */
export function selfMetricsProducer(
  families: () => MetricFamily[] | Promise<MetricFamily[]>,
  target: () => Record<string, string>,
): (nowMs: number) => Promise<SampleBatch> {
  let cache = new Map<string, Labels>();
  let cachedFor = '';
  return async (nowMs) => {
    const fs = await families();
    const t = target();
    const tkey = JSON.stringify(t);
    if (tkey !== cachedFor) {
      cache.clear();
      cachedFor = tkey;
    }
    // Only this round's series stay cached: a scrape job that is gone takes its label sets along.
    const next = new Map<string, Labels>();
    const b = new SampleBatchBuilder(64);
    for (const f of fs) {
      for (const s of f.samples) {
        const key = seriesKey(s.name, s.labels);
        let ls = cache.get(key);
        if (ls === undefined) ls = labelsFromRecord({ ...t, ...s.labels, __name__: s.name });
        next.set(key, ls);
        b.startSeries(ls);
        b.add(nowMs, s.value);
      }
    }
    cache = next;
    return b.build();
  };
}

function seriesKey(name: string, labels: Record<string, string>): string {
  let k = name;
  for (const [n, v] of Object.entries(labels)) k += `\0${n}\0${v}`;
  return k;
}
