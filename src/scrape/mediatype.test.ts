// Go's mime.ParseMediaType as Prometheus picks a scrape's parser by it; the OpenMetrics cases
// were checked against Prometheus 2.42 (test/scrape-openmetrics.test.ts compares them live).
import { describe, expect, it } from 'vitest';
import { goMediaType } from './mediatype.ts';

describe('goMediaType', () => {
  it.each([
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'application/openmetrics-text'],
    ['Application/OpenMetrics-Text', 'application/openmetrics-text'],
    [' application/openmetrics-text ', 'application/openmetrics-text'],
    ['application/openmetrics-text; version=2.0.0', 'application/openmetrics-text'],
    ['application/openmetrics-text;', 'application/openmetrics-text'],
    ['application/openmetrics-text; a="x;y\\"z"', 'application/openmetrics-text'],
    ['text/plain;version=0.0.4', 'text/plain'],
    ['application/openmetrics-text-x', 'application/openmetrics-text-x'],
    ['text', 'text'],
  ])('%j is %j', (header, type) => {
    expect(goMediaType(header)).toBe(type);
  });

  it.each([
    'application/openmetrics-text; version',
    'application/openmetrics-text;;',
    'application/openmetrics-text; a=1; A=2',
    'application/openmetrics-text; a="x',
    'application/openmetrics-text/x',
    'application/',
    '',
    '/plain',
  ])('refuses %j', (header) => {
    expect(goMediaType(header)).toBeNull();
  });
});
