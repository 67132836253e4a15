// The start of a test that compares the rules' alert sender with Prometheus': the same
// prometheus.yml (alerting, rule_files) for both, Strata with its notifier off and the sender's
// resend delay at 1 s as Prometheus' --rules.alert.resend-delay; Prometheus skipped (failing under
// CI) when it is not installed. Both read the files in `dir`, so relative paths name the same files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from './prometheus.ts';
import { startStrata, type StrataProcess } from './server.ts';

export interface SenderSideBySide {
  strata: StrataProcess;
  /** null when Prometheus is not there (`skip` says why). */
  prom: PrometheusProcess | null;
  skip: string | null;
}

export async function startSenderSideBySide(dir: string, prometheusYml: string): Promise<SenderSideBySide> {
  fs.writeFileSync(path.join(dir, 'strata.yml'), `${prometheusYml}
rules: { resend_delay: 1s }
notifier: { enabled: false }
self_monitoring: { enabled: false }
`);
  const strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
  const skip = await prometheusForComparison('the Prometheus comparison');
  if (skip) return { strata, prom: null, skip };
  const prom = await startPrometheus(dir, 30_000, prometheusYml, ['--rules.alert.resend-delay=1s']);
  return { strata, prom, skip };
}
