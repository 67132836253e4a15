import { describe, expect, it } from 'vitest';
import { alertFingerprint } from './alerts.ts';
import { createInhibitor } from './inhibit.ts';
import { parseMatchers } from './matchers.ts';
import type { Alert } from './types.ts';

const alert = (labels: Record<string, string>, endsAt = 1000): Alert => ({ labels, annotations: {}, startsAt: 0, endsAt, generatorURL: '', updatedAt: 0, timeout: false });
const rule = (source: string, target: string, equal: string[]) => ({ sourceMatchers: parseMatchers(source), targetMatchers: parseMatchers(target), equal });

describe('inhibitor', () => {
  it('counts an equal label missing on both sides as equal, and one missing on one side as different', () => {
    const ih = createInhibitor([rule('severity=critical', 'severity=warning', ['cluster'])]);
    const src = alert({ alertname: 'Down', severity: 'critical' });
    ih.observe([src]);
    expect(ih.inhibitedBy({ alertname: 'Slow', severity: 'warning' }, 10)).toBe(alertFingerprint(src));
    expect(ih.inhibitedBy({ alertname: 'Slow', severity: 'warning', cluster: 'eu' }, 10)).toBeUndefined();
  });

  it('ignores resolved sources and forgets collected ones', () => {
    const ih = createInhibitor([rule('severity=critical', 'severity=warning', [])]);
    const src = alert({ alertname: 'Down', severity: 'critical' }, 100);
    ih.observe([src]);
    expect(ih.inhibitedBy({ severity: 'warning' }, 99)).toBe(alertFingerprint(src));
    expect(ih.inhibitedBy({ severity: 'warning' }, 100)).toBeUndefined();
    ih.forget([alertFingerprint(src)]);
    expect(ih.inhibitedBy({ severity: 'warning' }, 99)).toBeUndefined();
  });

  it('applies each rule on its own', () => {
    const ih = createInhibitor([rule('a=1', 'b=1', ['x']), rule('a=2', 'b=2', [])]);
    ih.observe([alert({ a: '2', x: 'q' })]);
    expect(ih.inhibitedBy({ b: '1', x: 'q' }, 0)).toBeUndefined();
    expect(ih.inhibitedBy({ b: '2', x: 'other' }, 0)).toBeDefined();
  });
});
