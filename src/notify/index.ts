// The notifier: Alertmanager-compatible routing, grouping, inhibition, silences, a persisted and
// replicated notification log, and delivery with retries through channels (channels/).
export { ChannelError } from './types.ts';
export type { Alert, AlertStatus, Channel, LabelSet, Notification } from './types.ts';
export { ConfigError, loadNotifierConfigFile, parseNotifierConfig } from './config.ts';
export type { GlobalConfig, InhibitRule, NotifierConfig, ReceiverConfig } from './config.ts';
export type { Route } from './route.ts';
export { createNotifier } from './notifier.ts';
export type { Notifier, NotifierOptions } from './notifier.ts';
export type { PostableAlert } from './alerts.ts';
export type { AlertGroupV2, AlertStatusV2, GettableAlert, GettableSilence, PostableSilence, SilenceBodyError } from './apiv2.ts';
export { isSilenceBodyError, parsePostableSilence } from './apiv2.ts';
export { SilenceError } from './silences.ts';
export type { Silence, SilenceMatcher, SilenceState, Silences } from './silences.ts';
export { DEFAULT_PEER_TIMEOUT_MS, GOSSIP_PATH, httpTransport } from './cluster.ts';
export type { ClusterOptions, GossipMessage, GossipTransport } from './cluster.ts';
export { fakeClock, systemClock } from './clock.ts';
export type { Clock, FakeClock } from './clock.ts';
export { fingerprint } from './labels.ts';
export { parseMatcher, parseMatchers } from './matchers.ts';
