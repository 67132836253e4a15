import { describe, expect, it } from 'vitest';
import { containsTime, parseTimeInterval } from './timeinterval.ts';

const at = (y: number, mo: number, d: number, h = 12, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

describe('time intervals', () => {
  it('treat times as [start, end) and 24:00 as the end of the day', () => {
    const ti = parseTimeInterval({ times: [{ start_time: '09:00', end_time: '17:00' }, { start_time: '23:00', end_time: '24:00' }] });
    expect(containsTime(ti, at(2026, 3, 2, 9, 0))).toBe(true);
    expect(containsTime(ti, at(2026, 3, 2, 16, 59))).toBe(true);
    expect(containsTime(ti, at(2026, 3, 2, 17, 0))).toBe(false);
    expect(containsTime(ti, at(2026, 3, 2, 23, 59))).toBe(true);
  });

  it('count negative days of month from the end, per month length', () => {
    const lastThree = parseTimeInterval({ days_of_month: ['-3:-1'] });
    expect(containsTime(lastThree, at(2026, 2, 26))).toBe(true); // February 2026 has 28 days
    expect(containsTime(lastThree, at(2026, 2, 25))).toBe(false);
    expect(containsTime(lastThree, at(2026, 3, 29))).toBe(true);
    expect(containsTime(lastThree, at(2026, 3, 28))).toBe(false);
    // Day 31 only exists in long months; 1:-1 is the whole month.
    expect(containsTime(parseTimeInterval({ days_of_month: ['31'] }), at(2026, 4, 30))).toBe(false);
    expect(containsTime(parseTimeInterval({ days_of_month: ['1:-1'] }), at(2026, 4, 30))).toBe(true);
  });

  it('read weekday and month names and ranges, and years', () => {
    const ti = parseTimeInterval({ weekdays: ['Saturday', 'sunday'], months: ['1:3', 'december'], years: ['2026:2027'] });
    expect(containsTime(ti, at(2026, 1, 3))).toBe(true); // Saturday
    expect(containsTime(ti, at(2026, 1, 5))).toBe(false); // Monday
    expect(containsTime(ti, at(2026, 4, 4))).toBe(false); // Saturday in April
    expect(containsTime(ti, at(2026, 12, 5))).toBe(true);
    expect(containsTime(ti, at(2028, 1, 1))).toBe(false); // Saturday, but 2028
  });

  it('evaluate in the given location, across daylight saving time', () => {
    const ti = parseTimeInterval({ times: [{ start_time: '09:00', end_time: '10:00' }], location: 'America/New_York' });
    expect(containsTime(ti, at(2026, 1, 15, 14, 30))).toBe(true); // 09:30 EST (UTC-5)
    expect(containsTime(ti, at(2026, 7, 15, 13, 30))).toBe(true); // 09:30 EDT (UTC-4)
    expect(containsTime(ti, at(2026, 7, 15, 14, 30))).toBe(false);
  });

  it('refuse malformed fields', () => {
    expect(() => parseTimeInterval({ times: [{ start_time: '9:00', end_time: '10:00' }] })).toThrow(/invalid time "9:00"/);
    expect(() => parseTimeInterval({ weekdays: ['friday:monday'] })).toThrow(/after its end/);
    expect(() => parseTimeInterval({ days_of_month: ['0'] })).toThrow(/invalid day of month/);
    expect(() => parseTimeInterval({ days_of_month: ['-1:5'] })).toThrow(/from the end/);
    expect(() => parseTimeInterval({ months: ['13'] })).toThrow(/invalid month/);
    expect(() => parseTimeInterval({ location: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });
});
