// The push protocols beside remote write, registered on the API's router in one place.
import type { RequestContext, Router } from '../router.ts';
import type { AdmitWrite, WriteDeps } from '../write.ts';
import { handleImportPrometheus } from './import.ts';
import { handleInfluxWrite } from './influx.ts';
import { handleOtlpMetrics } from './otlp.ts';
import { handlePushgateway, newPushgatewayState } from './pushgateway.ts';

export { appendPushed, failedOutcome, type PushOutcome, type PushProtocol } from './ingest.ts';

/** Grouping labels beyond job a Pushgateway path may carry. */
const MAX_GROUPING_LABELS = 16;

/** Adds the Influx, OTLP and Pushgateway endpoints. */
export function registerPushRoutes(router: Router, deps: WriteDeps, admit: AdmitWrite): void {
  const POST = ['POST'];
  const influx = (ctx: RequestContext) => admit(ctx, 'influx', () => handleInfluxWrite(ctx, deps));
  router.add(POST, '/write', 'influx_write', influx);
  router.add(POST, '/api/v2/write', 'influx_write_v2', influx);
  // Influx clients check the server with /ping before writing; InfluxDB answers 204.
  router.add(['GET'], '/ping', 'influx_ping', ({ res }) => {
    res.writeHead(204, { 'X-Influxdb-Version': 'strata' });
    res.end();
  });
  // Backfill over HTTP, data of any age (DB.import: the head takes what its window takes, blocks the rest).
  router.add(POST, '/api/v1/import/prometheus', 'import_prometheus', (ctx) => admit(ctx, 'import', () => handleImportPrometheus(ctx, deps)));
  router.add(POST, '/api/v1/otlp/v1/metrics', 'otlp_metrics', (ctx) => admit(ctx, 'otlp', () => handleOtlpMetrics(ctx, deps)));

  // The router matches fixed segment counts: one route per count (odd ones too, to answer a
  // label without a value with the reason rather than 404).
  const pushgateway = newPushgatewayState(deps.dataDir);
  let pattern = '/metrics/:s0';
  for (let n = 1; n <= 2 * (MAX_GROUPING_LABELS + 1); n++) {
    const count = n;
    router.add(['PUT', 'POST', 'DELETE'], pattern, 'pushgateway', (ctx) => admit(ctx, 'pushgateway', () => {
      const segments: string[] = [];
      for (let i = 0; i < count; i++) segments.push(ctx.pathParams[`s${i}`]);
      return handlePushgateway(ctx, deps, pushgateway, segments);
    }));
    pattern += `/:s${n}`;
  }
}
