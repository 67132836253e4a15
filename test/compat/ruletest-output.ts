// What a rule unit test tool computed, read back from its failure report. A test file whose tests
// expect nothing (no exp_alerts, no exp_samples) fails every test that produced something, and the
// report's `got:` part is then exactly what the tool computed: firing alerts with their labels and
// annotations, or the samples of an expression. Reading both promtool's report and Strata's
// (runRuleTestFile's failures, same shape) gives two comparable answers per test.
//
// promtool prints label values with Go's strconv.Quote and numbers with FormatFloat(v, 'E', -1);
// Strata prints JSON-quoted values and JS numbers, and a metric name in front of the braces. The
// readers below accept both.

export interface GotAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface GotSample {
  labels: Record<string, string>;
  value: number;
}
export type TestAnswer =
  | { kind: 'alerts'; alerts: GotAlert[] }
  | { kind: 'samples'; samples: GotSample[] }
  | { kind: 'error'; message: string };

/** The key of one test in a file: `alert NAME @ms` or `expr EXPR @ms`. */
export function alertKey(alertname: string, ms: number): string {
  return `alert ${alertname} @${ms}`;
}
export function exprKey(expr: string, ms: number): string {
  return `expr ${expr} @${ms}`;
}

/** Milliseconds of a Go/Prometheus duration as the tools print it ("4m55s", "1h59s", "0s"). */
export function durationMs(s: string): number {
  const re = /(\d+)(ms|[smhdwy])/g;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
  let ms = 0;
  let seen = '';
  for (let m = re.exec(s); m; m = re.exec(s)) {
    ms += Number(m[1]) * unit[m[2]];
    seen += m[0];
  }
  if (seen !== s) throw new Error(`not a duration: ${JSON.stringify(s)}`);
  return ms;
}

/** Prints a duration the way model.Duration does (the form promtool echoes back). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let out = '';
  let rest = ms;
  for (const [u, n] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out;
}

/** Reads promtool's stdout: every failure of the file, by test key. */
export function readPromtoolReport(stdout: string): Map<string, TestAnswer> {
  const out = new Map<string, TestAnswer>();
  const at = stdout.indexOf('  FAILED:\n');
  if (at < 0) {
    if (/\n {2}SUCCESS\n/.test(stdout)) return out;
    throw new Error(`promtool reported neither SUCCESS nor test failures:\n${stdout}`);
  }
  // Failures start at four spaces of indent; what belongs to one is indented deeper.
  const blocks: string[] = [];
  for (const line of stdout.slice(at + '  FAILED:\n'.length).split('\n')) {
    if (/^ {4}\S/.test(line)) blocks.push(line.slice(4));
    else if (blocks.length > 0) blocks[blocks.length - 1] += `\n${line}`;
  }
  for (const b of blocks) {
    if (/^name: .*,\s*$/.test(b)) continue; // the test group's name before each alert failure
    const [key, answer] = readFailure(b);
    out.set(key, answer);
  }
  return out;
}

/** Reads Strata's failures (runRuleTestFile, one test group per file): every failure by test key. */
export function readStrataFailures(failures: string[], groupName: string): Map<string, TestAnswer> {
  const out = new Map<string, TestAnswer>();
  for (const f of failures) {
    if (!f.startsWith(`${groupName}: `)) throw new Error(`strata failed the file, not a test: ${f}`);
    const [key, answer] = readFailure(f.slice(groupName.length + 2));
    out.set(key, answer);
  }
  return out;
}

/** The key of a rule that failed to evaluate: `rule NAME @ms`. */
export function ruleKey(name: string, ms: number): string {
  return `rule ${name} @${ms}`;
}

