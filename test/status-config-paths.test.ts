// /api/v1/status/config side by side with Prometheus 2.42 for what depends on how the config file
// was named and on empty relabelling fields: both started from the same working directory on the
// same relative --config.file, so the file names they joined with its directory (rule_files,
// file_sd, an Alertmanager's file_sd, TLS files) must print the same, relative as written; an empty
// relabelling separator and replacement are left out and an empty regex is null; strings are
// quoted as go-yaml quotes them (double for what would read as another type, single for what
// cannot be plain), compared as text. And
// scrape_config_files, which 2.42 refuses (it came in 2.43): Strata prints it as Prometheus 3
// does, checked in src/config/print.test.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PROMETHEUS_BIN, prometheusForComparison } from './helpers/prometheus.ts';
import { getJson, REPO, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const PROMETHEUS_YML = `
global:
  external_labels: {a: "on", b: "1", c: "a: b", d: " x", e: "#x", f: "", g: "it's", h: "2001-12-14", i: "1:20", j: "-x", k: "- x", l: "*x", m: "x\\ty", n: "<<", o: "é", p: "@"}
rule_files:
  - rules/*.yml
  - ../elsewhere/../up*.yml
  - ./here*.yml
  - /abs/rules*.yml
alerting:
  alertmanagers:
    - file_sd_configs:
        - files: [am/*.json, ../am.json]
scrape_configs:
  - job_name: paths
    tls_config: {ca_file: certs/ca.pem}
    file_sd_configs:
      - files: [targets/*.yml, ../t.json]
    relabel_configs:
      - source_labels: [a, b]
        separator: ""
        target_label: c
      - source_labels: [a]
        replacement: ""
        target_label: d
      - source_labels: [a]
        regex: ""
        target_label: e
      - source_labels: [a]
        separator: ","
        target_label: f
`;

const STRATA_YML = 'self_monitoring: { enabled: false }\n';

const PROMTOOL = '/usr/bin/promtool';

let skip: string | null = null;
let dir: string;
let relConfig: string;
let strata: StrataProcess | undefined;
let prom: ChildProcess | undefined;
let promUrl = '';

beforeAll(async () => {
  dir = tempDir('strata-status-config-paths-');
  fs.mkdirSync(path.join(dir, 'conf'));
  fs.mkdirSync(path.join(dir, 'conf', 'rules'));
  fs.writeFileSync(path.join(dir, 'conf', 'rules', 'a.yml'), 'groups: [{name: g, rules: [{record: r, expr: vector(1)}]}]\n');
  fs.writeFileSync(path.join(dir, 'conf', 'prometheus.yml'), PROMETHEUS_YML);
  fs.writeFileSync(path.join(dir, 'conf', 'strata.yml'), PROMETHEUS_YML + STRATA_YML);
  // The Strata server runs in the repository: both are given the files relative to it.
  relConfig = path.relative(REPO, path.join(dir, 'conf'));
  strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(relConfig, 'strata.yml')] });
  skip = await prometheusForComparison('the relative --config.file comparison with Prometheus');
  if (skip !== null) return;
  const port = await freePort();
  prom = spawn(PROMETHEUS_BIN, [
    `--config.file=${path.join(relConfig, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { cwd: REPO, stdio: ['ignore', 'ignore', 'ignore'] });
  promUrl = `http://127.0.0.1:${port}`;
  await until('Prometheus to be ready', async () => {
    try {
      return (await fetch(`${promUrl}/-/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 30_000);
}, 120_000);

afterAll(async () => {
  await strata?.stop();
  if (prom !== undefined && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('/api/v1/status/config with a relative --config.file, side by side with Prometheus', () => {
  it('prints the joined file names and the relabelling as Prometheus does', async () => {
    const ours = parseYaml((await getJson(`${strata!.url}/api/v1/status/config`)).body.data.yaml);
    // What Go's filepath.Join makes of them: relative to the working directory, cleaned.
    const conf = relConfig;
    expect(ours.rule_files).toEqual([`${conf}/rules/*.yml`, path.normalize(`${conf}/../up*.yml`), `${conf}/here*.yml`, '/abs/rules*.yml']);
    expect(ours.scrape_configs[0].file_sd_configs[0].files).toEqual([`${conf}/targets/*.yml`, path.normalize(`${conf}/../t.json`)]);
    expect(ours.scrape_configs[0].tls_config.ca_file).toBe(`${conf}/certs/ca.pem`);
    if (skip !== null) return;
    const theirs = parseYaml((await getJson(`${promUrl}/api/v1/status/config`)).body.data.yaml);
    expect(ours.rule_files).toEqual(theirs.rule_files);
    expect(ours.alerting.alertmanagers[0].file_sd_configs).toEqual(theirs.alerting.alertmanagers[0].file_sd_configs);
    const job = (c: { scrape_configs: Record<string, unknown>[] }) => {
      const { file_sd_configs, tls_config, relabel_configs } = c.scrape_configs[0];
      return { file_sd_configs, tls_config, relabel_configs };
    };
    expect(job(ours)).toEqual(job(theirs));
  });

  it('names a rule group\'s file in /api/v1/rules as Prometheus does: as the joined pattern found it', async () => {
    const files = async (u: string) => ((await getJson(`${u}/api/v1/rules`)).body.data.groups as { file: string }[]).map((g) => g.file);
    expect(await files(strata!.url)).toEqual([`${relConfig}/rules/a.yml`]);
    if (skip !== null) return;
    expect(await files(promUrl)).toEqual([`${relConfig}/rules/a.yml`]);
  });

  it('quotes strings as Prometheus (go-yaml) does, word for word', async () => {
    if (skip !== null) return;
    const [ours, theirs] = await Promise.all([strata!.url, promUrl].map(async (u) => (await getJson(`${u}/api/v1/status/config`)).body.data.yaml as string));
    // The global section, and the relabelling (whose `','` separator is single-quoted).
    const block = (yaml: string, from: string, to: string) => yaml.slice(yaml.indexOf(from), yaml.indexOf(to, yaml.indexOf(from)));
    expect(block(ours, 'global:', '\nalerting:')).toBe(block(theirs, 'global:', '\nalerting:'));
    expect(block(ours, '  relabel_configs:', '\n  file_sd_configs:')).toBe(block(theirs, '  relabel_configs:', '\n  file_sd_configs:'));
    expect(ours).toContain("    separator: ','\n");
  });

  it('records that Prometheus 2.42 has no scrape_config_files (Strata prints it as 3 does)', async () => {
    if (skip !== null || !fs.existsSync(PROMTOOL)) return;
    const file = path.join(dir, 'scf.yml');
    fs.writeFileSync(file, 'scrape_config_files: [conf.d/*.yml]\n');
    const r = await promisify(execFile)(PROMTOOL, ['check', 'config', file]).then(() => null, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
    expect(r).toContain('field scrape_config_files not found in type config.plain');
  });
});
