import { describe, expect, it } from 'vitest';
import { labelsToString, type SampleBatch } from '../model/index.ts';
import { newTimestampedTextState, parseTimestampedText } from './backfill.ts';

function collect(pieces: string[], openMetrics: boolean) {
  const samples: string[] = [];
  const rejected: [number, string][] = [];
  const st = newTimestampedTextState(openMetrics);
  let line = 1;
  const sink = {
    batch(b: SampleBatch) {
      for (let s = 0; s < b.series.length; s++) {
        for (let i = b.offsets[s]; i < b.offsets[s + 1]; i++) samples.push(`${labelsToString(b.series[s])} ${b.values[i]} @${b.timestamps[i]}`);
      }
    },
    rejected(l: number, m: string) {
      rejected.push([l, m]);
    },
  };
  for (const p of pieces) line += parseTimestampedText(p, line, st, sink);
  return { samples, rejected };
}

describe('parseTimestampedText', () => {
  it('reports each bad line by its number in the whole input and keeps every good line around it', () => {
    const text = [
      'a{x="1"} 1 1000', // 1
      'a{x="1" 2 2000', // 2 unterminated label set
      '', // 3
      'a{x="1"} 3 3000', // 4
      'a{x="1"} 4', // 5 no timestamp
      '9bad 1 1000', // 6
      'a{x="1"} 6 6000', // 7
      'a{x="1"} notanumber 7000', // 8
    ].join('\n') + '\n';
    const whole = collect([text], false);
    expect(whole.samples).toEqual(['a{x="1"} 1 @1000', 'a{x="1"} 3 @3000', 'a{x="1"} 6 @6000']);
    expect(whole.rejected.map((r) => r[0])).toEqual([2, 5, 6, 8]);
    expect(whole.rejected[1][1]).toMatch(/without a timestamp/);
    // A parse error names Prometheus' words for the line too.
    expect(whole.rejected[3][1]).toBe('invalid sample value "notanumber" (Prometheus: strconv.ParseFloat: parsing "notanumber": invalid syntax)');
    expect(whole.rejected[0][1]).toBe('expected "," or "}" after the value of label "x", found "2 2000" (Prometheus: expected label name, got "INVALID")');
    // The same input cut into pieces of whole lines gives the same answer.
    const lines = text.split(/(?<=\n)/);
    const pieces = [lines.slice(0, 3).join(''), lines.slice(3, 5).join(''), lines.slice(5).join('')];
    expect(collect(pieces, false)).toEqual(whole);
  });

  it('OpenMetrics across pieces: seconds timestamps, the family type carried over for _created, content after # EOF refused', () => {
    const pieces = [
      '# TYPE req counter\n# HELP req Requests.\nreq_total 1 100.5\n',
      'req_created 90 100\nreq_total 2 101\n',
      '# EOF\nreq_total 3 102\n',
    ];
    const r = collect(pieces, true);
    expect(r.samples).toEqual(['req_total 1 @100500', 'req_total 2 @101000']);
    expect(r.rejected).toEqual([[7, 'content after "# EOF" (ignored)']]);
  });
});
