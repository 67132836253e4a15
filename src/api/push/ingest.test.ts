// The 400 a push in the text format gets for a malformed body (Pushgateway, /api/v1/import/prometheus).
import { describe, expect, it } from 'vitest';
import { IngestError, parseExposition } from '../../ingest/index.ts';
import type { WriteDeps } from '../write.ts';
import { failedOutcome } from './ingest.ts';

const deps = { metrics: { writeRejected: { inc: () => {} } } } as unknown as WriteDeps;

function refusal(text: string, openMetrics = false): string {
  try {
    parseExposition(text, { defaultTimestamp: 0, openMetrics });
  } catch (e) {
    const o = failedOutcome(e, deps, 'pushgateway', 0);
    expect(o.status).toBe(400);
    return o.message;
  }
  throw new Error('parsed');
}

describe('failedOutcome of a text-format parse error', () => {
  it('says where and what, then what Prometheus says about the same input', () => {
    expect(refusal('a 1\nb is\n')).toBe('line 2: invalid sample value "is" (Prometheus: strconv.ParseFloat: parsing "is": invalid syntax)');
    expect(refusal('a{b="1",b="2"} 1\n')).toBe('line 1: duplicate label name "b" in a{b="1", b="2"} (Prometheus: label name "b" is not unique: invalid sample)');
    expect(refusal('# TYPE a gauge\n# TYPE a gauge\n')).toBe('line 2: second TYPE line for metric a (Prometheus: second TYPE line for metric name "a", or TYPE reported after samples)');
  });

  it('adds nothing when there is nothing else to say', () => {
    expect(refusal('a 1 soon\n# EOF\n', true)).toBe('line 1: invalid timestamp "soon"; expected seconds since the epoch');
    expect(failedOutcome(new IngestError(400, 'bad_thing', 'bad thing'), deps, 'pushgateway', 0).message).toBe('bad thing');
  });
});
