// Runs a parsed command. Exit codes: 0 success, 1 the command failed (bad config, storage cannot be
// opened), 2 the command line itself is wrong.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError, parseListenAddress, resolveConfig, type Config, type LoadedConfig } from '../config/index.ts';
import { parseArgs, USAGE, UsageError, type Command, type ImportCommand } from './args.ts';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the command line; resolves with the exit code once the command is over. */
export async function run(argv: readonly string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`strata: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`strata ${version()} (node ${process.version})\n`);
      return 0;
    case 'server':
      return runServer(cmd);
    case 'import':
      return runImport(cmd);
    case 'agent':
      return runAgent(cmd);
    case 'test-rules':
      return (await import('./tools.ts')).testRules(cmd.files, (s) => process.stdout.write(s));
    case 'check-rules':
      return (await import('./tools.ts')).checkRules(cmd.files, (s) => process.stdout.write(s));
    case 'check-config':
      return (await import('./tools.ts')).checkConfig(cmd.file, (s) => process.stdout.write(s));
  }
}

// The agent's config: the same file format (global, scrape_configs, log, agent), with --listen
// overriding agent.listen and a remote write URL required.
function resolveAgentConfig(cmd: { config?: string; listen?: string }): LoadedConfig {
  const loaded = resolveConfig(cmd.config, {});
  if (cmd.listen !== undefined) {
    if (parseListenAddress(cmd.listen) === null) {
      throw new ConfigError([`--listen: invalid listen address ${JSON.stringify(cmd.listen)} (use host:port, e.g. 0.0.0.0:9191, :9191 or [::1]:9191)`]);
    }
    loaded.config.agent.listen = cmd.listen;
  }
  if (loaded.config.agent.remoteWrite.url === '') {
    throw new ConfigError([`${cmd.config ?? '(no config file)'}: agent.remote_write.url: required: the URL of the server's remote write endpoint, e.g. http://strata:9190/api/v1/write`]);
  }
  return loaded;
}

/** Loads a configuration, or prints why it is invalid and returns null. */
function loadOrReport<T>(load: () => T): T | null {
  try {
    return load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`strata: invalid configuration:\n${e.message}\n`);
    return null;
  }
}

/**
 * The logger of a role, with the config's warnings logged and crash handlers installed. Roles are
 * imported only here, so --help, --version and config errors answer without the startup cost.
 */
async function roleLogger(loaded: { config: Config; warnings: string[] }): Promise<Logger> {
  const { createLogger } = await import('../roles/logger.ts');
  const log = createLogger(loaded.config.log.level, loaded.config.log.format);
  for (const w of loaded.warnings) log.warn(w);
  installCrashHandlers(log);
  return log;
}

async function runAgent(cmd: { config?: string; listen?: string }): Promise<number> {
  const loaded = loadOrReport(() => resolveAgentConfig(cmd));
  if (!loaded) return 1;
  const { config } = loaded;
  const log = await roleLogger(loaded);
  const { startAgent } = await import('../roles/agent.ts');
  let agent;
  try {
    // SIGHUP and POST /-/reload re-read the same file with the same flags.
    agent = await startAgent({ config, logger: log, version: version(), loadConfig: () => resolveAgentConfig(cmd).config });
  } catch (e) {
    log.fatal({ err: e }, 'cannot start the agent');
    return 1;
  }
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) process.exit(1);
      signalled = true;
      log.info({ signal: sig }, 'signal received, stopping (the queue keeps what was not delivered)');
      agent.stop().then(() => resolve(0), (err: unknown) => {
        log.error({ err }, 'error while stopping');
        resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function runImport(cmd: ImportCommand): Promise<number> {
  const { parseDuration } = await import('../config/units.ts');
  let blockRangeMs: number | undefined;
  if (cmd.blockRange !== undefined) {
    const d = parseDuration(cmd.blockRange);
    if (d === null || d <= 0 || d % 60_000 !== 0) {
      process.stderr.write(`strata: --block-range ${JSON.stringify(cmd.blockRange)} is not a duration of whole minutes like 2h or 1d\n`);
      return 2;
    }
    blockRangeMs = d;
  }
  // With --config, the server's storage section: where its data is, and the block range and
  // retention the block sizes and the retention note follow.
  const loaded = cmd.config === undefined ? null : loadOrReport(() => resolveConfig(cmd.config, { dataDir: cmd.dataDir }));
  if (cmd.config !== undefined && loaded === null) return 1;
  const { createLogger } = await import('../roles/logger.ts');
  const { importFiles, formatSummary } = await import('./import.ts');
  const log = createLogger('warn', 'pretty');
  const storage = loaded === null
    ? undefined
    : { blockRangeMs: loaded.config.storage.blockRangeMs, retentionMs: loaded.config.storage.retentionMs, configFile: cmd.config! };
  const dataDir = loaded?.config.storage.path ?? cmd.dataDir ?? './data';
  try {
    const summary = await importFiles({ files: cmd.files, dataDir, blockRangeMs, storage, format: cmd.format }, log);
    process.stdout.write(formatSummary(summary));
    return summary.samples > 0 ? 0 : 1;
  } catch (e) {
    process.stderr.write(`strata import: ${(e as Error).message}\n`);
    return 1;
  }
}

async function runServer(cmd: { config?: string; dataDir?: string; listen?: string }): Promise<number> {
  const loaded = loadOrReport(() => resolveConfig(cmd.config, { dataDir: cmd.dataDir, listen: cmd.listen }));
  if (!loaded) return 1;
  const { config } = loaded;
  const log = await roleLogger(loaded);
  const { startServer } = await import('../roles/server.ts');

  let server;
  try {
    server = await startServer({
      config, logger: log, version: version(),
      // POST /-/reload and SIGHUP re-read the same file with the same flags (without a file: the
      // defaults again, so a SIGHUP never ends the process).
      loadConfig: () => resolveConfig(cmd.config, { dataDir: cmd.dataDir, listen: cmd.listen }).config,
    });
  } catch (e) {
    log.fatal({ err: e }, 'cannot start the server');
    return 1;
  }

  // First SIGTERM/SIGINT: graceful stop. A second one: leave now (the WAL keeps acknowledged data).
  let exitCode: number | null = null;
  const stopped = new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        log.warn({ signal: sig }, 'second signal: exiting immediately');
        process.exit(1);
      }
      signalled = true;
      log.info({ signal: sig }, 'signal received, stopping gracefully (send it again to exit at once)');
      server.stop().then(() => resolve(0), (err: unknown) => {
        log.error({ err }, 'error while stopping');
        resolve(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });

  try {
    await server.ready;
  } catch (e) {
    log.fatal({ err: e }, 'cannot open the storage');
    return 1;
  }
  exitCode = await stopped;
  return exitCode;
}

function installCrashHandlers(log: Logger): void {
  process.on('uncaughtException', (err) => {
    // State after an unexpected throw is unknown; the WAL makes a restart safe, so exit.
    log.fatal({ err }, 'uncaught exception, exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection');
  });
}
