// Alertmanager's API v2, the parts Prometheus, vmalert, Grafana and amtool use: alerts in, alerts
// and groups out, silences, status and receivers; plus the notifier replicas' gossip endpoint.
// Errors are answered as Alertmanager answers them (a JSON string body with 400/404/500), because
// amtool prints that body to the user.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Matcher } from '../model/index.ts';
import { GOSSIP_PATH, parseMatchers, SilenceError, type GettableAlert, type GossipMessage, type Notifier, type PostableAlert } from '../notify/index.ts';
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
      .filter((g) => f.receiver === null || f.receiver.test(g.receiver.name))
      .map((g) => ({ ...g, alerts: g.alerts.filter((a) => f.keep(a)) }))
      .filter((g) => g.alerts.length > 0);
    sendJson(res, 200, groups);
  });

  add(['GET'], '/api/v2/silences', 'am_silences', ({ res, url }, n) => {
    let matchers: Matcher[];
    try {
      matchers = url.searchParams.getAll('filter').flatMap((s) => parseMatchers(s));
    } catch (e) {
      return amError(res, 400, `bad matcher format: ${(e as Error).message}`);
    }
    // A silence is listed when each filter matcher is satisfied by one of its equality matchers,
    // as Alertmanager does.
    const all = n.gettableSilences().filter((s) => matchers.every((m) => s.matchers.some((sm) => sm.name === m.name && !sm.isRegex && (sm.isEqual ?? true) && m.matches(sm.value))));
    const order = { active: 0, pending: 1, expired: 2 } as const;
    all.sort((a, b) => order[a.status.state] - order[b.status.state] || (a.status.state === 'expired' ? b.endsAt.localeCompare(a.endsAt) : a.endsAt.localeCompare(b.endsAt)));
    sendJson(res, 200, all);
  });

  add(['POST'], '/api/v2/silences', 'am_post_silence', async ({ req, res }, n) => {
    const body = (await jsonBody(req, res, deps.maxRequestBytes)) as Record<string, unknown> | undefined;
    if (body === undefined) return;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return amError(res, 400, 'expected a JSON object (a silence)');
    const startsAt = Date.parse(String(body.startsAt ?? ''));
    const endsAt = Date.parse(String(body.endsAt ?? ''));
    if (Number.isNaN(startsAt) || Number.isNaN(endsAt)) return amError(res, 400, 'startsAt and endsAt must be RFC 3339 times');
    try {
      const id = n.silences.set({
        id: typeof body.id === 'string' && body.id !== '' ? body.id : undefined,
        matchers: body.matchers as never,
        startsAt,
        endsAt,
        createdBy: String(body.createdBy ?? ''),
        comment: String(body.comment ?? ''),
      });
      sendJson(res, 200, { silenceID: id });
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
      versionInfo: { version: deps.version, branch: '', revision: '', buildUser: '', buildDate: '', goVersion: `node ${process.version}` },
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

interface AlertFilter {
  receiver: RegExp | null;
  keep(a: GettableAlert): boolean;
}

// filter=, receiver= (a regex), active/silenced/inhibited/unprocessed (default true), as in API v2.
function filterOf(url: URL, res: ServerResponse): AlertFilter | null {
  const p = url.searchParams;
  let matchers: Matcher[];
  let receiver: RegExp | null = null;
  try {
    matchers = p.getAll('filter').flatMap((s) => parseMatchers(s));
    const r = p.get('receiver');
    if (r !== null && r !== '') receiver = new RegExp(`^(?:${r})$`);
  } catch (e) {
    amError(res, 400, `bad matcher format: ${(e as Error).message}`);
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
      if (receiver && !a.receivers.some((r) => receiver.test(r.name))) return false;
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
