// The configuration: file schema, loading with positioned errors, command-line overrides, units.
export { ConfigError, applyOverrides, loadConfigFile, parseConfig, resolveConfig } from './load.ts';
export type { ConfigOverrides, LoadedConfig } from './load.ts';
export { fieldPath, schemaKeys, suggest, validateYaml } from './yaml.ts';
export type { YamlValidation, YamlValidationOptions } from './yaml.ts';
export { DEFAULT_AGENT_LISTEN, DEFAULT_LISTEN, HOST_COLLECTORS, LOG_LEVELS, PROMETHEUS_SECTIONS, defaultConfig, summarizeConfig } from './schema.ts';
export type { AgentConfig, Config, LogLevel } from './schema.ts';
export {
  formatDuration, formatListenAddress, formatSize, parseDuration, parseListenAddress, parseSize,
} from './units.ts';
export type { ListenAddress } from './units.ts';
export { SECRET, base2Bytes, configToYaml } from './print.ts';
export { DEFAULT_RELABEL_RULE, RELABEL_ACTIONS, checkRelabelRule, relabelRule } from './relabel.ts';
export type { RelabelAction, RelabelRule } from './relabel.ts';
export { DEFAULT_GLOBAL, SCRAPE_PROTOCOLS, defaultScrapeConfig } from './scrape.ts';
export type { AlertingConfig, AlertmanagerConfig } from './alerting.ts';
export type { DnsSdConfig, DnsSdType, GlobalConfig, HttpClientConfig, HttpHeader, HttpSdConfig, OAuth2Config, ScrapeConfig, ScrapeProtocol, StaticConfig, TLSConfig } from './scrape.ts';
export { describe } from './fields.ts';
