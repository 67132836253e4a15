// GET /api/v1/targets and /api/v1/targets/metadata in Prometheus' shape, and POST /-/reload (a
// config reload as SIGHUP does).
import { formatDuration } from '../config/index.ts';
import { compareStrings, getLabel, labelsToRecord, type Matcher } from '../model/index.ts';
import { parseLabelSelector } from '../promql/index.ts';
import { globalUrl, type TargetsSnapshot } from '../scrape/index.ts';
import { badData, ErrorType, sendError, sendSuccess, sendText } from './http.ts';
import type { Router } from './router.ts';

export interface TargetsDeps {
  /** Current targets of the scrape manager. */
  targets(): TargetsSnapshot;
  /** Re-reads the config file and applies it; rejects with a message saying what is wrong. */
  reload(): Promise<void>;
}

// Prometheus answers Go's zero time for a target not scraped yet.
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function registerTargetRoutes(router: Router, deps: TargetsDeps): void {
  router.add(['GET'], '/api/v1/targets', 'targets', ({ res, url }) => {
    const state = (url.searchParams.get('state') ?? '').toLowerCase();
    const pool = url.searchParams.get('scrapePool') ?? '';
    const showActive = state === '' || state === 'any' || state === 'active';
    const showDropped = state === '' || state === 'any' || state === 'dropped';
    const snap = deps.targets();
    const activeTargets = !showActive ? [] : snap.active
      .filter((a) => pool === '' || a.scrapePool === pool)
      .map(({ scrapePool, target: t, status: s }) => ({
        discoveredLabels: labelsToRecord(t.discoveredLabels),
        labels: labelsToRecord(t.labels),
        scrapePool,
        scrapeUrl: t.url,
        globalUrl: globalUrl(t.url),
        lastError: s.lastError,
        lastScrape: s.lastScrape === 0 ? ZERO_TIME : new Date(s.lastScrape).toISOString(),
        lastScrapeDuration: s.lastScrapeDurationMs / 1000,
        health: s.health,
        scrapeInterval: formatDuration(t.intervalMs),
        scrapeTimeout: formatDuration(t.timeoutMs),
      }))
      .sort((a, b) => (a.scrapePool < b.scrapePool ? -1 : a.scrapePool > b.scrapePool ? 1 : a.scrapeUrl < b.scrapeUrl ? -1 : a.scrapeUrl > b.scrapeUrl ? 1 : 0));
    const droppedTargets = !showDropped ? [] : snap.dropped
      .filter((d) => pool === '' || d.job === pool)
      .map((d) => ({ discoveredLabels: labelsToRecord(d.discoveredLabels), scrapePool: d.job }));
    sendSuccess(res, { activeTargets, droppedTargets, droppedTargetCounts: snap.droppedCounts });
  });

  // The jobs the scrape manager runs a pool for, by name (Prometheus 2.42's shape).
  router.add(['GET'], '/api/v1/scrape_pools', 'scrape_pools', ({ res }) => {
    sendSuccess(res, { scrapePools: Object.keys(deps.targets().droppedCounts).sort(compareStrings) });
  });

  router.add(['GET'], '/api/v1/targets/metadata', 'targets_metadata', ({ res, url }) => {
    sendSuccess(res, targetMetadata(deps.targets(), url.searchParams));
  });

  router.add(['POST', 'PUT'], '/-/reload', 'reload', async ({ res }) => {
    try {
      await deps.reload();
    } catch (e) {
      sendError(res, 500, ErrorType.internal, `failed to reload config: ${(e as Error).message}`);
      return;
    }
    sendText(res, 200, '');
  });
}

interface TargetMetadataItem {
  target: Record<string, string>;
  /** Absent when the request named one metric (as Prometheus omits it then). */
  metric?: string;
  type: string;
  help: string;
  unit: string;
}

// Go's int: strconv.Atoi takes an optional sign and decimal digits, within 64 bits.
const GO_INT_RE = /^[+-]?\d+$/;

/**
 * `GET /api/v1/targets/metadata?match_target=&metric=&limit=`: per active target, the metadata it
 * exposed. As in Prometheus, `limit` counts entries but is checked per target (a target's entries
 * are listed whole), a negative limit is no limit, and match_target is a label selector on the
 * target labels that may be `{}`. Prometheus lists targets and families in map order (it varies
 * from call to call); here they come by scrape pool, scrape URL and family name.
 */
function targetMetadata(snap: TargetsSnapshot, params: URLSearchParams): TargetMetadataItem[] {
  let limit = -1;
  const limitText = params.get('limit') ?? '';
  if (limitText !== '') {
    const n = GO_INT_RE.test(limitText) ? BigInt(limitText) : null;
    if (n === null || n > 2n ** 63n - 1n || n < -(2n ** 63n)) throw badData('limit must be a number');
    limit = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
  }
  const matchTarget = params.get('match_target') ?? '';
  let matchers: Matcher[] = [];
  if (matchTarget !== '') {
    try {
      matchers = parseLabelSelector(matchTarget);
    } catch (e) {
      throw badData(`invalid parameter "match_target": ${(e as Error).message}`);
    }
  }
  const metric = params.get('metric') ?? '';
  const targets = snap.active.slice().sort((a, b) => (a.scrapePool < b.scrapePool ? -1 : a.scrapePool > b.scrapePool ? 1 : a.target.url < b.target.url ? -1 : a.target.url > b.target.url ? 1 : 0));
  const out: TargetMetadataItem[] = [];
  for (const t of targets) {
    if (limit >= 0 && out.length >= limit) break;
    if (!matchers.every((m) => m.matches(getLabel(t.target.labels, m.name)))) continue;
    const target = labelsToRecord(t.target.labels);
    for (const md of t.metadata()) {
      if (metric === '') out.push({ target, metric: md.family, type: md.type, help: md.help, unit: md.unit });
      else if (md.family === metric) out.push({ target, type: md.type, help: md.help, unit: md.unit });
    }
  }
  return out;
}