function readFailure(text: string): [string, TestAnswer] {
  const failed = /^rule: (\S+), time: (\S+), err: ([\s\S]*)$/.exec(text);
  if (failed) return [ruleKey(failed[1], durationMs(failed[2])), { kind: 'error', message: failed[3].trim() }];
  let m = /^alertname: (\S+), time: (\S+),/.exec(text);
  if (m) {
    const key = alertKey(m[1], durationMs(m[2]));
    const got = text.indexOf('got:[');
    if (got < 0) throw new Error(`no got: in ${text}`);
    const r = new Reader(text, got + 'got:['.length);
    const alerts: GotAlert[] = [];
    for (;;) {
      r.skipSpace();
      if (r.peek() === ']') break;
      r.expectRe(/^,?\s*\d+:\s*Labels:/);
      const labels = r.labelSet();
      r.expectRe(/^\s*Annotations:/);
      const annotations = r.labelSet();
      alerts.push({ labels, annotations });
    }
    return [key, { kind: 'alerts', alerts }];
  }
  m = /^expr: /.exec(text);
  if (!m) throw new Error(`unrecognised failure: ${text}`);
  const r = new Reader(text, 'expr: '.length);
  const expr = r.quoted();
  r.expectRe(/^, time: /);
  const time = r.expectRe(/^\S+?(?=,)/);
  const key = exprKey(expr, durationMs(time));
  r.expectRe(/^,/);
  const rest = text.slice(r.pos);
  const err = /^\s*err: ([\s\S]*)$/.exec(rest);
  if (err) return [key, { kind: 'error', message: err[1].trim() }];
  const got = text.indexOf('got:', r.pos);
  if (got < 0) throw new Error(`no got: in ${text}`);
  const g = new Reader(text, got + 'got:'.length);
  const samples: GotSample[] = [];
  for (;;) {
    g.skipSpace();
    if (g.pos >= text.length || g.rest().startsWith('nil') || g.rest().startsWith('[]')) break;
    const labels = g.labelSet();
    g.skipSpace();
    const v = g.expectRe(/^[^\s,]+/);
    samples.push({ labels, value: parseNumber(v) });
    g.skipSpace();
    if (g.peek() === ',') g.pos++;
  }
  return [key, { kind: 'samples', samples }];
}

function parseNumber(s: string): number {
  if (s === '+Inf' || s === 'Infinity') return Infinity;
  if (s === '-Inf' || s === '-Infinity') return -Infinity;
  if (s === 'NaN') return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`not a number: ${s}`);
  return v;
}

class Reader {
  text: string;
  pos: number;
  constructor(text: string, pos: number) {
    this.text = text;
    this.pos = pos;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  rest(): string {
    return this.text.slice(this.pos);
  }

  skipSpace(): void {
    while (/\s/.test(this.peek())) this.pos++;
  }

  expectRe(re: RegExp): string {
    const m = re.exec(this.rest());
    if (!m) throw new Error(`expected ${re} at ${JSON.stringify(this.rest().slice(0, 60))}`);
    this.pos += m[0].length;
    return m[0];
  }

  /** `{a="x", b="y"}` or `name{...}` or a bare `name`. */
  labelSet(): Record<string, string> {
    const out: Record<string, string> = {};
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(this.rest());
    if (name) {
      out.__name__ = name[0];
      this.pos += name[0].length;
      if (this.peek() !== '{') return out;
    }
    this.expectRe(/^\{/);
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}') {
        this.pos++;
        return out;
      }
      const k = this.expectRe(/^[a-zA-Z_][a-zA-Z0-9_]*/);
      this.expectRe(/^=/);
      out[k] = this.quoted();
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
    }
  }

  /** A double-quoted string with Go's or JSON's escapes. */
  quoted(): string {
    this.expectRe(/^"/);
    let s = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) throw new Error('unterminated string');
      if (c === '"') return s;
      if (c !== '\\') {
        s += c;
        continue;
      }
      const e = this.text[this.pos++];
      const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", '/': '/' };
      if (e in simple) s += simple[e];
      else if (e === 'x') s += String.fromCharCode(this.hex(2));
      else if (e === 'u') s += String.fromCharCode(this.hex(4));
      else if (e === 'U') s += String.fromCodePoint(this.hex(8));
      else if (/[0-7]/.test(e)) {
        s += String.fromCharCode(parseInt(e + this.text.slice(this.pos, this.pos + 2), 8));
        this.pos += 2;
      } else throw new Error(`unknown escape \\${e}`);
    }
  }

  private hex(n: number): number {
    const h = this.text.slice(this.pos, this.pos + n);
    this.pos += n;
    return parseInt(h, 16);
  }
}
