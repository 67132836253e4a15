// A time value as Go templates see one: `{{ .StartsAt }}` prints Go's default format and
// `{{ .StartsAt.Format "2006-01-02" }}` formats with Go's reference-time layout. Alertmanager
// users write both, so the template data carries these rather than JS dates. Times are UTC.

export interface GoTime {
  /** ms since the epoch; 0 stands for Go's zero time (0001-01-01T00:00:00Z). */
  readonly ms: number;
  Format(layout: string): string;
  Unix(): number;
  UnixMilli(): number;
  UTC(): GoTime;
  IsZero(): boolean;
  String(): string;
  toString(): string;
  toJSON(): string;
}

const GO_ZERO_MS = new Date('0001-01-01T00:00:00Z').getTime();

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A Go time for `ms` since the epoch; 0 (unset) is Go's zero time. */
export function goTime(ms: number): GoTime {
  const t: GoTime = {
    ms,
    Format: (layout) => formatGo(ms, layout),
    Unix: () => Math.floor(effective(ms) / 1000),
    UnixMilli: () => effective(ms),
    UTC: () => t,
    IsZero: () => ms === 0,
    String: () => formatGo(ms, '2006-01-02 15:04:05.999999999 -0700 MST'),
    toString: () => t.String(),
    toJSON: () => rfc3339(ms),
  };
  return t;
}

function effective(ms: number): number {
  return ms === 0 ? GO_ZERO_MS : ms;
}

/** RFC 3339 as Go's JSON encoding writes it: fractional seconds only when non-zero, trailing zeros cut. */
export function rfc3339(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return iso.replace(/\.(\d{3})Z$/, (_, f: string) => (f === '000' ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

// Go layout tokens, longest first where one is a prefix of another.
const TOKENS = [
  'January', 'Jan', 'Monday', 'Mon', 'MST', '2006', '-07:00', '-0700', '-07', 'Z07:00', 'Z0700',
  '01', '02', '_2', '15', '03', '04', '05', 'PM', 'pm', '06', '1', '2', '3', '4', '5',
] as const;

function formatGo(ms: number, layout: string): string {
  const d = new Date(effective(ms));
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const hour = d.getUTCHours();
  let out = '';
  let i = 0;
  while (i < layout.length) {
    // Fractional seconds: ".000" keeps its width, ".999" drops trailing zeros (and the dot).
    const frac = /^[.,](0+|9+)/.exec(layout.slice(i));
    if (frac !== null && (i === 0 || !/\d/.test(layout[i - 1] ?? ''))) {
      const width = frac[1].length;
      const digits = (pad(d.getUTCMilliseconds(), 3) + '000000').slice(0, width);
      if (frac[1][0] === '0') out += layout[i] + digits;
      else {
        const trimmed = digits.replace(/0+$/, '');
        if (trimmed !== '') out += layout[i] + trimmed;
      }
      i += frac[0].length;
      continue;
    }
    const tok = TOKENS.find((t) => layout.startsWith(t, i));
    if (tok === undefined) {
      out += layout[i];
      i++;
      continue;
    }
    switch (tok) {
      case 'January': out += MONTHS[d.getUTCMonth()]; break;
      case 'Jan': out += MONTHS[d.getUTCMonth()].slice(0, 3); break;
      case 'Monday': out += DAYS[d.getUTCDay()]; break;
      case 'Mon': out += DAYS[d.getUTCDay()].slice(0, 3); break;
      case 'MST': out += 'UTC'; break;
      case '2006': out += pad(d.getUTCFullYear(), 4); break;
      case '06': out += pad(d.getUTCFullYear() % 100); break;
      case '-07:00': out += '+00:00'; break;
      case '-0700': out += '+0000'; break;
      case '-07': out += '+00'; break;
      case 'Z07:00': case 'Z0700': out += 'Z'; break;
      case '01': out += pad(d.getUTCMonth() + 1); break;
      case '1': out += String(d.getUTCMonth() + 1); break;
      case '02': out += pad(d.getUTCDate()); break;
      case '_2': out += String(d.getUTCDate()).padStart(2, ' '); break;
      case '2': out += String(d.getUTCDate()); break;
      case '15': out += pad(hour); break;
      case '03': out += pad(hour % 12 === 0 ? 12 : hour % 12); break;
      case '3': out += String(hour % 12 === 0 ? 12 : hour % 12); break;
      case '04': out += pad(d.getUTCMinutes()); break;
      case '4': out += String(d.getUTCMinutes()); break;
      case '05': out += pad(d.getUTCSeconds()); break;
      case '5': out += String(d.getUTCSeconds()); break;
      case 'PM': out += hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += hour >= 12 ? 'pm' : 'am'; break;
    }
    i += tok.length;
  }
  return out;
}
