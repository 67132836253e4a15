// Turning per-target measurements into derived figures, ratios, a Markdown table and an SVG chart.
// Pure functions over plain data, so they are testable without running any server.

export interface TargetMeasurement {
  name: string;
  version: string;
  /** False when the target was stopped by the time budget before all data was sent, or failed. */
  complete: boolean;
  /** Set when the target could not be measured at all (did not start, crashed). */
  error?: string;
  activeSeries: number;
  /** Samples sent to this target (all of the log, or the prefix an earlier partial target got). */
  samplesOffered: number;
  samplesAccepted: number;
  samplesFailed: number;
  failedRequests: number;
  retries: number;
  errors: string[];
  ingestWallSeconds: number;
  cpuSecondsIngest: number;
  cpuSecondsPersist: number;
  persistWallSeconds: number;
  idleRssBytes: number;
  rssAfterIngestBytes: number;
  /** Peak RSS (VmHWM) of the server over its life, read after ingest. */
  peakRssBytes: number;
  /** RSS after ingest and a forced full garbage collection (NaN when that failed). */
  rssAfterGcBytes: number;
  persistedBytes: number;
  /** The data dir right after ingest, before snapshot/flush: WAL included. */
  dataDirAfterIngestBytes: number;
  diskMethod: string;
  reportedSeries: number | null;
  /** The machine's 1-minute load average when ingest ended: context for the wall-clock figures. */
  loadAverage1m: number;
}

export interface DerivedFigures {
  samplesPerSecond: number;
  cpuSecondsPerMillionSamples: number;
  bytesPerSample: number;
  rssBytesPerActiveSeries: number;
  rssBytesPerActiveSeriesAfterGc: number;
  rssTotalBytes: number;
}

export function derive(m: TargetMeasurement): DerivedFigures {
  const s = m.samplesAccepted;
  return {
    samplesPerSecond: m.ingestWallSeconds > 0 ? s / m.ingestWallSeconds : NaN,
    cpuSecondsPerMillionSamples: s > 0 ? m.cpuSecondsIngest / (s / 1e6) : NaN,
    bytesPerSample: s > 0 ? m.persistedBytes / s : NaN,
    rssBytesPerActiveSeries: m.activeSeries > 0 ? (m.rssAfterIngestBytes - m.idleRssBytes) / m.activeSeries : NaN,
    rssBytesPerActiveSeriesAfterGc: m.activeSeries > 0 ? (m.rssAfterGcBytes - m.idleRssBytes) / m.activeSeries : NaN,
    rssTotalBytes: m.rssAfterIngestBytes,
  };
}

/** The four figures compared across targets; `better` says which direction wins. */
export const COMPARED = [
  { key: 'samplesPerSecond', label: 'samples/s (wall)', better: 'higher' },
  { key: 'cpuSecondsPerMillionSamples', label: 'CPU-s per 1M samples', better: 'lower' },
  { key: 'bytesPerSample', label: 'bytes per sample on disk', better: 'lower' },
  { key: 'rssBytesPerActiveSeries', label: 'RSS bytes per active series', better: 'lower' },
  { key: 'rssBytesPerActiveSeriesAfterGc', label: 'RSS bytes per active series after a forced GC', better: 'lower' },
] as const;

export type ComparedKey = (typeof COMPARED)[number]['key'];

export interface Ratio {
  subject: string;
  baseline: string;
  /** subject / baseline for each compared figure (NaN when either side is missing). */
  values: Record<ComparedKey, number>;
}

/**
 * Ratios to report: Strata against each peer when Strata was measured; otherwise (a peers-only run)
 * VictoriaMetrics against Prometheus, which at least checks the harness on known systems.
 */
export function ratioPairs(names: readonly string[]): [string, string][] {
  const has = (n: string): boolean => names.includes(n);
  if (has('strata')) return ['prometheus', 'victoriametrics'].filter(has).map((b) => ['strata', b]);
  if (has('victoriametrics') && has('prometheus')) return [['victoriametrics', 'prometheus']];
  return [];
}

