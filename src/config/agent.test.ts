import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, parseConfig } from './index.ts';

describe('agent section', () => {
  it('has defaults that need only the server URL', () => {
    const a = defaultConfig().agent;
    expect(a).toMatchObject({ listen: '0.0.0.0:9191', remoteWrite: { url: '', timeoutMs: 30_000, minBackoffMs: 100, maxBackoffMs: 30_000 }, collectIntervalMs: 15_000 });
    expect(a.queue.maxBytes).toBe(1024 ** 3);
    expect(a.collectors).toContain('cpu');
  });

  it('reads the file form into ms and bytes', () => {
    const { config } = parseConfig([
      'agent:',
      '  remote_write: { url: "http://strata:9190/api/v1/write", min_backoff: 50ms, max_backoff: 5s }',
      '  queue: { path: /var/lib/strata-agent, max_size: 64MiB, segment_size: 1MiB }',
      '  collectors: [cpu, loadavg]',
    ].join('\n'), 'agent.yml');
    expect(config.agent.remoteWrite).toMatchObject({ url: 'http://strata:9190/api/v1/write', minBackoffMs: 50, maxBackoffMs: 5000 });
    expect(config.agent.queue).toEqual({ path: '/var/lib/strata-agent', maxBytes: 64 << 20, segmentBytes: 1 << 20, fsync: 'interval' });
    expect(config.agent.collectors).toEqual(['cpu', 'loadavg']);
  });

  it.each([
    ['agent:\n  remote_write:\n    url: strata:9190\n', 'agent.yml:3:10: agent.remote_write.url: expected an http:// or https:// URL'],
    ['agent:\n  collectors: [cpu, cpuu]\n', 'agent.yml:2:21: agent.collectors[1]: unknown collector "cpuu"'],
    ['agent:\n  queue:\n    max_sise: 1GiB\n', 'agent.yml:3:5: agent.queue.max_sise: unknown field (did you mean max_size?)'],
    ['agent:\n  queue: { max_size: 1MiB, segment_size: 8MiB }\n', 'agent.queue.segment_size: must not be larger than queue.max_size'],
    ['agent:\n  remote_write: { min_backoff: 1m, max_backoff: 1s }\n', 'agent.remote_write.min_backoff: must not be larger than max_backoff'],
  ])('%j is refused with a positioned error', (text, msg) => {
    expect(() => parseConfig(text, 'agent.yml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'agent.yml')).toThrow(msg);
  });
});
