// scrape_config_files (Prometheus 2.43+): globs of files that each hold a `scrape_configs` list,
// read after the main file and appended to its jobs. The jobs inherit the main file's `global`,
// their file names are relative to the file that holds them, and every problem names that file,
// line and field, as for the main file. A pattern that matches nothing is not an error (a conf.d
// directory may be empty).
import { globSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { section } from './fields.ts';
import { joinDir } from './paths.ts';
import {
  checkScrapeConfigs, globalSchema, resolveScrapeConfigPaths, resolveScrapeConfigs, scrapeConfigsSchema, type ScrapeConfig,
} from './scrape.ts';
import { ConfigError, validateYaml } from './yaml.ts';

/** The value of scrape_config_files: a list of file globs. */
export const scrapeConfigFilesSchema = z.unknown().optional().transform((v, ctx) => {
  if (v === undefined || v === null) return [] as string[];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    ctx.addIssue({ code: 'custom', message: 'expected a list of file names or globs (e.g. [conf.d/*.yml])' });
    return z.NEVER;
  }
  return v as string[];
});

/**
 * Reads the files `patterns` match (relative to `dir`, the main file's directory) and returns their
 * jobs resolved against `rawGlobal` (the main file's `global` as written). `taken` holds the job
 * names defined so far and where; a name defined twice is an error naming both places.
 */
export function loadScrapeConfigFiles(patterns: readonly string[], dir: string, rawGlobal: unknown, taken: Map<string, string>): ScrapeConfig[] {
  const global = globalSchema.parse(rawGlobal);
  const problems: string[] = [];
  const out: ScrapeConfig[] = [];
  const files = new Set<string>();
  for (const p of patterns) {
    for (const f of globSync(joinDir(dir, p)).map(String).sort()) files.add(f);
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`${file}: cannot read scrape config file (scrape_config_files): ${(e as Error).message}`);
      continue;
    }
    const schema = section({ scrape_configs: scrapeConfigsSchema }).superRefine((f, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      checkScrapeConfigs(global, f.scrape_configs, issue);
      f.scrape_configs.forEach((j, i) => {
        const where = taken.get(j.job_name);
        if (where !== undefined) issue(['scrape_configs', i, 'job_name'], `job name ${JSON.stringify(j.job_name)} is used by ${where} already`);
      });
    });
    try {
      const { data } = validateYaml(text, file, schema, { topLevel: 'scrape_configs (a scrape config file holds only that)' });
      const jobs = resolveScrapeConfigs(global, data.scrape_configs);
      resolveScrapeConfigPaths(jobs, dirname(file));
      jobs.forEach((j, i) => taken.set(j.jobName, `${file} scrape_configs[${i}]`));
      out.push(...jobs);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
