// Alertmanager's API v2, the parts Prometheus, vmalert, Grafana and amtool use: alerts in, alerts
// and groups out, silences, status and receivers; plus the notifier replicas' gossip endpoint.
// Errors are answered as Alertmanager answers them, because amtool prints that body to the user: a
// JSON string with 400/404/500 for its own checks, an object {code, message} with 400 or 422 for
// what its API spec refuses (a body that does not decode, a required field left out).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newMatcher, type Matcher } from '../model/index.ts';
import { GOSSIP_PATH, isSilenceBodyError, parseMatcher, parsePostableSilence, SilenceError, type GettableAlert, type GossipMessage, type Notifier, type PostableAlert } from '../notify/index.ts';
import { readBody, sendJson, sendText } from './http.ts';
import type { RequestContext, Router } from './router.ts';

export interface AlertmanagerDeps {
  /** null while the server starts (the routes answer 503). */
  notifier: () => Notifier | null;
  /** The configured receivers' names, in file order. */
  receivers: () => string[];
  version: string;
  maxRequestBytes: number;
}

export function registerAlertmanagerRoutes(router: Router, deps: AlertmanagerDeps): void {
  const add = (methods: string[], path: string, name: string, h: (ctx: RequestContext, n: Notifier) => Promise<void> | void) => {
    router.add(methods, path, name, (ctx) => {
      const n = deps.notifier();
      if (n === null) return amError(ctx.res, 503, 'the notifier is starting');
      return h(ctx, n);
    });
  };
  add(['POST'], '/api/v2/alerts', 'am_post_alerts', async ({ req, res }, n) => {
    const body = await jsonBody(req, res, deps.maxRequestBytes);
    if (body === undefined) return;
    if (!Array.isArray(body)) return amError(res, 400, 'expected a JSON array of alerts');
    const { errors } = n.receive(body as PostableAlert[]);
    // As Alertmanager: valid alerts are kept even when others in the batch are refused.
    if (errors.length > 0) return amError(res, 400, errors.join('; '));
    sendText(res, 200, '');
  });

  add(['GET'], '/api/v2/alerts', 'am_alerts', ({ res, url }, n) => {
    const f = filterOf(url, res);
    if (!f) return;
    sendJson(res, 200, n.alerts().filter((a) => f.keep(a)));
  });

  add(['GET'], '/api/v2/alerts/groups', 'am_alert_groups', ({ res, url }, n) => {
    const f = filterOf(url, res);
    if (!f) return;
    const groups = n.groups()
      .filter((g) => f.receiver === null || f.receiver.matches(g.receiver.name))
      .map((g) => ({ ...g, alerts: g.alerts.filter((a) => f.keep(a)) }))
      .filter((g) => g.alerts.length > 0);
    sendJson(res, 200, groups);
  });

  add(['GET'], '/api/v2/silences', 'am_silences', ({ res, url }, n) => {
    let matchers: Matcher[];
    try {
      matchers = url.searchParams.getAll('filter').map(parseMatcher);
    } catch (e) {
      return amError(res, 400, (e as Error).message);
    }
    // A silence is listed when each filter matcher is satisfied by one of its equality matchers,
    // as Alertmanager does.
    const all = n.gettableSilences().filter((s) => matchers.every((m) => s.matchers.some((sm) => sm.name === m.name && !sm.isRegex && (sm.isEqual ?? true) && m.matches(sm.value))));
    const order = { active: 0, pending: 1, expired: 2 } as const;
    all.sort((a, b) => order[a.status.state] - order[b.status.state] || (a.status.state === 'expired' ? b.endsAt.localeCompare(a.endsAt) : a.endsAt.localeCompare(b.endsAt)));
    sendJson(res, 200, all);
  });

  add(['POST'], '/api/v2/silences', 'am_post_silence', async ({ req, res }, n) => {
    const raw = await readBody(req, deps.maxRequestBytes);
    let body: unknown;
    try {
      // An empty body is a missing silence (422), as in Alertmanager; bad JSON does not decode (400).
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch (e) {
      return sendJson(res, 400, { code: 400, message: `parsing silence body failed: ${(e as Error).message}` });
    }
    if (raw.length === 0) return sendJson(res, 422, { code: 602, message: 'silence in body is required' });
    // Alertmanager answers its spec's checks (missing fields, wrong types) with an object
    // {code, message}, and its own checks with a JSON string: amtool and scripts see either.
    const s = parsePostableSilence(body);
    if (isSilenceBodyError(s)) return sendJson(res, s.status, { code: s.code, message: s.message });
    try {
      sendJson(res, 200, { silenceID: n.silences.set(s) });
    } catch (e) {
      if (!(e instanceof SilenceError)) throw e;
      amError(res, e.notFound ? 404 : 400, e.message);
    }
  });

  add(['GET'], '/api/v2/silence/:id', 'am_silence', ({ res, pathParams: params }, n) => {
    const s = n.gettableSilences().find((x) => x.id === params.id);
    if (!s) return amError(res, 404, `silence ${params.id} not found`);
    sendJson(res, 200, s);
  });

  add(['DELETE'], '/api/v2/silence/:id', 'am_delete_silence', ({ res, pathParams: params }, n) => {
    try {
      n.silences.expire(params.id);
    } catch (e) {
      if (!(e instanceof SilenceError)) throw e;
      // Alertmanager 0.25 answers 500 even for an unknown id: its API spec lists no 404 here, so
      // amtool shows the reason only for a 500 (a 404 makes it print a spec mismatch instead).
      return amError(res, 500, e.message);
    }
    sendText(res, 200, '');
  });

  add(['GET'], '/api/v2/status', 'am_status', ({ res }, n) => {
    const st = n.status();
    sendJson(res, 200, {
      cluster: st.cluster ?? { status: 'disabled', peers: [] },
      versionInfo: amVersionInfo(deps.version),
      config: st.config,
      uptime: st.uptime,
    });
  });

  add(['GET'], '/api/v2/receivers', 'am_receivers', ({ res }, n) => {
    sendJson(res, 200, deps.receivers().map((name) => ({ name })));
  });

  add(['POST'], GOSSIP_PATH, 'notify_gossip', async ({ req, res }, n) => {
    const body = await jsonBody(req, res, deps.maxRequestBytes);
    if (body === undefined) return;
    sendJson(res, 200, n.gossip(body as GossipMessage));
  });
}

/** The Alertmanager release whose API v2 and behaviour the notifier follows (docs/alerting-design.md). */
export const ALERTMANAGER_API_VERSION = '0.25.0';

// amtool compares the major.minor of versionInfo.version with its own and warns on every command
// when they differ (or when the version is not semver, as Strata's may be): so `version` is the
// Alertmanager release whose API this is, the only field anything reads. The others say truthfully
// what is answering, in the fields the spec requires; Strata's own build is at
// /api/v1/status/buildinfo.
function amVersionInfo(strataVersion: string) {
  return {
    version: ALERTMANAGER_API_VERSION,
    branch: 'strata',
    revision: `strata ${strataVersion}`,
    buildUser: '',
    buildDate: '',
    goVersion: `none (Strata on Node.js ${process.version})`,
  };
}

interface AlertFilter {
  receiver: Matcher | null;
  keep(a: GettableAlert): boolean;
}

// filter=, receiver= (a regex), active/silenced/inhibited/unprocessed (default true), as in API v2.
function filterOf(url: URL, res: ServerResponse): AlertFilter | null {
  const p = url.searchParams;
  let matchers: Matcher[];
  let receiver: Matcher | null = null;
  const r = p.get('receiver');
  try {
    // One matcher per filter= (labels.ParseMatcher: no braces, no lists), its error as it is.
    matchers = p.getAll('filter').map(parseMatcher);
  } catch (e) {
    amError(res, 400, (e as Error).message);
    return null;
  }
  try {
    // Compiled as Alertmanager's regexp.Compile("^(?:" + receiver + ")$"): Go's syntax, its error
    // text, and `.` stopping at a newline.
    if (r !== null && r !== '') receiver = newMatcher('=~', 'receiver', r, 'alertmanager');
  } catch (e) {
    amError(res, 400, `failed to parse receiver param: ${(e as Error).message}`);
    return null;
  }
  const flag = (k: string) => p.get(k) !== 'false';
  const active = flag('active');
  const silenced = flag('silenced');
  const inhibited = flag('inhibited');
  const unprocessed = flag('unprocessed');
  return {
    receiver,
    keep(a) {
      if (!matchers.every((m) => m.matches(a.labels[m.name] ?? ''))) return false;
      if (receiver && !a.receivers.some((r) => receiver.matches(r.name))) return false;
      const s = a.status;
      if (s.state === 'active' && !active) return false;
      if (s.state === 'unprocessed' && !unprocessed) return false;
      if (s.silencedBy.length > 0 && !silenced) return false;
      if (s.inhibitedBy.length > 0 && !inhibited) return false;
      return true;
    },
  };
}

async function jsonBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<unknown> {
  const raw = await readBody(req, limit);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    amError(res, 400, `invalid JSON: ${(e as Error).message}`);
    return undefined;
  }
}

function amError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, message);
}
