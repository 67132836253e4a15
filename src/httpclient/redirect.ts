// Redirects as Go's HTTP client follows them: 301, 302 and 303 turn any method but GET and HEAD
// into a GET without body, 307 and 308 repeat the request as it was; 304 and a 3xx without
// Location are answers. Go gives up after 10.
export const MAX_REDIRECTS = 10;

/**
 * Whether a redirect answer, after `followed` redirects were followed, is one too many: Go's client
 * refuses once the requests made so far (`via`) reach 10, so the 10th redirect answer is the error
 * (`stopped after 10 redirects`) and 9 are followed.
 */
export function tooManyRedirects(followed: number): boolean {
  return followed + 1 >= MAX_REDIRECTS;
}

export interface Hop {
  url: URL;
  method: string;
  body?: string | Buffer;
}

/** The request a response sends the client on to, or undefined when the response is the answer. */
export function redirectFrom(hop: Hop, status: number, location: string): Hop | undefined {
  if (status < 300 || status > 399 || status === 304 || location === '') return undefined;
  const url = new URL(location, hop.url);
  if (status === 307 || status === 308 || hop.method === 'GET' || hop.method === 'HEAD') return { ...hop, url };
  return { url, method: 'GET' };
}
