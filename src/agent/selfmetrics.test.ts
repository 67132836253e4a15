// The agent's metric list: families from a prom-client registry join it with their series named
// and labelled as prom-client's own text output has them, and the text output escapes what the
// exposition format requires.
import { Counter, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../ingest/index.ts';
import { formatMetricsText, registryFamilies, selfMetricsProducer } from './selfmetrics.ts';

describe('registryFamilies', () => {
  it('lists counters, histograms and summaries of a registry as prom-client itself prints them', async () => {
    const r = new Registry();
    new Counter({ name: 'c_total', help: 'C.', labelNames: ['job'], registers: [r] }).inc({ job: 'a "quoted" \\ job' }, 2);
    new Histogram({ name: 'h_seconds', help: 'H.', buckets: [1], registers: [r] }).observe(0.5);
    new Summary({ name: 's_seconds', help: 'S.', percentiles: [0.5], registers: [r] }).observe(3);
    const text = formatMetricsText(await registryFamilies(r));
    // prom-client puts a blank line between families; the lines are the same.
    expect(text).toBe(`${(await r.metrics()).split('\n').filter((l) => l !== '').join('\n')}\n`);
    expect(text).toContain('c_total{job="a \\"quoted\\" \\\\ job"} 2');
    expect(text).toContain('h_seconds_bucket{le="+Inf"} 1');
    // What the agent forwards: the same series, parsed back from the text.
    const parsed = parseExposition(text, { defaultTimestamp: 0, openMetrics: false });
    expect(parsed.batch.series.length).toBe(8);
  });

  it('forwards every series, distinct label sets kept apart', async () => {
    const r = new Registry();
    const c = new Counter({ name: 'per_job_total', help: 'P.', labelNames: ['scrape_job'], registers: [r] });
    c.inc({ scrape_job: 'a' });
    c.inc({ scrape_job: 'b' }, 5);
    const produce = selfMetricsProducer(() => registryFamilies(r), () => ({ job: 'strata-agent', instance: 'h:9191' }));
    const b = await produce(1000);
    expect(b.series.length).toBe(2);
    expect(Array.from(b.values)).toEqual([1, 5]);
  });
});
