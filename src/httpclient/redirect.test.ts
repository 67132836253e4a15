// Go's client redirect rules, which the channels follow for every method and the scraper for GET.
import { describe, expect, it } from 'vitest';
import { redirectFrom, type Hop } from './redirect.ts';

describe('redirectFrom', () => {
  const post: Hop = { url: new URL('http://a.test/hook?x=1'), method: 'POST', body: '{}' };
  const next = (status: number, location: string, hop: Hop = post) => {
    const h = redirectFrom(hop, status, location);
    return h && { url: h.url.href, method: h.method, body: h.body };
  };

  it('repeats the request on 307 and 308, makes a POST a GET without body on 301, 302 and 303', () => {
    expect(next(307, '/new')).toEqual({ url: 'http://a.test/new', method: 'POST', body: '{}' });
    expect(next(308, 'https://b.test/x')).toEqual({ url: 'https://b.test/x', method: 'POST', body: '{}' });
    for (const s of [301, 302, 303]) expect(next(s, 'final')).toEqual({ url: 'http://a.test/final', method: 'GET', body: undefined });
    expect(next(302, '/g', { url: new URL('http://a.test/'), method: 'GET', body: undefined })).toEqual({ url: 'http://a.test/g', method: 'GET', body: undefined });
  });

  it('takes 304, a 3xx without Location and other statuses as the answer', () => {
    expect(next(304, '/x')).toBeUndefined();
    expect(next(302, '')).toBeUndefined();
    expect(next(200, '/x')).toBeUndefined();
    expect(next(400, '/x')).toBeUndefined();
  });
});
