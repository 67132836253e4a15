// Scraping UTF-8 names as Prometheus 3 does: its Accept header asks for `escaping=allow-utf-8` (the
// job's metric_name_escaping_scheme) on text 1.0.0 and OpenMetrics 1.0.0, quoted names in the body
// are stored as they are, and a job with metric_name_validation_scheme: legacy fails a scrape with
// such a name. Prometheus 2.42 (the one on this machine) has none of this; the expectations follow
// Prometheus 3's scrape/scrape.go (acceptHeader) and docs ("UTF-8 in Prometheus").
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder, jobs, manager, runCleanups, serve, until } from './testing.ts';

afterEach(runCleanups);

const BODY = '# TYPE "http.server.requests" counter\n{"http.server.requests","http.route"="/a",code="200"} 3\nplain{"a.b"="c"} 1\n';

describe('UTF-8 names in scrapes', () => {
  it('asks for allow-utf-8 and stores quoted names', async () => {
    let accept = '';
    const addr = await serve((req, res) => {
      accept = String(req.headers.accept);
      res.writeHead(200, { 'Content-Type': 'text/plain; version=1.0.0; escaping=allow-utf-8; charset=utf-8' });
      res.end(BODY);
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: app, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    const base = `{instance="${addr}", job="app"}`;
    await until('a successful scrape', () => rec.values(`up${base}`).includes(1));
    expect(accept).toContain('text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4');
    expect(rec.values(`{"http.server.requests", code="200", "http.route"="/a", instance="${addr}", job="app"}`)[0]).toBe(3);
    expect(rec.values(`plain{"a.b"="c", instance="${addr}", job="app"}`)[0]).toBe(1);
  });

  it('asks for underscores and fails the scrape on a UTF-8 name when the job is legacy', async () => {
    let accept = '';
    const addr = await serve((req, res) => {
      accept = String(req.headers.accept);
      res.writeHead(200, { 'Content-Type': 'text/plain; version=1.0.0' });
      res.end(BODY);
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: old, metric_name_validation_scheme: legacy, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    await until('a failed scrape', () => m.targets().active[0]?.status.lastError !== '' && m.targets().active[0]?.status.lastError !== undefined);
    expect(accept).toContain('application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6');
    // The series as Prometheus 3's Labels.String() writes it: non-classic names quoted.
    expect(m.targets().active[0].status.lastError).toBe(`invalid metric name or label names: {__name__="http.server.requests", code="200", "http.route"="/a", instance="${addr}", job="old"}`);
    expect(rec.values(`up{instance="${addr}", job="old"}`)).not.toContain(1);
  });
});
