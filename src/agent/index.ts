// The host agent: collectors, an on-disk queue and a remote-write sender that survives restarts.
export { Agent, type AgentOptions, type AgentSettings, type Producer } from './agent.ts';
export { DiskQueue, QueueWriteError, type DiskQueueOptions, type FsyncPolicy, type QueueRecord, type QueueStats } from './queue.ts';
export { SELF_JOB, formatMetricsText, registryFamilies, selfMetricsProducer, type MetricFamily } from './selfmetrics.ts';
export { Sender, backoff, type SenderOptions, type SenderStats } from './sender.ts';
export { encodeWriteRequest } from './encode.ts';
