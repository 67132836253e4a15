// Go's time.Time and time.Duration as template values: their String forms, Go's reference-time
// layouts for `date`/`.Format`, and the handful of methods templates call on them.
// Zone abbreviations come from Intl (tried in a few English locales); where Intl only knows
// "GMT+1"-style names we print Go's numeric fallback ("+01"), so a zone without an English
// abbreviation (Asia/Tokyo's JST) prints differently from Go.

/** A point in time (epoch milliseconds plus sub-millisecond nanoseconds) in a zone (IANA name; undefined = UTC). */
export class GoTime {
  readonly ms: number;
  readonly nanos: number;
  readonly zone: string | undefined;

  constructor(ms: number, zone?: string, nanos = 0) {
    this.ms = ms;
    this.zone = zone === 'UTC' ? undefined : zone;
    this.nanos = nanos;
  }

  static from(v: unknown): GoTime {
    if (v instanceof GoTime) return v;
    if (v instanceof Date) return new GoTime(v.getTime());
    throw new Error(`expected time.Time; found ${typeof v === 'object' && v !== null ? v.constructor.name : typeof v}`);
  }

  // Methods as Go spells them, so templates can call `.StartsAt.Format "..."`, `.Unix`, ...
  Format(layout: string): string {
    return formatTime(this, layout);
  }
  String(): string {
    return formatTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
  }
  /** What %#v prints: a time.Date call in the time's own zone. */
  GoString(): string {
    const f = fields(this);
    const nanos = (((Math.floor(this.ms) % 1000) + 1000) % 1000) * 1000000 + this.nanos;
    const loc = this.zone === undefined ? 'time.UTC' : `time.Location(${JSON.stringify(this.zone)})`;
    return `time.Date(${f.year}, time.${MONTHS[f.month - 1]}, ${f.day}, ${f.hour}, ${f.minute}, ${f.second}, ${nanos}, ${loc})`;
  }
  Unix(): bigint {
    return BigInt(Math.floor(this.ms / 1000));
  }
  UnixMilli(): bigint {
    return BigInt(Math.floor(this.ms));
  }
  UnixNano(): bigint {
    return BigInt(Math.floor(this.ms)) * 1000000n + BigInt(this.nanos);
  }
  UTC(): GoTime {
    return new GoTime(this.ms, undefined, this.nanos);
  }
  Local(): GoTime {
    return this.UTC();
  }
  In(zone: string): GoTime {
    return inZone(this, zone);
  }
  IsZero(): boolean {
    return this.ms === -62135596800000 && this.nanos === 0;
  }
  Year(): bigint {
    return BigInt(fields(this).year);
  }
  Day(): bigint {
    return BigInt(fields(this).day);
  }
  Hour(): bigint {
    return BigInt(fields(this).hour);
  }
  Minute(): bigint {
    return BigInt(fields(this).minute);
  }
  Second(): bigint {
    return BigInt(fields(this).second);
  }
  Sub(other: unknown): GoDuration {
    const o = GoTime.from(other);
    return new GoDuration((BigInt(Math.round(this.ms - o.ms)) * 1000000n) + BigInt(this.nanos - o.nanos));
  }
}

/** time.Duration: nanoseconds. */
export class GoDuration {
  readonly ns: bigint;
  constructor(ns: bigint) {
    this.ns = ns;
  }
  String(): string {
    return durationString(this.ns);
  }
  Seconds(): number {
    return Number(this.ns) / 1e9;
  }
  Minutes(): number {
    return Number(this.ns) / 6e10;
  }
  Hours(): number {
    return Number(this.ns) / 3.6e12;
  }
  Milliseconds(): bigint {
    return this.ns / 1000000n;
  }
}

export function inZone(t: GoTime, zone: string): GoTime {
  if (zone === 'Local' || zone === '' || zone === 'UTC') return t.UTC();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`unknown time zone ${zone}`);
  }
  return new GoTime(t.ms, zone, t.nanos);
}

