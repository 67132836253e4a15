// metric_name_validation_scheme and metric_name_escaping_scheme, global and per job, as Prometheus 3
// reads and fills them in (config/config.go ScrapeConfig.Validate). Prometheus 2.42 refuses both
// fields, so nothing here is compared with it.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './index.ts';

function jobs(text: string) {
  return parseConfig(text, 'prometheus.yml').config.scrapeConfigs.map((j) => [j.jobName, j.metricNameValidationScheme, j.metricNameEscapingScheme]);
}

function problems(text: string): string[] {
  try {
    parseConfig(text, 'prometheus.yml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('name validation and escaping schemes', () => {
  it('defaults to utf8 / allow-utf-8, inherits from global, and derives escaping from a job\'s validation', () => {
    expect(jobs('scrape_configs: [{job_name: a}]')).toEqual([['a', 'utf8', 'allow-utf-8']]);
    expect(jobs([
      'global: {metric_name_validation_scheme: legacy}',
      'scrape_configs:',
      '- {job_name: inherits}',
      '- {job_name: own, metric_name_validation_scheme: utf8}',
    ].join('\n'))).toEqual([['inherits', 'legacy', 'underscores'], ['own', 'utf8', 'allow-utf-8']]);
    expect(jobs([
      'global: {metric_name_escaping_scheme: dots}',
      'scrape_configs:',
      '- {job_name: inherits}',
      // A job that sets its validation scheme does not take the global escaping scheme.
      '- {job_name: legacy, metric_name_validation_scheme: legacy}',
      '- {job_name: values, metric_name_escaping_scheme: values}',
    ].join('\n'))).toEqual([['inherits', 'utf8', 'dots'], ['legacy', 'legacy', 'underscores'], ['values', 'utf8', 'values']]);
  });

  it('refuses unknown values and allow-utf-8 with legacy validation', () => {
    expect(problems('global: {metric_name_validation_scheme: ascii}').join('\n')).toMatch(/metric_name_validation_scheme: expected one of utf8, legacy, got "ascii"/);
    expect(problems('scrape_configs: [{job_name: a, metric_name_escaping_scheme: x}]').join('\n')).toMatch(/metric_name_escaping_scheme: expected one of allow-utf-8, underscores, dots, values/);
    expect(problems('scrape_configs: [{job_name: a, metric_name_validation_scheme: legacy, metric_name_escaping_scheme: allow-utf-8}]').join('\n'))
      .toMatch(/metric_name_escaping_scheme: metric_name_escaping_scheme allow-utf-8 asks targets for UTF-8 names, but metric_name_validation_scheme is legacy/);
    expect(problems('global: {metric_name_validation_scheme: legacy, metric_name_escaping_scheme: allow-utf-8}\nscrape_configs: [{job_name: a}]').length).toBe(1);
  });
});

describe('UTF-8 label names in the config', () => {
  it('takes them in external_labels and static_configs labels, as Prometheus 3 does (2.42 refused them)', () => {
    const c = parseConfig([
      'global: {external_labels: {"k8s.cluster": eu-1}}',
      'scrape_configs: [{job_name: a, static_configs: [{targets: ["h:1"], labels: {"service.name": api}}]}]',
    ].join('\n'), 'prometheus.yml').config;
    expect(c.global.externalLabels).toEqual({ 'k8s.cluster': 'eu-1' });
    expect(c.scrapeConfigs[0].staticConfigs[0].labels).toEqual({ 'service.name': 'api' });
  });
});
