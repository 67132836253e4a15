import { describe, expect, it } from 'vitest';
import { createAdmission } from './admission.ts';

describe('write admission', () => {
  it('admits up to max at once, queues the next in order, and refuses past the queue', async () => {
    const a = createAdmission({ max: 2, queue: 1, timeoutMs: 10_000 });
    const r1 = await a.admit();
    const r2 = await a.admit();
    const order: string[] = [];
    const third = a.admit().then((r) => {
      order.push('third');
      return r;
    });
    await expect(a.admit()).rejects.toMatchObject({ status: 429, reason: 'overloaded', message: expect.stringMatching(/overloaded.*retry later/) });
    expect(a.waiting).toBe(1);
    r1();
    r1(); // releasing twice must not free a second slot
    const r3 = await third;
    expect(order).toEqual(['third']);
    expect(a.active).toBe(2);
    r2();
    r3();
    expect(a.active).toBe(0);
  });

  it('gives up on a request that waited too long', async () => {
    const a = createAdmission({ max: 1, queue: 5, timeoutMs: 20 });
    const held = await a.admit();
    await expect(a.admit()).rejects.toMatchObject({ status: 503, reason: 'queue_timeout', message: expect.stringMatching(/waited 20 ms/) });
    expect(a.waiting).toBe(0);
    held();
    expect(a.active).toBe(0);
  });
});