interface Fields {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
  yearDay: number;
  offsetMin: number;
  abbrev: string;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function zoneOffsetMinutes(ms: number, zone: string): number {
  let f = formatterCache.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatterCache.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUTC = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUTC - Math.floor(ms / 1000) * 1000) / 60000);
}

function intlAbbrev(ms: number, zone: string): string | undefined {
  for (const locale of ['en-US', 'en-GB', 'en-AU', 'en-IN', 'en-NZ']) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((x) => x.type === 'timeZoneName')?.value;
    if (name !== undefined && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  return undefined;
}

const abbrevCache = new Map<string, string>();

function zoneAbbrev(ms: number, zone: string, offsetMin: number): string {
  const key = `${zone} ${offsetMin}`;
  const cached = abbrevCache.get(key);
  if (cached !== undefined) return cached;
  let name = intlAbbrev(ms, zone);
  // Intl knows some names only for recent dates: borrow one from a recent date with the same offset.
  for (const probe of [Date.UTC(2024, 0, 15), Date.UTC(2024, 6, 15)]) {
    if (name === undefined && zoneOffsetMinutes(probe, zone) === offsetMin) name = intlAbbrev(probe, zone);
  }
  if (name === undefined) {
    // Go's fallback for zones without an abbreviation: "+01", "+0530".
    const sign = offsetMin < 0 ? '-' : '+';
    const a = Math.abs(offsetMin);
    const h = String(Math.floor(a / 60)).padStart(2, '0');
    name = a % 60 === 0 ? sign + h : sign + h + String(a % 60).padStart(2, '0');
  }
  abbrevCache.set(key, name);
  return name;
}

function fields(t: GoTime): Fields {
  const offsetMin = t.zone === undefined ? 0 : zoneOffsetMinutes(t.ms, t.zone);
  const d = new Date(Math.floor(t.ms) + offsetMin * 60000);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
    yearDay: Math.floor((d.getTime() - startOfYear) / 86400000) + 1,
    offsetMin,
    abbrev: t.zone === undefined ? 'UTC' : zoneAbbrev(t.ms, t.zone, offsetMin),
  };
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Layout elements in the order they must be tried at each position (longest first where they share a prefix).
const ELEMENTS = [
  'January', 'Jan', 'Monday', 'Mon', 'MST',
  '2006', '002', '01', '02', '03', '04', '05', '06', '__2', '_2', '15', '1', '2', '3', '4', '5',
  'PM', 'pm',
  '-07:00:00', '-070000', '-07:00', '-0700', '-07',
  'Z07:00:00', 'Z070000', 'Z07:00', 'Z0700', 'Z07',
];

type LayoutPart = string | { el: string } | { frac: number; trim: boolean; sep: string };

// Layouts split once into literal text, elements and fractions: templates format with a few
// fixed layouts, once per alert.
const layouts = new Map<string, LayoutPart[]>();

function parseLayout(layout: string): LayoutPart[] {
  const parts: LayoutPart[] = [];
  let lit = '';
  const flush = () => {
    if (lit !== '') parts.push(lit);
    lit = '';
  };
  let i = 0;
  while (i < layout.length) {
    // Fractional seconds: `.000`/`,000` (fixed) or `.999` (trimmed), not followed by a digit.
    const c = layout[i];
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const digit = layout[i + 1];
      let j = i + 1;
      while (layout[j] === digit) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        flush();
        parts.push({ frac: j - i - 1, trim: digit === '9', sep: c });
        i = j;
        continue;
      }
    }
    // "Jan" and "Mon" followed by a lower-case letter are words ("Janet", "Month"), not elements.
    const el = ELEMENTS.find((e) => layout.startsWith(e, i) && !((e === 'Jan' || e === 'Mon') && /[a-z]/.test(layout[i + 3] ?? '')));
    if (el === undefined) {
      lit += c;
      i++;
      continue;
    }
    // "_2006" is a literal "_" then the year.
    if (el === '_2' && layout.startsWith('_2006', i)) {
      lit += '_';
      i++;
      continue;
    }
    flush();
    parts.push({ el });
    i += el.length;
  }
  flush();
  return parts;
}

