import { describe, expect, it } from 'vitest';
import { labelsToString } from '../model/index.ts';
import { IngestError } from './errors.ts';
import { parseGroupingKey, parsePushBody } from './pushgateway.ts';

describe('Pushgateway grouping key', () => {
  it('parses job and label pairs, sorted, with @base64 values (padding optional, "=" empty); an empty value is no label', () => {
    expect(parseGroupingKey(['job', 'j', 'zone', 'b', 'app', 'a'])).toEqual(['app', 'a', 'job', 'j', 'zone', 'b']);
    const v = Buffer.from('a/b?c').toString('base64url');
    expect(parseGroupingKey(['job@base64', Buffer.from('x/y').toString('base64url'), 'path@base64', v])).toEqual(['job', 'x/y', 'path', 'a/b?c']);
    expect(parseGroupingKey(['job', 'j', 'empty@base64', '='])).toEqual(['job', 'j']);
    // A trailing slash: no labels after the job, or the last label's empty value.
    expect(parseGroupingKey(['job', 'j', ''])).toEqual(['job', 'j']);
    expect(parseGroupingKey(['job', 'j', 'b', ''])).toEqual(['job', 'j']);
  });

  it('refuses malformed keys with 400', () => {
    const bad: [string[], RegExp][] = [
      [['job'], /pairs/],
      [['instance', 'x'], /must start with job/],
      [['job', 'a', 'job', 'b'], /appears twice/],
      [['job', 'a', 'b', 'c', 'b', ''], /appears twice/],
      [['job', 'a', 'b'], /^odd number of components in label string "\/b"$/],
      [['job', 'a', 'b', 'c', ''], /^odd number of components in label string "\/b\/c\/"$/],
      [['job', 'a', '__name__', 'b'], /^improper label name "__name__"$/],
      [['job', 'a', 'x@base64', '*'], /^invalid base64 encoding for label x="\*": illegal base64 data at input byte 0$/],
      [['job', 'a', 'x@base64', 'YWJjZ'], /illegal base64 data at input byte 4$/],
      [['job', 'a', 'x@base64', 'YQ=x'], /illegal base64 data at input byte 2$/],
      [['job', 'a', 'x@base64', Buffer.from([0xff, 0xfe]).toString('base64url')], /UTF-8/],
      [['job@base64', '!'], /^invalid base64 encoding in job name "!": illegal base64 data at input byte 0$/],
      [['job@base64', '='], /^job name is required$/],
      [['job', ''], /^job name is required$/],
    ];
    for (const [segs, re] of bad) {
      try {
        parseGroupingKey(segs);
        expect.unreachable(segs.join('/'));
      } catch (e) {
        expect((e as IngestError).status).toBe(400);
        expect((e as IngestError).message).toMatch(re);
      }
    }
  });
});

describe('Pushgateway body', () => {
  it('stamps samples with the push time, applies the grouping key and names families', () => {
    const key = parseGroupingKey(['job', 'j', 'instance', 'i']);
    const g = parsePushBody('# TYPE lat summary\nlat{quantile="0.5"} 1\nlat_sum 2\nlat_count 3\nother_sum{instance="mine"} 4\n', key, 1234);
    expect(g.batch.series.map(labelsToString)).toEqual([
      'lat{instance="i", job="j", quantile="0.5"}', 'lat_sum{instance="i", job="j"}', 'lat_count{instance="i", job="j"}', 'other_sum{instance="i", job="j"}',
    ]);
    expect([...g.batch.timestamps]).toEqual([1234, 1234, 1234, 1234]);
    expect(g.families).toEqual(['lat', 'lat', 'lat', 'other_sum']);
  });

  it('refuses timestamps, series that are duplicates once the grouping key is applied, reserved label names, a last line without newline', () => {
    const key = parseGroupingKey(['job', 'j']);
    const inconsistent = 'pushed metrics are invalid or inconsistent with existing metrics: ';
    expect(() => parsePushBody('x 1 1000\n', key, 1)).toThrow(`${inconsistent}pushed metrics must not have timestamps`);
    expect(() => parsePushBody('x{job="a"} 1\nx{job="b"} 2\n', key, 1))
      .toThrow(`${inconsistent}collected metric "x" {job="j"} was collected before with the same name and label values`);
    expect(() => parsePushBody('# TYPE h histogram\nh_count{__a="1"} 1\n', key, 1))
      .toThrow(`${inconsistent}collected metric "h" {__a="1", job="j"} has a label with an invalid name: __a`);
    expect(() => parsePushBody('x 1\ny 2', key, 1)).toThrow(/^text format parsing error in line 2: unexpected end of input stream$/);
    expect(parsePushBody('x 1\n  ', key, 1).batch.series.length).toBe(1);
    expect([...parsePushBody('# TYPE h histogram\nh_count 1\nu 1\n', key, 1).familyTypes]).toEqual([['h', 'HISTOGRAM'], ['u', 'UNTYPED']]);
  });

  it('survives random mutations within a bounded time: parses or throws IngestError', () => {
    const base = '# HELP x h\n# TYPE x histogram\nx_bucket{le="1",a="b\\"c"} 1\nx_bucket{le="+Inf"} 2\nx_sum 3.5e2\nx_count 2\ny NaN\n';
    const key = parseGroupingKey(['job', 'j']);
    let seed = 3;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const deadline = Date.now() + 800;
    let runs = 0;
    while (Date.now() < deadline) {
      const chars = base.split('');
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) chars[Math.floor(rnd() * chars.length)] = '{}",=# \n\\1e'[Math.floor(rnd() * 12)];
      try {
        parsePushBody(chars.join(''), key, 1);
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
      }
      runs++;
    }
    expect(runs).toBeGreaterThan(100);
  });
});
