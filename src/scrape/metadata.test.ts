// What a target said about its metric families (TYPE, HELP, UNIT), kept per scrape loop for
// /api/v1/targets/metadata as Prometheus' scrape cache keeps it.
import { afterEach, describe, expect, it } from 'vitest';
import { runCleanups, steppedLoop } from './testing.ts';

afterEach(runCleanups);

describe('per-target metadata', () => {
  it('keeps a family 10 good scrapes after the last that described it; a failed scrape does not count', async () => {
    let body = '# HELP a Help of a.\n# TYPE a gauge\na 1\n# TYPE b counter\nb 1\n';
    const { loop, scrape } = await steppedLoop('1s', () => body);
    await scrape(1000, 0);
    expect(loop.metadata()).toEqual([
      { family: 'a', type: 'gauge', help: 'Help of a.', unit: '' },
      { family: 'b', type: 'counter', help: '', unit: '' },
    ]);
    body = '# HELP a Help of a, changed.\n# TYPE a gauge\na 2\nb 2\n';
    for (let i = 2; i <= 11; i++) {
      await scrape(i * 1000, 0);
      expect(loop.metadata().map((m) => m.family)).toEqual(['a', 'b']);
    }
    // A scrape that fails (the body cannot be parsed) neither describes nor ages anything.
    body = 'a{ 1\n';
    await scrape(12_000, 0);
    expect(loop.metadata().map((m) => m.family)).toEqual(['a', 'b']);
    body = '# HELP a Help of a, changed.\n# TYPE a gauge\na 2\nb 2\n';
    await scrape(13_000, 0);
    // The 11th good scrape without b's TYPE line drops b; a is as last described.
    expect(loop.metadata()).toEqual([{ family: 'a', type: 'gauge', help: 'Help of a, changed.', unit: '' }]);
  });
});
