// How channels expand their templated fields, and the default templates those fields name.
import { readFileSync } from 'node:fs';
import { ChannelError } from '../types.ts';
import type { TemplateData } from './data.ts';

/**
 * The part of src/template's TemplateSet the channels use. `render` executes template text with
 * every named template of the set (defaults and the user's files) available to `{{ template }}`.
 */
export interface TemplateSet {
  parse(name: string, text: string): unknown;
  execute(name: string, data: unknown): string | Promise<string>;
  render(text: string, data: unknown): string | Promise<string>;
}

/** Name under which the default templates are parsed, before the user's template files. */
export const DEFAULT_TEMPLATES_NAME = 'strata-default.tmpl';

/** The text of the default templates (default.tmpl beside this file). */
export function defaultTemplatesText(): string {
  return readFileSync(new URL('./default.tmpl', import.meta.url), 'utf8');
}

/** Parses the default templates into a set; call before parsing the user's `templates:` files. */
export function addDefaultTemplates(set: TemplateSet): void {
  set.parse(DEFAULT_TEMPLATES_NAME, defaultTemplatesText());
}

/**
 * Expands one configured field. A broken template is a configuration problem that retrying
 * cannot fix, so it fails the notification without retries and names the field.
 */
export interface Expander {
  text(field: string, tmpl: string): Promise<string>;
  html(field: string, tmpl: string): Promise<string>;
}

export function expander(text: TemplateSet, html: TemplateSet, data: TemplateData): Expander {
  const run = async (set: TemplateSet, field: string, tmpl: string): Promise<string> => {
    // Most fields are plain text or empty: skip the engine for them.
    if (!tmpl.includes('{{')) return tmpl;
    try {
      return await set.render(tmpl, data);
    } catch (e) {
      throw new ChannelError(`template of ${field}: ${(e as Error).message}`, false);
    }
  };
  return { text: (f, t) => run(text, f, t), html: (f, t) => run(html, f, t) };
}
