// Remote read (POST /api/v1/read): Prometheus' ReadRequest in, SAMPLES or STREAMED_XOR_CHUNKS out.
export { createRemoteReadHandler, type RemoteReadDeps, type RemoteReadLimits } from './handler.ts';
