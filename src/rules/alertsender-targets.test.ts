// Alertmanager URLs from discovered targets, as Prometheus' notifier builds them with Go's path and
// url packages.
import { describe, expect, it } from 'vitest';
import { relabelRule } from '../config/index.ts';
import { compileRelabelRules } from '../ingest/index.ts';
import { alertmanagerURL, alertmanagersFromGroup, alertsPath } from './alertsender-targets.ts';

describe('alertsPath', () => {
  it('is path.Join("/", prefix, "/api/v2/alerts"): leading slash added, the path cleaned', () => {
    expect(alertsPath('')).toBe('/api/v2/alerts');
    expect(alertsPath('/')).toBe('/api/v2/alerts');
    expect(alertsPath('1am')).toBe('/1am/api/v2/alerts');
    expect(alertsPath('/am/')).toBe('/am/api/v2/alerts');
    expect(alertsPath('a//b/./c')).toBe('/a/b/c/api/v2/alerts');
    // ".." cannot climb above the root.
    expect(alertsPath('../../x')).toBe('/x/api/v2/alerts');
  });
});

describe('alertmanagerURL', () => {
  it('writes scheme://host/path as Go\'s url.URL.String(), escaping the path', () => {
    expect(alertmanagerURL({ __scheme__: 'https', __address__: '[::1]:9093', __alerts_path__: '/api/v2/alerts' })).toBe('https://[::1]:9093/api/v2/alerts');
    expect(alertmanagerURL({ __scheme__: 'http', __address__: 'am', __alerts_path__: '/a b/ü?x' })).toBe('http://am/a%20b/%C3%BC%3Fx');
    // A relabelled path without a leading slash gets one after the host.
    expect(alertmanagerURL({ __scheme__: 'http', __address__: 'am:1', __alerts_path__: 'x/alerts' })).toBe('http://am:1/x/alerts');
    expect(alertmanagerURL({ __address__: 'am:1', __alerts_path__: '/p' })).toBe('//am:1/p');
  });
});

describe('alertmanagersFromGroup', () => {
  const cfg = { scheme: 'http', pathPrefix: '/am' };

  it('gives a target its own labels over its group\'s, and the config\'s scheme and path over the target\'s own', () => {
    const { active } = alertmanagersFromGroup({
      source: 's', targets: [{ __address__: 'a:1', dc: 'mine', __scheme__: 'https', __alerts_path__: '/own' }], labels: { dc: 'group', team: 't' },
    }, cfg, []);
    expect(active).toEqual([{
      url: 'http://a:1/am/api/v2/alerts',
      labels: { __address__: 'a:1', __alerts_path__: '/am/api/v2/alerts', __scheme__: 'http', dc: 'mine', team: 't' },
    }]);
  });

  it('keeps the labels from before relabelling for a dropped target', () => {
    const rules = compileRelabelRules([
      relabelRule({ sourceLabels: ['__address__'], regex: 'b:.*', action: 'drop' }),
      relabelRule({ targetLabel: '__alerts_path__', replacement: '/x' }),
    ]);
    const r = alertmanagersFromGroup({ source: 's', targets: [{ __address__: 'a:1' }, { __address__: 'b:1' }], labels: {} }, cfg, rules);
    expect(r.active.map((a) => a.url)).toEqual(['http://a:1/x']);
    expect(r.dropped.map((a) => a.url)).toEqual(['http://b:1/am/api/v2/alerts']);
  });
});
