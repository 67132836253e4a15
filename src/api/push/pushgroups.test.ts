import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PushGroupStore, type PushGroup } from './pushgroups.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function group(job: string, names: string[]): PushGroup {
  const key = ['job', job];
  const series = new Map(names.map((n) => {
    const labels = ['__name__', n, 'job', job];
    return [JSON.stringify(labels), { labels, family: n }] as const;
  }));
  return { key, series, lastPushMs: 1000, lastFailureMs: 0 };
}

describe('PushGroupStore', () => {
  it('reloads saved groups, forgets removed ones, and sets damaged files aside', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pushgroups-'));
    dirs.push(dir);
    const a = new PushGroupStore(dir);
    await a.ready();
    await a.save('["job","a/b"]', group('a/b', ['x', 'y']));
    const typed = group('c', ['z']);
    for (const x of typed.series.values()) x.type = 'GAUGE';
    await a.save('["job","c"]', typed);
    await a.save('["job","d"]', group('d', ['w']));
    await a.remove('["job","d"]');
    // A crash between write and rename leaves a .tmp beside the intact file.
    const files = fs.readdirSync(path.join(dir, 'pushgateway'));
    expect(files).toHaveLength(2);
    fs.writeFileSync(path.join(dir, 'pushgateway', `${files[0]}.tmp`), '{"version":1,"ke');
    fs.writeFileSync(path.join(dir, 'pushgateway', 'ffff.json'), 'not json');

    const b = new PushGroupStore(dir);
    await b.ready();
    expect([...b.get('["job","a/b"]')!.series.keys()]).toEqual(['["__name__","x","job","a/b"]', '["__name__","y","job","a/b"]']);
    expect(b.get('["job","a/b"]')!.lastPushMs).toBe(1000);
    expect(b.get('["job","c"]')!.key).toEqual(['job', 'c']);
    // Types are kept (for the type check across groups); files from before have none.
    expect([...b.get('["job","c"]')!.series.values()].map((x) => x.type)).toEqual(['GAUGE']);
    expect([...b.all()].map((g) => g.key[1]).sort()).toEqual(['a/b', 'c']);
    expect(b.get('["job","d"]')).toBeUndefined();
    expect(fs.readdirSync(path.join(dir, 'pushgateway')).sort()).toEqual([...files, 'ffff.json.corrupt'].sort());
  });
});
