// `strata test rules`, `strata check rules` and `strata check config` on our own promtool-format
// files, side by side with Debian's promtool: both must pass the passing file and fail the failing
// one, and ours must say what differs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runStrataCommand, tempDir } from './helpers/server.ts';

const DIR = path.join(REPO, 'test/ruletests');
const PROMTOOL = '/usr/bin/promtool';

function promtool(args: string[]): number {
  try {
    execFileSync(PROMTOOL, args, { cwd: DIR, stdio: 'pipe' });
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

describe('strata test rules', () => {
  it('passes the passing file, as promtool does', async () => {
    const r = await runStrataCommand(['test', 'rules', path.join(DIR, 'passing.yml')]);
    expect(r.stdout).toBe(`Unit Testing:  ${path.join(DIR, 'passing.yml')}\n  SUCCESS\n\n`);
    expect(r.code).toBe(0);
    expect(fs.existsSync(PROMTOOL), 'promtool (Debian package prometheus) is needed for the side-by-side check').toBe(true);
    expect(promtool(['test', 'rules', 'passing.yml'])).toBe(0);
  });

  it('fails the failing file with a readable expected/got diff, as promtool does', async () => {
    const r = await runStrataCommand(['test', 'rules', path.join(DIR, 'failing.yml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  FAILED:\n    wrong labels: alertname: InstanceDown, time: 5m,');
    expect(r.stdout).toContain('Labels:{alertname="InstanceDown", instance="a:9100", job="node", severity="ticket"}');
    expect(r.stdout).toContain('Labels:{alertname="InstanceDown", instance="a:9100", job="node", severity="page"}');
    expect(r.stdout).toContain('wrong value: expr: "job:requests:rate1m", time: 5m,');
    expect(r.stdout).toMatch(/exp: \n\s+job:requests:rate1m\{job="api"\} 2\n[\s\S]*got: \n\s+job:requests:rate1m\{job="api"\} 1\n/);
    expect(promtool(['test', 'rules', 'failing.yml'])).toBe(1);
  });

  it('reports a broken test file instead of passing it', async () => {
    const dir = tempDir('strata-ruletest-');
    try {
      fs.writeFileSync(path.join(dir, 't.yml'), 'rule_files: [missing.yml]\ntests:\n  - input_series: []\n');
      const r = await runStrataCommand(['test', 'rules', path.join(dir, 't.yml')]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/missing\.yml: cannot read rule file: no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('strata check', () => {
  it('checks rule files and names every problem', async () => {
    const dir = tempDir('strata-check-');
    try {
      const bad = path.join(dir, 'bad.yml');
      fs.writeFileSync(bad, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n        annotations: { s: "{{ .Unclosed" }\n');
      const ok = await runStrataCommand(['check', 'rules', path.join(DIR, 'rules.yml')]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe(`Checking ${path.join(DIR, 'rules.yml')}\n  SUCCESS: 3 rules found\n\n`);
      const r = await runStrataCommand(['check', 'rules', bad]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`${bad}:5:15: group "g", rule 1 (alert "A"): expr: `);
      expect(r.stdout).toMatch(/bad\.yml:6:\d+: group "g", rule 1 \(alert "A"\): annotations\.s: invalid template: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks a config with the rule files and notifier config it names', async () => {
    const dir = tempDir('strata-check-');
    try {
      fs.copyFileSync(path.join(DIR, 'rules.yml'), path.join(dir, 'rules.yml'));
      fs.writeFileSync(path.join(dir, 'am.yml'), 'route: { receiver: x }\nreceivers: [{ name: x }]\n');
      fs.writeFileSync(path.join(dir, 'strata.yml'), 'rule_files: [rules.yml]\nnotifier: { config_file: am.yml }\n');
      const ok = await runStrataCommand(['check', 'config', path.join(dir, 'strata.yml')]);
      expect(ok.stdout).toContain('  SUCCESS: 1 rule files found');
      expect(ok.code).toBe(0);
      fs.writeFileSync(path.join(dir, 'am.yml'), 'route: { receiver: nobody }\nreceivers: [{ name: x }]\n');
      const bad = await runStrataCommand(['check', 'config', path.join(dir, 'strata.yml')]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/FAILED:\n.*am\.yml:1:\d+: .*nobody/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
