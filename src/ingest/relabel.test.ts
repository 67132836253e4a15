import { describe, expect, it } from 'vitest';
import { checkRelabelRule, relabelRule, type RelabelRule } from '../config/index.ts';
import { labelsFromRecord, labelsToRecord } from '../model/index.ts';
import { compileRelabelRules, hashmod, relabel } from './relabel.ts';

function run(input: Record<string, string>, rules: Partial<RelabelRule>[]): Record<string, string> | null {
  const full = rules.map(relabelRule);
  for (const r of full) expect(checkRelabelRule(r)).toBeNull();
  const out = relabel(labelsFromRecord(input), compileRelabelRules(full));
  if (out === null) return null;
  // Output must stay sorted by name.
  const names = out.filter((_, i) => i % 2 === 0);
  expect(names).toEqual([...names].sort());
  return labelsToRecord(out);
}

const abc = { a: 'foo', b: 'bar', c: 'baz' };

describe('relabel', () => {
  it.each<[string, Record<string, string>, Partial<RelabelRule>[], Record<string, string> | null]>([
    ['no rules keep the set', abc, [], abc],
    ['replace with a capture group', abc,
      [{ sourceLabels: ['a'], regex: 'f(.*)', targetLabel: 'd', replacement: 'ch${1}-ch${1}' }],
      { ...abc, d: 'choo-choo' }],
    ['replace joins source labels with the separator', abc,
      [{ sourceLabels: ['a', 'b'], regex: 'f(.*);(.*)r', targetLabel: 'a', replacement: 'b${1}${2}m' }],
      { ...abc, a: 'boobam' }],
    ['replace with a custom separator', abc,
      [{ sourceLabels: ['a', 'b'], separator: '|', regex: 'foo\\|bar', targetLabel: 'x', replacement: 'yes' }],
      { ...abc, x: 'yes' }],
    ['regex is anchored: a partial match does not replace', abc,
      [{ sourceLabels: ['a'], regex: 'o+', targetLabel: 'd', replacement: 'x' }],
      abc],
    ['replace with an empty result deletes the target', abc,
      [{ sourceLabels: ['d'], regex: '(.*)', targetLabel: 'a' }],
      { b: 'bar', c: 'baz' }],
    ['defaults copy a label', abc,
      [{ sourceLabels: ['c'], targetLabel: 'copy' }],
      { ...abc, copy: 'baz' }],
    ['a missing source label counts as empty', abc,
      [{ sourceLabels: ['nope'], regex: '', targetLabel: 'e', replacement: 'empty' }],
      { ...abc, e: 'empty' }],
    ['templated target label', abc,
      [{ sourceLabels: ['a'], regex: '(f)(.*)', targetLabel: '${1}_${2}', replacement: '$2' }],
      { ...abc, f_oo: 'oo' }],
    // Prometheus 3 takes any UTF-8 name here (2.42 skipped "some-thing"); an empty one is skipped.
    ['templated target that expands to a UTF-8 name', { a: 'some-thing' },
      [{ sourceLabels: ['a'], regex: '(.*)', targetLabel: '$1', replacement: 'x' }],
      { a: 'some-thing', 'some-thing': 'x' }],
    ['templated target that expands to nothing is skipped', { a: 'thing' },
      [{ sourceLabels: ['a'], regex: '(x?)(.*)', targetLabel: '$1', replacement: 'y' }],
      { a: 'thing' }],
    ['named groups and $$', abc,
      [{ sourceLabels: ['a'], regex: '(?P<first>f)o+', targetLabel: 'd', replacement: '$$${first}' }],
      { ...abc, d: '$f' }],
    ['RE2 flag groups', { a: 'FOO' },
      [{ sourceLabels: ['a'], regex: '(?i)foo', targetLabel: 'd', replacement: 'matched' }],
      { a: 'FOO', d: 'matched' }],
    ['drop matching', abc, [{ sourceLabels: ['a'], regex: 'f.*', action: 'drop' }], null],
    ['drop not matching', abc, [{ sourceLabels: ['a'], regex: 'g.*', action: 'drop' }], abc],
    ['keep matching', abc, [{ sourceLabels: ['a'], regex: 'f.*', action: 'keep' }], abc],
    ['keep not matching', abc, [{ sourceLabels: ['a'], regex: 'f', action: 'keep' }], null],
    ['keep on an absent label matches the empty string', abc, [{ sourceLabels: ['z'], regex: '', action: 'keep' }], abc],
    ['keepequal equal', { a: 'x', b: 'x' }, [{ sourceLabels: ['a'], targetLabel: 'b', action: 'keepequal' }], { a: 'x', b: 'x' }],
    ['keepequal different', { a: 'x', b: 'y' }, [{ sourceLabels: ['a'], targetLabel: 'b', action: 'keepequal' }], null],
    ['dropequal equal', { a: 'x', b: 'x' }, [{ sourceLabels: ['a'], targetLabel: 'b', action: 'dropequal' }], null],
    ['dropequal different', { a: 'x', b: 'y' }, [{ sourceLabels: ['a'], targetLabel: 'b', action: 'dropequal' }], { a: 'x', b: 'y' }],
    ['hashmod (md5, as Prometheus)', abc, [{ sourceLabels: ['c'], targetLabel: 'd', modulus: 1000, action: 'hashmod' }], { ...abc, d: '976' }],
    ['labelmap copies matching names', { __meta_kubernetes_pod_label_app: 'web', __meta_x: 'y', job: 'j' },
      [{ regex: '__meta_kubernetes_pod_label_(.+)', action: 'labelmap' }],
      { __meta_kubernetes_pod_label_app: 'web', __meta_x: 'y', app: 'web', job: 'j' }],
    ['labelmap with a replacement template', { a: '1', b: '2' },
      [{ regex: '(.)', replacement: 'x_$1', action: 'labelmap' }],
      { a: '1', b: '2', x_a: '1', x_b: '2' }],
    ['labeldrop', { __meta_a: '1', __meta_b: '2', job: 'j' }, [{ regex: '__meta_.*', action: 'labeldrop' }], { job: 'j' }],
    ['labelkeep', { __meta_a: '1', __meta_b: '2', job: 'j' }, [{ regex: 'job|__meta_a', action: 'labelkeep' }], { __meta_a: '1', job: 'j' }],
    ['labelkeep of nothing drops the set', abc, [{ regex: 'zzz', action: 'labelkeep' }], null],
    ['lowercase', { a: 'FoO' }, [{ sourceLabels: ['a'], targetLabel: 'b', action: 'lowercase' }], { a: 'FoO', b: 'foo' }],
    ['uppercase', { a: 'FoO' }, [{ sourceLabels: ['a'], targetLabel: 'a', action: 'uppercase' }], { a: 'FOO' }],
    ['rules apply in order and see earlier results', abc, [
      { sourceLabels: ['a'], targetLabel: 'tmp', replacement: 'keepme' },
      { sourceLabels: ['tmp'], regex: 'keepme', action: 'keep' },
      { regex: 'tmp', action: 'labeldrop' },
    ], abc],
    ['dot matches newlines', { a: 'x\ny' }, [{ sourceLabels: ['a'], regex: 'x.y', action: 'drop' }], null],
  ])('%s', (_name, input, rules, want) => {
    expect(run(input, rules)).toEqual(want);
  });

  it('hashmod spreads values over the modulus', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) counts[hashmod(`10.0.0.${i}:9100`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  it('shards targets with hashmod + keep: every address in exactly one shard', () => {
    const addrs = Array.from({ length: 50 }, (_, i) => `host${i}:9100`);
    const owners = addrs.map(() => 0);
    for (let shard = 0; shard < 3; shard++) {
      const rules = compileRelabelRules([
        relabelRule({ sourceLabels: ['__address__'], modulus: 3, targetLabel: '__tmp_shard', action: 'hashmod' }),
        relabelRule({ sourceLabels: ['__tmp_shard'], regex: String(shard), action: 'keep' }),
      ]);
      addrs.forEach((a, i) => {
        if (relabel(labelsFromRecord({ __address__: a }), rules) !== null) owners[i]++;
      });
    }
    expect(owners.every((n) => n === 1)).toBe(true);
  });
});

describe('checkRelabelRule', () => {
  it.each<[Partial<RelabelRule>, RegExp]>([
    [{ sourceLabels: ['a'], regex: '(' }, /invalid regex/],
    [{ sourceLabels: ['a'], regex: '(?=x)' }, /invalid regex/],
    [{ sourceLabels: ['a'] }, /requires the target_label/],
    // Prometheus 3 (utf8 names) takes `bad-name` here, which 2.42 refused; only a name that is no
    // UTF-8 (a lone surrogate) is left to refuse.
    [{ sourceLabels: ['a'], targetLabel: 'bad\ud800' }, /invalid target_label/],
    [{ sourceLabels: ['a'], targetLabel: 'b', action: 'hashmod' }, /modulus/],
    [{ sourceLabels: ['a'], action: 'lowercase' }, /requires the target_label/],
    [{ sourceLabels: ['a'], regex: 'x', action: 'labeldrop' }, /only the regex/],
    [{ sourceLabels: ['a'], targetLabel: 'b', regex: 'x', action: 'keepequal' }, /only source_labels and target_label/],
    [{ sourceLabels: [''], targetLabel: 'b' }, /invalid source label/],
    [{ regex: '(.*)', replacement: '', action: 'labelmap' }, /invalid replacement/],
  ])('%j is refused', (partial, msg) => {
    expect(checkRelabelRule(relabelRule(partial))).toMatch(msg);
  });
  it.each<Partial<RelabelRule>>([
    { sourceLabels: ['http.route'], targetLabel: 'service.name' },
    { sourceLabels: ['a'], targetLabel: 'route-${1}' },
    { sourceLabels: ['a'], targetLabel: 'bad-name', action: 'lowercase' },
    { regex: '(.*)', replacement: 'otel.$1', action: 'labelmap' },
  ])('%j is taken, as by Prometheus 3', (partial) => {
    expect(checkRelabelRule(relabelRule(partial))).toBeNull();
  });
});
