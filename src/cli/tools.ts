// promtool's checks and rule unit tests as strata commands, with promtool's output shape
// ("Checking FILE" / "  SUCCESS: ..." / "  FAILED:"), so CI scripts that grep it keep working.
import { ConfigError, loadConfigFile } from '../config/index.ts';
import { loadRuleFile, RuleFileError, ruleTemplates, runRuleTestFile } from '../rules/index.ts';
import { checkRuleFiles } from '../roles/alerting.ts';
import { notifierConfigOf } from '../roles/notifier.ts';

type Out = (s: string) => void;

/** `strata test rules FILE...`: 0 when every test passes, 1 otherwise. */
export async function testRules(files: string[], out: Out): Promise<number> {
  let failed = false;
  for (const f of files) {
    out(`Unit Testing:  ${f}\n`);
    const r = await runRuleTestFile(f);
    if (r.failures.length === 0) {
      out('  SUCCESS\n\n');
      continue;
    }
    failed = true;
    out(`  FAILED:\n${r.failures.map((x) => `    ${x}`).join('\n')}\n\n`);
  }
  return failed ? 1 : 0;
}

/** `strata check rules FILE...`. */
export function checkRules(files: string[], out: Out): number {
  const { check } = ruleTemplates({ query: async () => [], externalURL: '', externalLabels: {} });
  let failed = false;
  for (const f of files) {
    out(`Checking ${f}\n`);
    try {
      const groups = loadRuleFile(f, check);
      out(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found\n\n`);
    } catch (e) {
      if (!(e instanceof RuleFileError)) throw e;
      failed = true;
      out(`  FAILED:\n${e.problems.map((p) => `${p}\n`).join('')}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** `strata check config FILE`: the file, the rule files it names and the notifier's config. */
export function checkConfig(file: string, out: Out): number {
  out(`Checking ${file}\n`);
  try {
    const { config, warnings } = loadConfigFile(file);
    for (const w of warnings) out(`  WARNING: ${w}\n`);
    checkRuleFiles(config);
    if (config.alerting.notifier.enabled) notifierConfigOf(config);
    out(`  SUCCESS: ${config.alerting.ruleFiles.length} rule files found\n`);
    if (config.alerting.notifier.configFile !== '') out(`  SUCCESS: notifier config ${config.alerting.notifier.configFile}\n`);
    out('\n');
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    out(`  FAILED:\n${e.problems.map((p) => `${p}\n`).join('')}\n`);
    return 1;
  }
}