export function computeRatios(ms: readonly TargetMeasurement[]): Ratio[] {
  const ok = ms.filter((m) => !m.error);
  const byName = new Map(ok.map((m) => [m.name, derive(m)]));
  return ratioPairs(ok.map((m) => m.name)).map(([subject, baseline]) => {
    const a = byName.get(subject)!;
    const b = byName.get(baseline)!;
    const values = {} as Record<ComparedKey, number>;
    for (const c of COMPARED) values[c.key] = a[c.key] / b[c.key];
    return { subject, baseline, values };
  });
}

function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return Number(x.toPrecision(digits)).toString();
}

function mib(b: number): string {
  return Number.isFinite(b) ? `${(b / 1048576).toFixed(1)} MiB` : 'n/a';
}

export interface ReportContext {
  title: string;
  /** Lines printed under the title (dataset, machine, caveats). */
  notes: string[];
}

export function renderMarkdown(ctx: ReportContext, ms: readonly TargetMeasurement[], ratios: readonly Ratio[]): string {
  const lines: string[] = [`# ${ctx.title}`, ''];
  for (const n of ctx.notes) lines.push(`- ${n}`);
  lines.push('');
  const cols = ms.map((m) => m.name + (m.error ? ' (failed)' : m.complete ? '' : ' (partial)'));
  const ratioCols = ratios.map((r) => `${r.subject}/${r.baseline}`);
  lines.push(`| figure | ${[...cols, ...ratioCols].join(' | ')} |`);
  lines.push(`|---|${[...cols, ...ratioCols].map(() => '---:').join('|')}|`);
  const ds = ms.map((m) => (m.error ? null : derive(m)));
  for (const c of COMPARED) {
    const cells = ds.map((d) => (d ? fmt(d[c.key]) : 'n/a'));
    const rcells = ratios.map((r) => fmt(r.values[c.key], 3));
    lines.push(`| ${c.label} (${c.better} is better) | ${[...cells, ...rcells].join(' | ')} |`);
  }
  const extra: [string, (m: TargetMeasurement, d: DerivedFigures) => string][] = [
    ['samples sent', (m) => fmt(m.samplesOffered)],
    ['samples accepted', (m) => fmt(m.samplesAccepted)],
    ['samples failed', (m) => fmt(m.samplesFailed)],
    ['ingest wall time (s)', (m) => fmt(m.ingestWallSeconds)],
    ['CPU-s during ingest', (m) => fmt(m.cpuSecondsIngest)],
    ['CPU-s of snapshot/flush', (m) => fmt(m.cpuSecondsPersist)],
    ['RSS idle', (m) => mib(m.idleRssBytes)],
    ['RSS after ingest', (m) => mib(m.rssAfterIngestBytes)],
    ['peak RSS (VmHWM)', (m) => mib(m.peakRssBytes)],
    ['RSS after ingest and a forced GC', (m) => mib(m.rssAfterGcBytes)],
    ['persisted on disk', (m) => mib(m.persistedBytes)],
    ['data dir after ingest (incl. WAL)', (m) => mib(m.dataDirAfterIngestBytes)],
    ['machine load avg (1m) at end of ingest', (m) => fmt(m.loadAverage1m, 2)],
    ['series reported by target', (m) => (m.reportedSeries === null ? 'n/a' : String(m.reportedSeries))],
  ];
  for (const [label, f] of extra) {
    const cells = ms.map((m, i) => (m.error ? 'n/a' : f(m, ds[i]!)));
    lines.push(`| ${label} | ${[...cells, ...ratios.map(() => '')].join(' | ')} |`);
  }
  lines.push('');
  for (const m of ms) {
    lines.push(`- **${m.name}**: ${m.version}; disk: ${m.diskMethod || 'n/a'}`);
    if (m.error) lines.push(`  - failed: ${m.error.split('\n')[0]}`);
    for (const e of m.errors.slice(0, 3)) lines.push(`  - error: ${e.split('\n')[0]}`);
  }
  lines.push('');
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759'];

/** A grouped bar chart of the ratios (one group per compared figure, one bar per pair), with a line at 1. */
export function renderRatioSvg(title: string, ratios: readonly Ratio[]): string {
  return renderBarGroupsSvg({
    title,
    groups: COMPARED.map((c) => ({ label: c.label, note: `(${c.better} is better)` })),
    bars: ratios.map((r) => ({ name: `${r.subject} / ${r.baseline}`, values: COMPARED.map((c) => r.values[c.key]) })),
    parity: { at: 1, label: '1.0 = same as baseline' },
    empty: 'no ratios (fewer than two targets measured)',
  });
}

export interface BarGroupsChart {
  title: string;
  /** One group of bars per entry, labelled under the axis (`note` on a second line, grey). */
  groups: readonly { label: string; note?: string }[];
  /** One bar per group for each entry, in the legend's order; NaN draws "n/a". */
  bars: readonly { name: string; values: readonly number[] }[];
  /** A dashed reference line (e.g. a ratio of 1). */
  parity?: { at: number; label: string };
  /** Shown when there are no bars. */
  empty?: string;
}

/** A grouped bar chart as SVG: the shape every benchmark here reports in. */
export function renderBarGroupsSvg(c: BarGroupsChart): string {
  const W = Math.max(760, 80 + c.groups.length * 120);
  const H = 420;
  const left = 60;
  const right = 20;
  const top = 50;
  const bottom = 110;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  let max = c.parity?.at ?? 0;
  for (const b of c.bars) for (const v of b.values) if (Number.isFinite(v)) max = Math.max(max, v);
  max = niceCeil(max > 0 ? max * 1.1 : 1);
  const y = (v: number): number => top + plotH - (v / max) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(c.title)}</text>`);
  // Axis and grid.
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  const groupW = plotW / Math.max(1, c.groups.length);
  const barW = Math.min(60, (groupW * 0.7) / Math.max(1, c.bars.length));
  c.groups.forEach((grp, g) => {
    const gx = left + g * groupW + (groupW - barW * c.bars.length) / 2;
    c.bars.forEach((b, k) => {
      const v = b.values[g];
      const x = gx + k * barW;
      if (Number.isFinite(v)) {
        out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${PALETTE[k % PALETTE.length]}"/>`);
        out.push(`<text x="${(x + (barW - 4) / 2).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle">${Number(v.toPrecision(3))}</text>`);
      } else {
        out.push(`<text x="${(x + (barW - 4) / 2).toFixed(1)}" y="${(top + plotH - 4).toFixed(1)}" text-anchor="middle">n/a</text>`);
      }
    });
    const cx = left + g * groupW + groupW / 2;
    out.push(`<text x="${cx.toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${esc(grp.label)}</text>`);
    if (grp.note) out.push(`<text x="${cx.toFixed(1)}" y="${top + plotH + 33}" text-anchor="middle" fill="#666">${esc(grp.note)}</text>`);
  });
  if (c.parity) {
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(c.parity.at).toFixed(1)}" y2="${y(c.parity.at).toFixed(1)}" stroke="#c00" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${W - right}" y="${(y(c.parity.at) - 4).toFixed(1)}" text-anchor="end" fill="#c00">${esc(c.parity.label)}</text>`);
  }
  c.bars.forEach((b, k) => {
    const lx = left + k * 230;
    const ly = H - 30;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${PALETTE[k % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${esc(b.name)}</text>`);
  });
  if (c.bars.length === 0 && c.empty) out.push(`<text x="${W / 2}" y="${top + plotH / 2}" text-anchor="middle">${esc(c.empty)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
