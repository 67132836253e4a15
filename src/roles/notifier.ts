// The server's built-in notifier: Alertmanager's configuration format (notifier.config_file, or a
// single receiver without channels when none is given, so alerts and silences still work), its
// templates (our defaults, then the user's `templates:` files), channels per receiver, and the
// replicas named in notifier.peers sharing silences and the notification log.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, type Config } from '../config/index.ts';
import { addDefaultTemplates, createReceiverChannels } from '../notify/channels/index.ts';
import { createNotifier, loadNotifierConfigFile, parseNotifierConfig, type Notifier, type NotifierConfig } from '../notify/index.ts';
import { alertmanagerFuncs, createTemplateSet, type TemplateSet } from '../template/index.ts';

// Without a config file every alert goes to one receiver with no channels: visible in the API,
// silenceable, never delivered anywhere.
const DEFAULT_NOTIFIER_CONFIG = 'route:\n  receiver: default\nreceivers:\n  - name: default\n';

/** Reads the notifier's configuration the server config names. Throws ConfigError. */
export function notifierConfigOf(c: Config): NotifierConfig {
  const file = c.alerting.notifier.configFile;
  return file === '' ? parseNotifierConfig(DEFAULT_NOTIFIER_CONFIG, '(built-in notifier default)') : loadNotifierConfigFile(file);
}

export interface NotifierRoleOptions {
  config: Config;
  logger: Logger;
  registry: Registry;
  externalURL: string;
}

export interface RunningNotifier {
  readonly notifier: Notifier;
  receivers(): string[];
  /**
   * Reads and checks the notifier configuration of a reloaded config (throws ConfigError) and
   * returns the step that applies it, so a reload can validate everything before changing anything.
   */
  prepareReload(next: Config): () => void;
}

export function startNotifier(o: NotifierRoleOptions): RunningNotifier {
  const log = o.logger.child({ component: 'notifier' });
  let current = notifierConfigOf(o.config);
  // Template sets are built once per configuration (its `templates:` files), for text and HTML.
  const sets = new WeakMap<NotifierConfig, { text: TemplateSet; html: TemplateSet }>();
  const templatesOf = (nc: NotifierConfig) => {
    let s = sets.get(nc);
    if (!s) {
      s = { text: templateSet(nc, false), html: templateSet(nc, true) };
      sets.set(nc, s);
    }
    return s;
  };
  checkTemplates(current, templatesOf);
  const n = o.config.alerting.notifier;
  const notifier = createNotifier({
    config: current,
    dataDir: join(o.config.storage.path, 'notifier'),
    logger: log,
    registry: o.registry,
    externalURL: o.externalURL,
    cluster: n.peers.length > 0 ? { self: o.externalURL, peers: n.peers, peerTimeoutMs: n.peerTimeoutMs } : undefined,
    createChannels: (receiver, nc) => {
      const t = templatesOf(nc);
      return createReceiverChannels(receiver, nc.global, { templates: t.text, htmlTemplates: t.html, logger: log, externalURL: o.externalURL });
    },
  });
  log.info({ receivers: current.receivers.length, peers: n.peers.length, configFile: n.configFile || null }, 'notifier started');
  return {
    notifier,
    receivers: () => current.receivers.map((r) => r.name),
    prepareReload(next) {
      const nc = notifierConfigOf(next);
      checkTemplates(nc, templatesOf);
      return () => {
        notifier.reload(nc);
        current = nc;
      };
    },
  };
}

// A template file that does not parse is a configuration error, found at load, not at the first page.
function checkTemplates(nc: NotifierConfig, templatesOf: (nc: NotifierConfig) => unknown): void {
  try {
    templatesOf(nc);
  } catch (e) {
    throw new ConfigError([`notifier templates: ${(e as Error).message}`]);
  }
}

function templateSet(nc: NotifierConfig, html: boolean): TemplateSet {
  // Alertmanager executes templates with missingkey=zero, as Prometheus does: a missing key is "".
  const set = createTemplateSet({ funcs: alertmanagerFuncs, html, missingKey: 'zero' });
  addDefaultTemplates(set);
  for (const f of nc.templateFiles) set.parse(basename(f), readFileSync(f, 'utf8'));
  return set;
}
