// Go's time formatting: expected strings in testdata/go-time.json come from Go's Time.Format
// (go1.26, tzdata) for the standard layouts and every layout element, in several zones.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GoDuration, GoTime, durationString, formatTime } from './gotime.ts';

interface TimeCase {
  ms: number;
  zone: string;
  layout: string;
  out: string;
}

const cases: TimeCase[] = JSON.parse(readFileSync(new URL('./testdata/go-time.json', import.meta.url), 'utf8'));

describe('formatTime agrees with Go Time.Format', () => {
  it(`all ${cases.length} cases`, () => {
    const wrong = cases
      .map((c) => ({ ...c, got: formatTime(new GoTime(c.ms, c.zone), c.layout) }))
      .filter((c) => c.got !== c.out)
      .map((c) => `${c.ms} ${c.zone} ${JSON.stringify(c.layout)}: want ${JSON.stringify(c.out)} got ${JSON.stringify(c.got)}`);
    expect(wrong).toEqual([]);
  });
});

describe('GoTime and GoDuration', () => {
  it('print as Go does', () => {
    expect(new GoTime(1435065584128).String()).toBe('2015-06-23 13:19:44.128 +0000 UTC');
    expect(GoTime.from(new Date(0)).String()).toBe('1970-01-01 00:00:00 +0000 UTC');
    expect(new GoTime(1435065584128).Unix()).toBe(1435065584n);
  });
  it('print durations as Duration.String', () => {
    expect([0n, 1n, 1500n, 1500000n, 1000000000n, 61500000000n, 3600000000000n, 90061000000000n, -2000000n].map(durationString)).toEqual([
      '0s', '1ns', '1.5µs', '1.5ms', '1s', '1m1.5s', '1h0m0s', '25h1m1s', '-2ms',
    ]);
    expect(new GoDuration(5400000000000n).String()).toBe('1h30m0s');
  });
});
