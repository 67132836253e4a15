import { describe, expect, it } from 'vitest';
import { COMPARED, computeRatios, derive, ratioPairs, renderMarkdown, renderRatioSvg, type TargetMeasurement } from './report.ts';

function measurement(name: string, over: Partial<TargetMeasurement> = {}): TargetMeasurement {
  return {
    name, version: `${name} 1.0`, complete: true, activeSeries: 1000, samplesOffered: 2_000_000, samplesAccepted: 2_000_000, samplesFailed: 0,
    failedRequests: 0, retries: 0, errors: [], ingestWallSeconds: 10, cpuSecondsIngest: 4, cpuSecondsPersist: 1,
    persistWallSeconds: 1, idleRssBytes: 1_000_000, rssAfterIngestBytes: 5_000_000, peakRssBytes: 6_000_000, rssAfterGcBytes: 3_000_000, persistedBytes: 3_000_000,
    dataDirAfterIngestBytes: 4_000_000, diskMethod: 'test', reportedSeries: 1000, loadAverage1m: 1.5, ...over,
  };
}

describe('derived figures', () => {
  it('computes rate, CPU per million, bytes per sample and RSS growth per series', () => {
    expect(derive(measurement('a'))).toEqual({
      samplesPerSecond: 200_000, cpuSecondsPerMillionSamples: 2, bytesPerSample: 1.5, rssBytesPerActiveSeries: 4000, rssBytesPerActiveSeriesAfterGc: 2000, rssTotalBytes: 5_000_000,
    });
  });

  it('gives NaN rather than Infinity or 0 when nothing was ingested', () => {
    const d = derive(measurement('a', { samplesAccepted: 0, ingestWallSeconds: 0 }));
    expect(d.samplesPerSecond).toBeNaN();
    expect(d.bytesPerSample).toBeNaN();
    expect(d.cpuSecondsPerMillionSamples).toBeNaN();
  });
});

describe('ratios', () => {
  it('compares Strata against each peer present, else VictoriaMetrics against Prometheus', () => {
    expect(ratioPairs(['prometheus', 'victoriametrics', 'strata'])).toEqual([['strata', 'prometheus'], ['strata', 'victoriametrics']]);
    expect(ratioPairs(['victoriametrics', 'strata'])).toEqual([['strata', 'victoriametrics']]);
    expect(ratioPairs(['prometheus', 'victoriametrics'])).toEqual([['victoriametrics', 'prometheus']]);
    expect(ratioPairs(['prometheus'])).toEqual([]);
  });

  it('divides subject by baseline per figure and leaves out failed targets', () => {
    const ms = [
      measurement('prometheus'),
      measurement('victoriametrics', { error: 'did not start' }),
      measurement('strata', { ingestWallSeconds: 5, persistedBytes: 1_500_000 }),
    ];
    const r = computeRatios(ms);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ subject: 'strata', baseline: 'prometheus' });
    expect(r[0].values.samplesPerSecond).toBeCloseTo(2);
    expect(r[0].values.bytesPerSample).toBeCloseTo(0.5);
    expect(r[0].values.cpuSecondsPerMillionSamples).toBeCloseTo(1);
  });
});

describe('rendering', () => {
  const ms = [measurement('prometheus'), measurement('victoriametrics', { complete: false }), measurement('strata', { persistedBytes: 6_000_000 })];
  const ratios = computeRatios(ms);

  it('puts every target and ratio in the Markdown table, marking partial runs', () => {
    const md = renderMarkdown({ title: 'T', notes: ['note one'] }, ms, ratios);
    expect(md).toContain('- note one');
    expect(md).toContain('| figure | prometheus | victoriametrics (partial) | strata | strata/prometheus | strata/victoriametrics |');
    expect(md).toMatch(/\| bytes per sample on disk \(lower is better\) \| 1\.5 \| 1\.5 \| 3 \| 2 \| 2 \|/);
  });

  it('draws one bar per ratio and figure in the SVG, plus a legend entry per ratio', () => {
    const svg = renderRatioSvg('chart <1>', ratios);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('chart &lt;1&gt;');
    const bars = svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#/g) ?? [];
    expect(bars).toHaveLength(ratios.length * COMPARED.length + ratios.length);
    expect(svg).toContain('strata / victoriametrics');
  });
});
