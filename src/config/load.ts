// Reading a config file: YAML with source positions kept, so that every error names the file,
// line:column and field path (`strata.yml:7:12: storage.retention: invalid duration "7x" ...`).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { resolveAlertmanagerPaths } from './alerting.ts';
import { joinDir } from './paths.ts';
import { defaultConfig, fileSchema, knownKeys, PROMETHEUS_SECTIONS, PROMETHEUS_SECTIONS_USED, PROMETHEUS_STORAGE_FIELDS, type Config } from './schema.ts';
import { resolveScrapeConfigPaths } from './scrape.ts';
import { loadScrapeConfigFiles } from './scrape-files.ts';
import { parseListenAddress } from './units.ts';
import { ConfigError, validateYaml } from './yaml.ts';

export { ConfigError };

// Prometheus sections accepted but unused: never suggested as "did you mean".
const FOREIGN_KEYS: ReadonlySet<string> = new Set([...PROMETHEUS_SECTIONS.filter((k) => !PROMETHEUS_SECTIONS_USED.includes(k)), ...PROMETHEUS_STORAGE_FIELDS]);

export interface LoadedConfig {
  config: Config;
  /** Things a person should know that do not stop the server (e.g. sections not used yet). */
  warnings: string[];
}

/** Reads and validates a config file. Throws ConfigError (also for a missing/unreadable file). */
export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ConfigError([`${file}: cannot read config file: ${why}`]);
  }
  return parseConfig(text, file);
}

/** Validates config text; `name` is how the file is named in errors. */
export function parseConfig(text: string, name: string): LoadedConfig {
  const display = name;
  const { data, raw: top } = validateYaml(text, name, fileSchema, {
    topLevel: 'sections (server, storage, limits, ...)',
    // Suggest the fields in use only: the unused Prometheus sections are accepted but do nothing yet.
    knownKeys: (p) => knownKeys(p).filter((k) => !FOREIGN_KEYS.has(k)),
  });

  const warnings: string[] = [];
  const storage = (top.storage ?? {}) as Record<string, unknown>;
  const present: string[] = [
    ...PROMETHEUS_SECTIONS.filter((k) => k in top && !PROMETHEUS_SECTIONS_USED.includes(k)),
    ...PROMETHEUS_STORAGE_FIELDS.filter((k) => k in storage).map((k) => `storage.${k}`),
  ];
  if (present.length > 0) {
    warnings.push(`${display}: Prometheus sections ${present.join(', ')} are accepted but not used yet (Strata does not remote-write or read remotely yet)`);
  }
  resolveScrapeConfigPaths(data.scrapeConfigs, dirname(name));
  const files = (top.scrape_config_files ?? []) as string[];
  // As Prometheus keeps them: joined with the main file's directory, its jobs kept apart.
  data.scrapeConfigFiles = files.map((f) => joinDir(dirname(name), f));
  data.mainScrapeConfigCount = data.scrapeConfigs.length;
  if (files.length > 0) {
    const taken = new Map(data.scrapeConfigs.map((j, i) => [j.jobName, `${name} scrape_configs[${i}]`]));
    data.scrapeConfigs.push(...loadScrapeConfigFiles(files, dirname(name), top.global, taken));
  }
  resolveAlertingPaths(data, dirname(name));
  return { config: data, warnings };
}

// rule_files (joined as Prometheus joins them) and the notifier's Alertmanager-format file are
// relative to the config file too.
function resolveAlertingPaths(c: Config, dir: string): void {
  c.alerting.ruleFiles = c.alerting.ruleFiles.map((f) => joinDir(dir, f));
  const nf = c.alerting.notifier.configFile;
  c.alerting.notifier.configFile = nf === '' || isAbsolute(nf) ? nf : resolve(dir, nf);
  resolveAlertmanagerPaths(c.alerting.alertmanagers, dir);
}

export interface ConfigOverrides {
  dataDir?: string;
  listen?: string;
}

/** Applies command-line flags over the file (flags win). Throws ConfigError for a bad flag value. */
export function applyOverrides(c: Config, o: ConfigOverrides): Config {
  const out: Config = structuredClone(c);
  if (o.dataDir !== undefined) {
    if (o.dataDir === '') throw new ConfigError(['--data-dir: must not be empty']);
    out.storage.path = o.dataDir;
  }
  if (o.listen !== undefined) {
    if (parseListenAddress(o.listen) === null) {
      throw new ConfigError([`--listen: invalid listen address ${JSON.stringify(o.listen)} (use host:port, e.g. 0.0.0.0:9190, :9190 or [::1]:9190)`]);
    }
    out.server.listen = o.listen;
  }
  return out;
}

/** The config from an optional file plus flags; defaults when there is no file. */
export function resolveConfig(file: string | undefined, o: ConfigOverrides): LoadedConfig {
  const loaded = file === undefined ? { config: defaultConfig(), warnings: [] } : loadConfigFile(file);
  return { config: applyOverrides(loaded.config, o), warnings: loaded.warnings };
}