/** Go's Time.Format with a reference-time layout ("2006-01-02T15:04:05Z07:00"). */
export function formatTime(t: GoTime, layout: string): string {
  let parts = layouts.get(layout);
  if (parts === undefined) {
    parts = parseLayout(layout);
    if (layouts.size >= 100) layouts.clear();
    layouts.set(layout, parts);
  }
  const f = fields(t);
  const nanos = (((Math.floor(t.ms) % 1000) + 1000) % 1000) * 1000000 + t.nanos;
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else if ('el' in part) out += element(part.el, f);
    else out += fraction(nanos, part.frac, part.trim, part.sep);
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function element(el: string, f: Fields): string {
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  switch (el) {
    case 'January': return MONTHS[f.month - 1];
    case 'Jan': return MONTHS[f.month - 1].slice(0, 3);
    case 'Monday': return DAYS[f.weekday];
    case 'Mon': return DAYS[f.weekday].slice(0, 3);
    case 'MST': return f.abbrev;
    case '2006': return f.year < 0 ? '-' + pad(-f.year, 4) : pad(f.year, 4);
    case '06': return pad(((f.year % 100) + 100) % 100, 2);
    case '002': return pad(f.yearDay, 3);
    case '__2': return String(f.yearDay).padStart(3, ' ');
    case '01': return pad(f.month, 2);
    case '1': return String(f.month);
    case '02': return pad(f.day, 2);
    case '_2': return String(f.day).padStart(2, ' ');
    case '2': return String(f.day);
    case '15': return pad(f.hour, 2);
    case '03': return pad(h12, 2);
    case '3': return String(h12);
    case '04': return pad(f.minute, 2);
    case '4': return String(f.minute);
    case '05': return pad(f.second, 2);
    case '5': return String(f.second);
    case 'PM': return f.hour >= 12 ? 'PM' : 'AM';
    case 'pm': return f.hour >= 12 ? 'pm' : 'am';
  }
  // Zone offsets; the Z forms print "Z" for UTC.
  if (el[0] === 'Z' && f.offsetMin === 0) return 'Z';
  const sign = f.offsetMin < 0 ? '-' : '+';
  const a = Math.abs(f.offsetMin);
  const hh = pad(Math.floor(a / 60), 2);
  const mm = pad(a % 60, 2);
  const body = el.slice(1);
  switch (body) {
    case '07': return sign + hh;
    case '0700': return sign + hh + mm;
    case '07:00': return `${sign}${hh}:${mm}`;
    case '070000': return sign + hh + mm + '00';
    case '07:00:00': return `${sign}${hh}:${mm}:00`;
  }
  return el;
}

function fraction(nanos: number, digits: number, trim: boolean, sep: string): string {
  let s = pad(nanos, 9).slice(0, Math.min(digits, 9));
  if (trim) {
    s = s.replace(/0+$/, '');
    return s === '' ? '' : sep + s;
  }
  return sep + s;
}

/** Go's Duration.String: "1h2m3.5s", "1.5ms", "0s". */
export function durationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1000000000n) {
    const units: [bigint, string][] = [
      [1n, 'ns'],
      [1000n, 'µs'],
      [1000000n, 'ms'],
    ];
    const [scale, name] = u < 1000n ? units[0] : u < 1000000n ? units[1] : units[2];
    out = decimal(u, scale) + name;
  } else {
    const h = u / 3600000000000n;
    u -= h * 3600000000000n;
    const m = u / 60000000000n;
    u -= m * 60000000000n;
    out = decimal(u, 1000000000n) + 's';
    if (h > 0n || m > 0n) out = `${m}m` + out;
    if (h > 0n) out = `${h}h` + out;
  }
  return neg ? '-' + out : out;
}

function decimal(v: bigint, scale: bigint): string {
  const whole = v / scale;
  const frac = v % scale;
  if (frac === 0n) return String(whole);
  const width = String(scale).length - 1;
  return `${whole}.${String(frac).padStart(width, '0').replace(/0+$/, '')}`;
}
