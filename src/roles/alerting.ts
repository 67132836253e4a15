// The server's rule evaluation and alert delivery: the rule manager over the open DB, the alerts it
// produces handed to the external Alertmanagers of prometheus.yml's `alerting` section and to the
// built-in notifier (when one is given). Kept apart from server.ts so the server role reads as the
// start/stop order it is.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, type Config } from '../config/index.ts';
import type { Engine } from '../promql/index.ts';
import { AlertSender, engineQueryFunc, readRuleFiles, RuleFileError, RuleManager, ruleTemplates, type OutgoingAlert } from '../rules/index.ts';
import type { DB } from '../tsdb/index.ts';

export interface RuleEvaluation {
  readonly manager: RuleManager;
  readonly sender: AlertSender;
  /** Applies a reloaded config; throws ConfigError when a rule file is invalid (the old rules stay). */
  reload(next: Config): Promise<void>;
  stop(): Promise<void>;
}

export interface RuleEvaluationOptions {
  config: Config;
  db: DB;
  engine: Engine;
  logger: Logger;
  /** This server's URL as people reach it: alerts' generatorURL and templates' $externalURL. */
  externalURL: string;
  /** Receives every alert the rules send (the built-in notifier). */
  onAlerts?: (alerts: OutgoingAlert[]) => void;
  /** Where the alert sender's prometheus_notifications_* metrics go (the server's /metrics). */
  registry?: Registry;
}

/** Checks the config's rule files without running them; throws ConfigError listing every problem. */
export function checkRuleFiles(config: Config, externalURL = ''): void {
  const { check } = ruleTemplates({ query: async () => [], externalURL, externalLabels: config.global.externalLabels });
  try {
    readRuleFiles({ ruleFiles: config.alerting.ruleFiles, baseDir: '' }, check);
  } catch (e) {
    if (e instanceof RuleFileError) throw new ConfigError(e.problems);
    throw e;
  }
}

export async function startRuleEvaluation(o: RuleEvaluationOptions): Promise<RuleEvaluation> {
  const log = o.logger.child({ component: 'rules' });
  const query = engineQueryFunc(o.engine, () => o.db.querier());
  let templates = ruleTemplates({ query, externalURL: o.externalURL, externalLabels: o.config.global.externalLabels });
  const sender = new AlertSender(o.config.alerting, o.config.global.externalLabels, o.logger.child({ component: 'alertsender' }), {}, o.registry);
  const r = o.config.alerting.rules;
  const manager = new RuleManager({
    appendable: o.db,
    querier: () => o.db.querier(),
    query,
    // The templates change with a reload (external labels); groups call through this indirection.
    expand: (text, data, ts, rule) => templates.expand(text, data, ts, rule),
    checkTemplate: (text, what) => templates.check(text, what),
    notify: (alerts) => {
      sender.send(alerts);
      o.onAlerts?.(alerts);
    },
    logger: log,
    externalURL: o.externalURL,
    resendDelayMs: r.resendDelayMs,
    outageToleranceMs: r.forOutageToleranceMs,
    forGracePeriodMs: r.forGracePeriodMs,
    now: Date.now,
  });
  const settings = (c: Config) => ({ ruleFiles: c.alerting.ruleFiles, baseDir: '', evaluationIntervalMs: c.global.evaluationIntervalMs, queryOffsetMs: c.global.ruleQueryOffsetMs });
  const load = async (c: Config) => {
    try {
      await manager.load(settings(c));
    } catch (e) {
      if (e instanceof RuleFileError) throw new ConfigError(e.problems);
      throw e;
    }
  };
  await load(o.config);
  manager.start();
  log.info({ groups: manager.groups().length, rules: manager.groups().reduce((n, g) => n + g.rules.length, 0) }, 'rules loaded');
  return {
    manager,
    sender,
    async reload(next) {
      await load(next);
      templates = ruleTemplates({ query, externalURL: o.externalURL, externalLabels: next.global.externalLabels });
      sender.update(next.alerting, next.global.externalLabels);
    },
    async stop() {
      await manager.stop();
      sender.stop();
      await sender.flush();
    },
  };
}
