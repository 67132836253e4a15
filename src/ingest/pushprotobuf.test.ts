import { describe, expect, it } from 'vitest';
import { labelsToString } from '../model/index.ts';
import { parsePushProtobuf } from './pushprotobuf.ts';

// Hand-made messages (field key bytes: name 0x0a, type 0x18, metric 0x22; in Metric: label 0x0a,
// gauge 0x12, histogram 0x3a; value 0x09 + 8 bytes little-endian).
const str = (key: number, s: string) => [key, s.length, ...Buffer.from(s)];
const msg = (key: number, body: number[]) => [key, body.length, ...body];
const double = (key: number, v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [key, ...b];
};
const delimited = (...families: number[][]) => Uint8Array.from(families.flatMap((f) => [f.length, ...f]));

describe('delimited protobuf push', () => {
  it('reads gauges with labels and histograms, adding the implicit +Inf bucket', () => {
    const gauge = [...str(0x0a, 'g'), 0x18, 1, ...msg(0x22, [...msg(0x0a, [...str(0x0a, 'a'), ...str(0x12, 'x')]), ...msg(0x12, double(0x09, 2.5))])];
    const hist = [...str(0x0a, 'h'), 0x18, 4, ...msg(0x22, msg(0x3a, [0x08, 3, ...double(0x11, 4), ...msg(0x1a, [0x08, 2, ...double(0x11, 0.5)])]))];
    const p = parsePushProtobuf(delimited(gauge, hist));
    expect(p.batch.series.map(labelsToString)).toEqual(['g{a="x"}', 'h_bucket{le="0.5"}', 'h_bucket{le="+Inf"}', 'h_sum', 'h_count']);
    expect([...p.batch.values]).toEqual([2.5, 2, 3, 4, 3]);
    expect(p.batch.timestamps.every((t) => Number.isNaN(t))).toBe(true);
    expect(p.metadata.map((m) => `${m.family}:${m.type}`)).toEqual(['g:gauge', 'h:histogram']);
  });

  it('refuses gauge histograms, unknown types and malformed bytes with 400', () => {
    expect(() => parsePushProtobuf(delimited([...str(0x0a, 'g'), 0x18, 5, ...msg(0x22, [])]))).toThrow(/gauge histograms are not supported/);
    expect(() => parsePushProtobuf(delimited([...str(0x0a, 'g'), 0x18, 9, ...msg(0x22, [])]))).toThrow(/unknown metric type 9/);
    expect(() => parsePushProtobuf(Uint8Array.from([0x05, 0x0a]))).toThrow(/malformed protobuf push: length 5 past the end/);
    expect(() => parsePushProtobuf(delimited([0x18, 1, ...msg(0x22, msg(0x12, double(0x09, 1)))]))).toThrow(/without a name/);
  });
});
