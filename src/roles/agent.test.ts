import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/index.ts';
import { SampleBatchBuilder, labelsFromRecord } from '../model/index.ts';
import { agentInstance, startAgent } from './agent.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('agent self-monitoring instance', () => {
  it('is hostname:port on all interfaces (agents on many hosts stay apart), else the listen address', () => {
    expect(agentInstance('0.0.0.0', 9191, '0.0.0.0:9191')).toBe(`${os.hostname()}:9191`);
    expect(agentInstance('', 9191, '0.0.0.0:9191')).toBe(`${os.hostname()}:9191`);
    expect(agentInstance('::', 9191, '[::]:9191')).toBe(`${os.hostname()}:9191`);
    expect(agentInstance('127.0.0.1', 9191, '127.0.0.1:9191')).toBe('127.0.0.1:9191');
  });
});

describe('startAgent', () => {
  it('logs a warning for every segment a full queue deletes, with the unsent samples lost', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-agent-role-'));
    dirs.push(dir);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    const config = defaultConfig();
    config.agent.listen = '127.0.0.1:0';
    config.agent.remoteWrite = { url: 'http://127.0.0.1:1/api/v1/write', timeoutMs: 1000, minBackoffMs: 60_000, maxBackoffMs: 60_000 }; // nothing there
    config.agent.queue = { path: dir, maxBytes: 16 << 10, segmentBytes: 4 << 10, fsync: 'never' };
    config.agent.collectIntervalMs = 3_600_000;
    config.agent.selfMonitoring.enabled = false;
    let round = 0;
    const producer = () => {
      const b = new SampleBatchBuilder();
      for (let i = 0; i < 20; i++) {
        b.startSeries(labelsFromRecord({ __name__: 'filler', i: String(i), pad: 'x'.repeat(40) }));
        b.add(round, round);
      }
      round++;
      return b.build();
    };
    const a = await startAgent({ config, logger, version: 'test', producers: [producer] });
    try {
      for (let i = 0; i < 40; i++) await a.agent.collect();
    } finally {
      await a.stop();
    }
    const warnings = lines.filter((l) => l.level === 40 && String(l.msg).startsWith('queue full'));
    const dropped = a.agent.queue.stats.droppedSamples;
    expect(dropped).toBeGreaterThan(0);
    expect(warnings).toHaveLength(a.agent.queue.stats.droppedSegments);
    expect(warnings.reduce((n, w) => n + Number(w.droppedSamples), 0)).toBe(dropped);
  });
});
