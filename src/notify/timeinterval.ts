// Alertmanager's time intervals (`time_intervals:` and the older `mute_time_intervals:`), which
// routes use to mute notifications at some times (mute_time_intervals) or send only at some times
// (active_time_intervals). Fields left out match any time; ranges are inclusive ("monday:friday",
// "1:5", "-3:-1" for the last three days of the month); times are [start, end) in minutes of day.

/** An inclusive range of integers. */
export interface Range {
  begin: number;
  end: number;
}

export interface TimeInterval {
  /** [start, end) in minutes of the day. */
  times?: Range[];
  /** 0 = Sunday ... 6 = Saturday. */
  weekdays?: Range[];
  /** 1..31, or negative counting from the month's end (-1 = last day). */
  daysOfMonth?: Range[];
  /** 1..12. */
  months?: Range[];
  years?: Range[];
  /** An IANA time zone, 'Local', or undefined for UTC. */
  location?: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Parses one entry of a time interval's list (the YAML mapping). Throws Error naming the field. */
export function parseTimeInterval(raw: {
  times?: { start_time: string; end_time: string }[];
  weekdays?: (string | number)[];
  days_of_month?: (string | number)[];
  months?: (string | number)[];
  years?: (string | number)[];
  location?: string;
}): TimeInterval {
  const ti: TimeInterval = {};
  if (raw.times) ti.times = raw.times.map((t, i) => parseTimeRange(t.start_time, t.end_time, `times[${i}]`));
  if (raw.weekdays) ti.weekdays = raw.weekdays.map((w, i) => parseRange(String(w), `weekdays[${i}]`, (s) => named(s, WEEKDAYS, 0), 'weekday'));
  if (raw.days_of_month) ti.daysOfMonth = raw.days_of_month.map((d, i) => parseDayRange(String(d), `days_of_month[${i}]`));
  if (raw.months) ti.months = raw.months.map((m, i) => parseRange(String(m), `months[${i}]`, (s) => named(s, MONTHS, 1) ?? intIn(s, 1, 12), 'month'));
  if (raw.years) ti.years = raw.years.map((y, i) => parseRange(String(y), `years[${i}]`, (s) => intIn(s, 1, 9999), 'year'));
  if (raw.location !== undefined) {
    if (raw.location !== 'Local' && raw.location !== 'UTC') {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: raw.location });
      } catch {
        throw new Error(`location: unknown time zone ${JSON.stringify(raw.location)}`);
      }
    }
    if (raw.location !== 'UTC') ti.location = raw.location;
  }
  return ti;
}

const TIME_RE = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

function parseTimeRange(start: string, end: string, field: string): Range {
  const minutes = (s: string, which: string): number => {
    const m = TIME_RE.exec(String(s));
    if (!m) throw new Error(`${field}.${which}: invalid time ${JSON.stringify(s)} (use HH:MM between 00:00 and 24:00)`);
    return m[1] === undefined ? 24 * 60 : Number(m[1]) * 60 + Number(m[2]);
  };
  const r = { begin: minutes(start, 'start_time'), end: minutes(end, 'end_time') };
  if (r.begin >= r.end) throw new Error(`${field}: start_time must be before end_time`);
  return r;
}

function named(s: string, names: string[], first: number): number | null {
  const i = names.indexOf(s.toLowerCase());
  return i < 0 ? null : i + first;
}

function intIn(s: string, min: number, max: number): number | null {
  if (!/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

function parseRange(s: string, field: string, one: (s: string) => number | null, what: string): Range {
  const parts = s.split(':');
  if (parts.length > 2) throw new Error(`${field}: invalid range ${JSON.stringify(s)}`);
  const nums = parts.map((p) => {
    const n = one(p.trim());
    if (n === null) throw new Error(`${field}: invalid ${what} ${JSON.stringify(p)}`);
    return n;
  });
  const r = { begin: nums[0], end: nums[nums.length - 1] };
  if (r.begin > r.end) throw new Error(`${field}: start of range ${JSON.stringify(s)} is after its end`);
  return r;
}

function parseDayRange(s: string, field: string): Range {
  const parts = s.split(':');
  if (parts.length > 2) throw new Error(`${field}: invalid range ${JSON.stringify(s)}`);
  const nums = parts.map((p) => {
    const n = intIn(p.trim(), -31, 31);
    if (n === null || n === 0) throw new Error(`${field}: invalid day of month ${JSON.stringify(p)} (1 to 31, or -1 to -31 from the end)`);
    return n;
  });
  const r = { begin: nums[0], end: nums[nums.length - 1] };
  if (Math.sign(r.begin) === Math.sign(r.end) && r.begin > r.end) throw new Error(`${field}: start of range ${JSON.stringify(s)} is after its end`);
  if (r.begin < 0 && r.end > 0) throw new Error(`${field}: a range may not start counting from the end and end counting from the start`);
  return r;
}

interface Parts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(ms: number, location: string | undefined): Parts {
  if (location === undefined) {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay(), minute: d.getUTCHours() * 60 + d.getUTCMinutes() };
  }
  let f = formatters.get(location);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: location === 'Local' ? undefined : location,
      hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'long', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(location, f);
  }
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day),
    weekday: WEEKDAYS.indexOf(p.weekday.toLowerCase()),
    minute: Number(p.hour) * 60 + Number(p.minute),
  };
}

function inRanges(v: number, rs: Range[]): boolean {
  return rs.some((r) => v >= r.begin && v <= r.end);
}

/** Whether the instant (ms since the epoch) lies in the interval. */
export function containsTime(ti: TimeInterval, ms: number): boolean {
  const t = partsIn(ms, ti.location);
  if (ti.times && !ti.times.some((r) => t.minute >= r.begin && t.minute < r.end)) return false;
  if (ti.daysOfMonth) {
    const days = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
    const hit = ti.daysOfMonth.some((r) => {
      const begin = r.begin < 0 ? days + r.begin + 1 : r.begin;
      const end = r.end < 0 ? days + r.end + 1 : r.end;
      if (begin > days) return false;
      return t.day >= Math.max(begin, 1) && t.day <= Math.min(end, days);
    });
    if (!hit) return false;
  }
  if (ti.months && !inRanges(t.month, ti.months)) return false;
  if (ti.weekdays && !inRanges(t.weekday, ti.weekdays)) return false;
  if (ti.years && !inRanges(t.year, ti.years)) return false;
  return true;
}

/** Whether the instant lies in any of the intervals. */
export function containsTimeAny(tis: readonly TimeInterval[], ms: number): boolean {
  return tis.some((ti) => containsTime(ti, ms));
}
