// High availability without double pages, Alertmanager's way, over plain HTTP between replicas.
//
// Every replica receives every alert (senders post to all replicas) and runs the same groups. Each
// knows its peers' URLs; sorted together with its own URL they give it a position. Before
// consulting the notification log for a flush, the replica at position i waits i × peer_timeout
// (default 15 s): the first replica sends and tells its peers, which then find the notification
// logged and send nothing. If the first replica is down, the second sends after 15 s, and so on.
//
// What is told: each new notification log entry and each silence change, POSTed as a gossip
// message to every peer's gossip endpoint (`/api/strata/notify/gossip`). Messages lost while a peer
// is down are healed by a full-state exchange (push-pull) at start and every minute. Entries merge
// by newest timestamp, silences by newest updatedAt, so the exchange is idempotent and commutative.
import type { Logger } from 'pino';
import type { Clock, Timer } from './clock.ts';
import type { Nflog, NflogEntry } from './nflog.ts';
import type { Silence, Silences } from './silences.ts';

export const GOSSIP_PATH = '/api/strata/notify/gossip';
export const DEFAULT_PEER_TIMEOUT_MS = 15_000;
const PUSH_PULL_INTERVAL_MS = 60_000;

export interface GossipMessage {
  /** The sender's URL. */
  from: string;
  nflog: NflogEntry[];
  silences: Silence[];
  /** A full-state exchange: the reply carries the receiver's full state. */
  full?: boolean;
}

/** Delivers a message to a peer and returns its reply (for full exchanges). */
export type GossipTransport = (peer: string, msg: GossipMessage) => Promise<GossipMessage | undefined>;

export interface ClusterOptions {
  /** This replica's URL, as its peers list it. */
  self: string;
  /** The other replicas' URLs. */
  peers: string[];
  peerTimeoutMs?: number;
  /** How messages travel; HTTP POST to `<peer>/api/strata/notify/gossip` by default. */
  transport?: GossipTransport;
}

export interface Cluster {
  /** This replica's position among all replicas (0 sends first). */
  readonly position: number;
  /** How long this replica waits before consulting the notification log. */
  readonly waitMs: number;
  /** Handles a message from a peer (the gossip endpoint); returns the reply. */
  receive(msg: GossipMessage): GossipMessage;
  /** Full-state exchange with every peer (at start; then every minute). */
  sync(): Promise<void>;
  status(): { name: string; position: number; peers: { address: string; lastSeen: number | null }[] };
  stop(): void;
}

export function httpTransport(timeoutMs = 5000): GossipTransport {
  return async (peer, msg) => {
    const res = await fetch(new URL(GOSSIP_PATH, peer), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(msg),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`peer ${peer}: HTTP ${res.status}`);
    const text = await res.text();
    return text === '' ? undefined : (JSON.parse(text) as GossipMessage);
  };
}

export function createCluster(o: ClusterOptions, nflog: Nflog, silences: Silences, clock: Clock, logger: Logger): Cluster {
  const all = [...new Set([o.self, ...o.peers])].sort();
  const position = all.indexOf(o.self);
  const peers = o.peers.filter((p) => p !== o.self);
  const transport = o.transport ?? httpTransport();
  const lastSeen = new Map<string, number>();
  let stopped = false;

  const mergeIn = (msg: GossipMessage) => {
    if (!msg || typeof msg !== 'object') return;
    if (Array.isArray(msg.nflog)) nflog.merge(msg.nflog);
    if (Array.isArray(msg.silences)) silences.merge(msg.silences);
    if (typeof msg.from === 'string') lastSeen.set(msg.from, clock.now());
  };
  const send = (peer: string, msg: GossipMessage) =>
    transport(peer, msg).then((reply) => {
      if (reply) mergeIn(reply);
    }, (e: unknown) => logger.warn({ peer, err: (e as Error).message }, 'notifier: gossip to peer failed'));

  // Whatever happens here is told to every peer (the log/silence change itself is already durable).
  nflog.onLog((e) => {
    if (!stopped) for (const p of peers) void send(p, { from: o.self, nflog: [e], silences: [] });
  });
  silences.onChange((s) => {
    if (!stopped) for (const p of peers) void send(p, { from: o.self, nflog: [], silences: [s] });
  });

  const full = (): GossipMessage => ({ from: o.self, nflog: nflog.list(), silences: silences.list() });
  let timer: Timer | undefined;
  const sync = async () => {
    await Promise.all(peers.map((p) => send(p, { ...full(), full: true })));
  };
  const loop = () => {
    if (stopped) return;
    void sync().finally(() => {
      if (!stopped) timer = clock.after(PUSH_PULL_INTERVAL_MS, loop);
    });
  };
  if (peers.length > 0) timer = clock.after(PUSH_PULL_INTERVAL_MS, loop);

  return {
    position,
    waitMs: position * (o.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS),
    receive(msg) {
      mergeIn(msg);
      return msg.full ? full() : { from: o.self, nflog: [], silences: [] };
    },
    sync,
    status: () => ({ name: o.self, position, peers: peers.map((p) => ({ address: p, lastSeen: lastSeen.get(p) ?? null })) }),
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
