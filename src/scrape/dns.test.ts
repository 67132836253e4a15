// dns_sd_configs: targets from A records (through the system resolver, /etc/hosts included) and from
// SRV, MX and NS records (through an injected resolver: no DNS server is at hand in tests).
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTargets, type DnsResolver } from '../discovery/index.ts';
import { Recorder, jobs, manager, runCleanups, serve, text, until } from './testing.ts';

afterEach(runCleanups);

function dnsError(code: string): Error {
  return Object.assign(new Error(`query ${code}`), { code });
}

/** A resolver answering from a table; a name mapped to an Error throws it. */
function fakeResolver(table: Record<string, unknown>): DnsResolver & { asked: string[] } {
  const asked: string[] = [];
  const answer = async <T>(kind: string, name: string): Promise<T> => {
    asked.push(`${kind} ${name}`);
    const v = table[`${kind} ${name}`];
    if (v instanceof Error) throw v;
    if (v === undefined) throw dnsError('ENOTFOUND');
    return v as T;
  };
  return {
    asked,
    lookup: (name, family) => answer(family === 4 ? 'A' : 'AAAA', name),
    resolveSrv: (name) => answer('SRV', name),
    resolveMx: (name) => answer('MX', name),
    resolveNs: (name) => answer('NS', name),
  };
}

describe('dns_sd_configs', () => {
  it('turns SRV, A, AAAA, MX and NS answers into targets with Prometheus\' meta labels', async () => {
    const r = fakeResolver({
      'SRV _m._tcp.example': [{ name: 'node1.example.', port: 9100, priority: 0, weight: 0 }, { name: 'node2.example', port: 9101 }],
      'A hosts.example': ['10.0.0.1', '10.0.0.2'],
      'AAAA hosts.example': ['2001:db8::1'],
      'MX mail.example': [{ exchange: 'mx.example.', priority: 10 }],
      'NS zone.example': ['ns1.example.'],
    });
    expect(await resolveTargets(r, '_m._tcp.example', { type: 'SRV', port: 0 })).toEqual([
      { __address__: 'node1.example:9100', __meta_dns_name: '_m._tcp.example', __meta_dns_srv_record_target: 'node1.example', __meta_dns_srv_record_port: '9100' },
      { __address__: 'node2.example:9101', __meta_dns_name: '_m._tcp.example', __meta_dns_srv_record_target: 'node2.example', __meta_dns_srv_record_port: '9101' },
    ]);
    expect(await resolveTargets(r, 'hosts.example', { type: 'A', port: 80 })).toEqual([
      { __address__: '10.0.0.1:80', __meta_dns_name: 'hosts.example' }, { __address__: '10.0.0.2:80', __meta_dns_name: 'hosts.example' },
    ]);
    expect(await resolveTargets(r, 'hosts.example', { type: 'AAAA', port: 80 })).toEqual([{ __address__: '[2001:db8::1]:80', __meta_dns_name: 'hosts.example' }]);
    expect(await resolveTargets(r, 'mail.example', { type: 'MX', port: 9100 })).toEqual([
      { __address__: 'mx.example:9100', __meta_dns_name: 'mail.example', __meta_dns_mx_record_target: 'mx.example' },
    ]);
    expect(await resolveTargets(r, 'zone.example', { type: 'NS', port: 9100 })).toEqual([
      { __address__: 'ns1.example:9100', __meta_dns_name: 'zone.example', __meta_dns_ns_record_target: 'ns1.example' },
    ]);
    // A name that does not exist has no targets; a failing server is an error.
    expect(await resolveTargets(r, 'gone.example', { type: 'SRV', port: 0 })).toEqual([]);
    const failing = fakeResolver({ 'SRV x.example': dnsError('ESERVFAIL') });
    await expect(resolveTargets(failing, 'x.example', { type: 'SRV', port: 0 })).rejects.toThrow(/ESERVFAIL/);
  });

  it('scrapes what an A lookup of localhost gives (/etc/hosts through the system resolver)', async () => {
    const addr = await serve(text('found_by_dns 1\n'));
    const port = addr.split(':')[1];
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: d',
      '    scrape_interval: 100ms',
      `    dns_sd_configs: [{ names: [localhost], type: A, port: ${port} }]`,
      '    relabel_configs: [{ source_labels: [__meta_dns_name], target_label: dns_name }]',
    ].join('\n')));
    await until('scraped', () => rec.values(`found_by_dns{dns_name="localhost", instance="127.0.0.1:${port}", job="d"}`).length > 0);
  });

  it('follows SRV answers as they change, keeping the last good targets when the server fails', async () => {
    const a = await serve(text('srv 1\n'));
    const b = await serve(text('srv 2\n'));
    const answers: Record<string, unknown> = { 'SRV _x._tcp.test': [{ name: '127.0.0.1', port: Number(a.split(':')[1]) }] };
    const resolver = fakeResolver(answers);
    const rec = new Recorder();
    const m = manager(rec, { dnsResolver: resolver });
    await m.applyConfig(jobs('scrape_configs: [{ job_name: s, scrape_interval: 100ms, dns_sd_configs: [{ names: [_x._tcp.test], refresh_interval: 100ms }] }]'));
    const urls = () => m.targets().active.map((t) => t.target.url).sort();
    await until('a found', () => urls().length === 1);
    expect(urls()).toEqual([`http://${a}/metrics`]);
    answers['SRV _x._tcp.test'] = [{ name: '127.0.0.1', port: Number(a.split(':')[1]) }, { name: '127.0.0.1.', port: Number(b.split(':')[1]) }];
    await until('b found', () => urls().length === 2);
    const asked = resolver.asked.length;
    answers['SRV _x._tcp.test'] = dnsError('ETIMEOUT');
    await until('lookups failing', () => resolver.asked.length >= asked + 3);
    expect(urls()).toHaveLength(2);
    answers['SRV _x._tcp.test'] = dnsError('ENOTFOUND');
    await until('targets gone with the name', () => urls().length === 0);
    expect(rec.values(`srv{instance="${b}", job="s"}`).at(-1)).toBe('stale');
  });
});
