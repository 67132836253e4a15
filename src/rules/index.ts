// Recording and alerting rules: rule files, groups on a schedule, alert state, rule unit tests.
export { parseRuleFile, loadRuleFile, RuleFileError } from './file.ts';
export type { RuleGroupDef, RuleDef, RecordingRuleDef, AlertingRuleDef, TemplateCheck } from './file.ts';
export { AlertingRule, ALERTS_METRIC, ALERTS_FOR_STATE_METRIC, RESOLVED_RETENTION_MS } from './alerting.ts';
export type { ActiveAlert, AlertState } from './alerting.ts';
export { RecordingRule } from './recording.ts';
export { Group } from './group.ts';
export type { GroupDeps, OutgoingAlert, Rule, RuleHealth, RuleStatus } from './group.ts';
export { RuleManager, readRuleFiles } from './manager.ts';
export type { RuleManagerOptions, RuleSettings } from './manager.ts';
export { engineQueryFunc } from './query.ts';
export type { AlertTemplateData, ExpandFunc, InstantSample, QueryFunc, RuleContext } from './types.ts';
export { AlertSender, relabelAlert } from './alertsender.ts';
export type { AlertmanagerList, AlertSenderConfig, AlertSenderStats } from './alertsender.ts';
export type { AlertmanagerEndpoint } from './alertsender-targets.ts';
export { ruleTemplates } from './templates.ts';
export type { RuleTemplateOptions } from './templates.ts';
export { runRuleTestFile } from './unittest.ts';
export type { RuleTestReport } from './unittest.ts';
