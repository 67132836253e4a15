// Prometheus' TSDB admin API: snapshot, delete_series, clean_tombstones, at the paths and with the
// answers of Prometheus started with --web.enable-admin-api. Strata serves them always (as its
// flush endpoint): restrict /api/v1/admin/ at the proxy in front of it (docs/deployment.md).
import type { Logger } from 'pino';
import type { DB } from '../tsdb/index.ts';
import { badData, readBody, readParams, sendSuccess } from './http.ts';
import { parseMatchParams, parseRange } from './params.ts';
import type { RequestContext, Router } from './router.ts';

export interface AdminDeps {
  db: (ctx: RequestContext) => DB;
  logger: Logger;
  maxRequestBytes: number;
}

const POST_PUT = ['POST', 'PUT'];

export function registerAdminRoutes(router: Router, deps: AdminDeps): void {
  router.add(POST_PUT, '/api/v1/admin/tsdb/snapshot', 'snapshot', (ctx) => handleSnapshot(ctx, deps));
  router.add(POST_PUT, '/api/v1/admin/tsdb/delete_series', 'delete_series', (ctx) => handleDeleteSeries(ctx, deps));
  router.add(POST_PUT, '/api/v1/admin/tsdb/clean_tombstones', 'clean_tombstones', (ctx) => handleCleanTombstones(ctx, deps));
}

/** `?skip_head=<bool>`: a snapshot of the blocks, plus the head as a block unless skip_head. Answers its name. */
async function handleSnapshot(ctx: RequestContext, deps: AdminDeps): Promise<void> {
  const params = await adminParams(ctx, deps);
  const skipHead = parseBool(params, 'skip_head');
  const db = deps.db(ctx);
  const started = performance.now();
  const name = await db.snapshot({ skipHead });
  deps.logger.info({ name, skipHead, ms: Math.round(performance.now() - started) }, 'snapshot created');
  sendSuccess(ctx.res, { name });
}

/**
 * `?match[]=<selector>&start=&end=` (times default to all time): deletes the matching series'
 * samples in [start, end]. 204 as Prometheus. Differences, on purpose: a selector must have a
 * matcher not matching the empty string (Prometheus 2.42 accepts `{a=~".*"}` and deletes every
 * series; `{__name__=~".+"}` does that here), and end before start is refused rather than
 * deleting nothing.
 */
async function handleDeleteSeries(ctx: RequestContext, deps: AdminDeps): Promise<void> {
  const params = await adminParams(ctx, deps);
  const selectors = parseMatchParams(params, true);
  const { start, end } = parseRange(params);
  const db = deps.db(ctx);
  for (const matchers of selectors) await db.deleteSeries(matchers, start, end);
  ctx.res.writeHead(204).end();
}

/** Rewrites blocks that have tombstones without the deleted samples. 204 as Prometheus. */
async function handleCleanTombstones(ctx: RequestContext, deps: AdminDeps): Promise<void> {
  const db = deps.db(ctx);
  const started = performance.now();
  await db.cleanTombstones();
  deps.logger.info({ ms: Math.round(performance.now() - started) }, 'tombstones cleaned');
  ctx.res.writeHead(204).end();
}

/**
 * Query string and form body. Go's ParseForm, which Prometheus reads these with, takes a
 * urlencoded body with PUT as with POST (readParams, shared with the read API, only with POST).
 */
async function adminParams(ctx: RequestContext, deps: AdminDeps): Promise<URLSearchParams> {
  if (ctx.req.method !== 'PUT') return readParams(ctx.req, ctx.url, deps.maxRequestBytes);
  const params = new URLSearchParams(ctx.url.searchParams);
  const body = await readBody(ctx.req, deps.maxRequestBytes);
  const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
  return params;
}

// Go's strconv.ParseBool, which Prometheus parses skip_head with; absent or empty is false.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseBool(params: URLSearchParams, name: string): boolean {
  const s = params.get(name);
  if (s === null || s === '' || FALSE.has(s)) return false;
  if (TRUE.has(s)) return true;
  throw badData(`invalid parameter "${name}": unable to parse boolean: ${JSON.stringify(s)} is not one of true, false, 1, 0, t, f`);
}
