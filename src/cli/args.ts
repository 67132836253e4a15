// Command-line parsing for `strata`. Hand-written: a handful of commands and flags, and the errors
// must say exactly which argument is wrong.

export const USAGE = `Usage: strata <command> [flags]

Commands:
  server    Run the all-in-one server: remote write, storage and the query API in one process.
  agent     Run the host agent: collect host metrics and scrape local targets, buffer them on
            disk and forward them to a Strata server by remote write.
  import    Backfill: write samples with timestamps from text files (Prometheus text or
            OpenMetrics, plain or gzip) into blocks of a data directory. Stop the server first.
  test rules FILE...    Run rule unit tests in promtool's format; exit 1 if any fails.
  check rules FILE...   Validate Prometheus rule files without running them.
  check config FILE     Validate a config file, the rule files and notifier config it names.

Flags of server:
  --config FILE        YAML config file (default: none, built-in defaults apply)
  --data-dir DIR       where data is stored (overrides storage.path; default ./data)
  --listen HOST:PORT   address of the HTTP API (overrides server.listen; default 0.0.0.0:9190)

Usage of import: strata import [flags] FILE...
  --config FILE        the server's config file: its storage.path, block_range and retention apply
  --data-dir DIR       data directory to write into (overrides storage.path; default ./data)
  --block-range DUR    one fixed time range for every written block (default: as large as the
                       server's compaction would make them, as its HTTP import does)
  --format FORMAT      auto (default), prometheus or openmetrics

Flags of agent:
  --config FILE        YAML config file with an agent section (agent.remote_write.url is required)
  --listen HOST:PORT   address of the agent's /metrics (overrides agent.listen; default 0.0.0.0:9191)

Global flags:
  -h, --help           show this help
  -v, --version        print the version
`;

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'server'; config?: string; dataDir?: string; listen?: string }
  | { kind: 'agent'; config?: string; listen?: string }
  | ImportCommand
  | { kind: 'test-rules'; files: string[] }
  | { kind: 'check-rules'; files: string[] }
  | { kind: 'check-config'; file: string };

export interface ImportCommand {
  kind: 'import';
  files: string[];
  config?: string;
  dataDir?: string;
  blockRange?: string;
  format?: 'auto' | 'prometheus' | 'openmetrics';
}

/** A command line we cannot run: print the message and the usage on stderr, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const SERVER_FLAGS: Record<string, 'config' | 'dataDir' | 'listen'> = {
  '--config': 'config',
  '--config.file': 'config',
  '--data-dir': 'dataDir',
  '--listen': 'listen',
};

const AGENT_FLAGS: Record<string, 'config' | 'listen'> = {
  '--config': 'config',
  '--config.file': 'config',
  '--listen': 'listen',
};

// `strata test rules FILE...`, `strata check rules FILE...`, `strata check config FILE`, as promtool.
function parseToolArgs(verb: 'test' | 'check', rest: readonly string[]): Command {
  const [what, ...files] = rest;
  const bad = files.find((f) => f.startsWith('-'));
  if (bad !== undefined) throw new UsageError(`unknown flag ${bad} for ${verb} ${what}`);
  if (what === 'rules') {
    if (files.length === 0) throw new UsageError(`${verb} rules needs at least one FILE`);
    return { kind: verb === 'test' ? 'test-rules' : 'check-rules', files };
  }
  if (verb === 'check' && what === 'config') {
    if (files.length !== 1) throw new UsageError('check config needs exactly one FILE');
    return { kind: 'check-config', file: files[0] };
  }
  throw new UsageError(`unknown command ${JSON.stringify(`${verb} ${what ?? ''}`.trim())} (use ${verb === 'test' ? 'test rules' : 'check rules or check config'})`);
}

export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) throw new UsageError('no command given');
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') return { kind: 'help' };
  if (first === '-v' || first === '--version' || first === 'version') return { kind: 'version' };
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}`);
  if (first === 'import') return parseImportArgs(rest);
  if (first === 'test' || first === 'check') return parseToolArgs(first, rest);
  if (first !== 'server' && first !== 'agent') throw new UsageError(`unknown command ${JSON.stringify(first)}`);

  const flags: Record<string, 'config' | 'dataDir' | 'listen'> = first === 'server' ? SERVER_FLAGS : AGENT_FLAGS;
  const cmd: { kind: 'server' | 'agent'; config?: string; dataDir?: string; listen?: string } = { kind: first };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const field = Object.hasOwn(flags, flag) ? flags[flag] : undefined;
    if (field === undefined) {
      throw new UsageError(arg.startsWith('-') ? `unknown flag ${flag} for ${first}` : `unexpected argument ${JSON.stringify(arg)}`);
    }
    let value: string;
    if (flag !== arg) {
      value = arg.slice(eq + 1);
    } else {
      if (i + 1 >= rest.length || rest[i + 1].startsWith('--')) throw new UsageError(`flag ${flag} needs a value`);
      value = rest[++i];
    }
    if (cmd[field] !== undefined) throw new UsageError(`flag ${flag} given twice`);
    cmd[field] = value;
  }
  return cmd as Command;
}

const IMPORT_FLAGS: Record<string, 'config' | 'dataDir' | 'blockRange' | 'format'> = {
  '--config': 'config',
  '--config.file': 'config',
  '--data-dir': 'dataDir',
  '--block-range': 'blockRange',
  '--format': 'format',
};

function parseImportArgs(rest: readonly string[]): Command {
  const cmd: ImportCommand = { kind: 'import', files: [] };
  const seen = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (!arg.startsWith('-') || arg === '-') {
      cmd.files.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const field = IMPORT_FLAGS[flag];
    if (field === undefined) throw new UsageError(`unknown flag ${flag} for import`);
    let value: string;
    if (flag !== arg) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= rest.length || rest[i + 1].startsWith('--')) throw new UsageError(`flag ${flag} needs a value`);
      value = rest[++i];
    }
    if (seen.has(flag)) throw new UsageError(`flag ${flag} given twice`);
    seen.add(flag);
    if (field === 'format') {
      if (value !== 'auto' && value !== 'prometheus' && value !== 'openmetrics') {
        throw new UsageError(`--format must be auto, prometheus or openmetrics, not ${JSON.stringify(value)}`);
      }
      cmd.format = value;
    } else cmd[field] = value;
  }
  if (cmd.files.length === 0) throw new UsageError('import needs at least one FILE');
  return cmd as Command;
}
