// The effective configuration as YAML, for /api/v1/status/config. `global`, `alerting`,
// `rule_files` and `scrape_configs` come out as Prometheus prints its own (every field it prints, in its order, defaults filled in,
// secrets as <secret>), so tools and people reading that page see what they know; Strata's own
// sections follow with their units as text. What is printed loads back to the same configuration
// except for the secrets and where Prometheus' own page does not either (an empty relabelling
// separator or replacement is left out, so it reads back as the default).
import { Document, isScalar, isSeq, Scalar, visit } from 'yaml';
import type { AlertingConfig, AlertmanagerConfig } from './alerting.ts';
import type { RelabelRule } from './relabel.ts';
import type { Config } from './schema.ts';
import type { DnsSdConfig, GlobalConfig, HttpClientConfig, HttpSdConfig, ScrapeConfig, StaticConfig, TLSConfig } from './scrape.ts';
import { formatDuration, formatSize } from './units.ts';

// Characters go-yaml's emitter does not write as they are (its is_printable), so it double-quotes.
const NOT_PRINTABLE = /[^\n\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** What Prometheus prints in place of a password or a token. */
export const SECRET = '<secret>';

export function configToYaml(c: Config): string {
  const doc = new Document({
    global: printGlobal(c.global),
    alerting: printAlerting(c.alerting),
    rule_files: c.alerting.ruleFiles.length > 0 ? c.alerting.ruleFiles : undefined,
    // As Prometheus 3 (2.42 has no scrape_config_files): the file patterns, and the main file's
    // jobs only; the jobs read from those files are not part of the page.
    scrape_config_files: c.scrapeConfigFiles.length > 0 ? c.scrapeConfigFiles : undefined,
    scrape_configs: c.mainScrapeConfigCount > 0 ? c.scrapeConfigs.slice(0, c.mainScrapeConfigCount).map(printScrapeConfig) : undefined,
    server: {
      listen: c.server.listen,
      max_request_bytes: formatSize(c.server.maxRequestBytes),
      max_decoded_bytes: formatSize(c.server.maxDecodedBytes),
      read_timeout: formatDuration(c.server.readTimeoutMs),
      shutdown_timeout: formatDuration(c.server.shutdownTimeoutMs),
      external_url: c.server.externalUrl,
      max_concurrent_writes: c.server.maxConcurrentWrites,
      write_queue_length: c.server.writeQueueLength,
      write_queue_timeout: formatDuration(c.server.writeQueueTimeoutMs),
    },
    query: {
      lookback_delta: formatDuration(c.query.lookbackDeltaMs),
      timeout: formatDuration(c.query.timeoutMs),
      max_samples: c.query.maxSamples,
      max_concurrency: c.query.maxConcurrency,
      remote_read_sample_limit: c.query.remoteReadSampleLimit,
      remote_read_concurrent_limit: c.query.remoteReadConcurrentLimit,
      remote_read_max_bytes_in_frame: formatSize(c.query.remoteReadMaxBytesInFrame),
    },
    storage: {
      path: c.storage.path,
      retention: formatDuration(c.storage.retentionMs),
      block_range: formatDuration(c.storage.blockRangeMs),
      out_of_order_window: formatDuration(c.storage.outOfOrderWindowMs),
      wal: { fsync: c.storage.wal.fsync, segment_size: formatSize(c.storage.wal.segmentSize) },
    },
    limits: {
      max_series: c.limits.maxSeries,
      max_series_per_metric: c.limits.maxSeriesPerMetric,
      max_labels_per_series: c.limits.maxLabelsPerSeries,
      max_label_name_length: c.limits.maxLabelNameLength,
      max_label_value_length: c.limits.maxLabelValueLength,
      max_future: formatDuration(c.limits.maxFutureMs),
    },
    self_monitoring: { enabled: c.selfMonitoring.enabled, interval: formatDuration(c.selfMonitoring.intervalMs) },
    log: { level: c.log.level, format: c.log.format },
    ...printRulesAndNotifier(c.alerting),
    // `agent` is left out: the server ignores it.
  }, { aliasDuplicateObjects: false, version: '1.1' });
  // The YAML 1.1 patterns by which a plain scalar reads as a bool, number, null or timestamp.
  const implicitTags = doc.schema.tags.flatMap((t) => (t.test !== undefined && t.default !== false ? [t.test] : []));
  // Prometheus writes relabelling source labels inline (`source_labels: [a, b]`).
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'source_labels' && isSeq(pair.value)) pair.value.flow = true;
    },
    // Go's YAML library double-quotes a string that would read back as another type ("on", "1",
    // "") or holds a character it does not print as is (a tab), and single-quotes one that cannot
    // be written plain for its characters (`'@'`, `','`, `' x'`).
    Scalar(_, node) {
      const v = node.value;
      if (typeof v === 'string' && (NOT_PRINTABLE.test(v) || implicitTags.some((re) => re.test(v)))) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  // Written as Go's YAML library writes it: sequences not indented under their key, no anchors for
  // repeated values, YAML 1.1 quoting (so a label value "y" stays a string for a 1.1 reader).
  return doc.toString({ indentSeq: false, flowCollectionPadding: false, singleQuote: true });
}


// In the order of Prometheus 3's GlobalConfig. 2.42 has no global scrape_protocols nor limits (it
// refuses them) and no rule_query_offset; Prometheus 3 leaves them out when unset, as here (its
// releases from 2.49 until the scrape_native_histograms change filled in and printed the default
// scrape_protocols).
function printGlobal(g: GlobalConfig): Record<string, unknown> {
  return {
    scrape_interval: promDuration(g.scrapeIntervalMs),
    scrape_timeout: promDuration(g.scrapeTimeoutMs),
    scrape_protocols: g.scrapeProtocols ?? undefined,
    evaluation_interval: promDuration(g.evaluationIntervalMs),
    rule_query_offset: g.ruleQueryOffsetMs > 0 ? promDuration(g.ruleQueryOffsetMs) : undefined,
    external_labels: goMap(g.externalLabels),
    body_size_limit: g.bodySizeLimit > 0 ? base2Bytes(g.bodySizeLimit) : undefined,
    sample_limit: g.sampleLimit || undefined,
    target_limit: g.targetLimit || undefined,
    label_limit: g.labelLimit || undefined,
    label_name_length_limit: g.labelNameLengthLimit || undefined,
    label_value_length_limit: g.labelValueLengthLimit || undefined,
    // Only when set. (Prometheus 3 fills in and prints utf8 when unset; left out here so that the
    // global section of a file without it prints as Prometheus 2.42 prints it.)
    metric_name_validation_scheme: g.metricNameValidationScheme ?? undefined,
    metric_name_escaping_scheme: g.metricNameEscapingScheme ?? undefined,
  };
}

// Fields in the order of Prometheus' ScrapeConfig; those it leaves out when empty or zero are left
// out here too (undefined values are not printed).
function printScrapeConfig(j: ScrapeConfig): Record<string, unknown> {
  return {
    job_name: j.jobName,
    honor_labels: j.honorLabels || undefined,
    honor_timestamps: j.honorTimestamps,
    track_timestamps_staleness: j.trackTimestampsStaleness,
    params: goMap(j.params),
    scrape_interval: promDuration(j.scrapeIntervalMs),
    scrape_timeout: promDuration(j.scrapeTimeoutMs),
    scrape_protocols: j.scrapeProtocols,
    // Not printed when unset; Strata keeps only the effective one, so its default counts as unset.
    fallback_scrape_protocol: j.fallbackScrapeProtocol === 'PrometheusText0.0.4' ? undefined : j.fallbackScrapeProtocol,
    metrics_path: j.metricsPath,
    scheme: j.scheme,
    enable_compression: j.enableCompression,
    body_size_limit: j.bodySizeLimit > 0 ? base2Bytes(j.bodySizeLimit) : undefined,
    sample_limit: j.sampleLimit || undefined,
    target_limit: j.targetLimit || undefined,
    label_limit: j.labelLimit || undefined,
    label_name_length_limit: j.labelNameLengthLimit || undefined,
    label_value_length_limit: j.labelValueLengthLimit || undefined,
    keep_dropped_targets: j.keepDroppedTargets || undefined,
    // Both filled in by Prometheus 3 (from global, or allow-utf-8/underscores by the validation).
    metric_name_validation_scheme: j.metricNameValidationScheme,
    metric_name_escaping_scheme: j.metricNameEscapingScheme,
    ...printHttpClient(j),
    relabel_configs: j.relabelConfigs.length > 0 ? j.relabelConfigs.map(printRelabelRule) : undefined,
    metric_relabel_configs: j.metricRelabelConfigs.length > 0 ? j.metricRelabelConfigs.map(printRelabelRule) : undefined,
    ...printDiscovery(j),
  };
}

/**
 * The HTTP client settings of a scrape job or an Alertmanager set, as Prometheus' common
 * HTTPClientConfig prints them inline: in its field order, secrets as <secret>, bearer_token as the
 * authorization it was turned into.
 */
function printHttpClient(c: HttpClientConfig): Record<string, unknown> {
  return {
    basic_auth: c.basicAuth === null ? undefined : {
      username: c.basicAuth.username,
      password: secret(c.basicAuth.password),
      password_file: c.basicAuth.passwordFile || undefined,
    },
    authorization: c.authorization === null ? undefined : {
      type: c.authorization.type,
      credentials: secret(c.authorization.credentials),
      credentials_file: c.authorization.credentialsFile || undefined,
    },
    oauth2: c.oauth2 === null ? undefined : {
      client_id: c.oauth2.clientId,
      client_secret: secret(c.oauth2.clientSecret),
      client_secret_file: c.oauth2.clientSecretFile || undefined,
      scopes: c.oauth2.scopes.length > 0 ? c.oauth2.scopes : undefined,
      token_url: c.oauth2.tokenUrl,
      endpoint_params: goMap(c.oauth2.endpointParams),
      tls_config: printTls(c.oauth2.tlsConfig),
      ...printProxy(c.oauth2),
    },
    tls_config: printTls(c.tlsConfig),
    follow_redirects: c.followRedirects,
    enable_http2: c.enableHttp2,
    ...printProxy(c),
    http_headers: goMap(Object.fromEntries(Object.entries(c.httpHeaders).map(([name, h]) => [name, {
      values: h.values.length > 0 ? h.values : undefined,
      secrets: h.secrets.length > 0 ? h.secrets.map(() => SECRET) : undefined,
      files: h.files.length > 0 ? h.files : undefined,
    }]))),
  };
}

/**
 * The service discovery of a scrape job or an Alertmanager set, as Prometheus prints it: last, by
 * the name of the mechanism. A DNS entry's port is printed even when 0 (an SRV entry's), as the
 * field has no omitempty in Prometheus.
 */
function printDiscovery(c: {
  staticConfigs: readonly StaticConfig[];
  fileSdConfigs: readonly { files: readonly string[]; refreshIntervalMs: number }[];
  httpSdConfigs: readonly HttpSdConfig[];
  dnsSdConfigs: readonly DnsSdConfig[];
}): Record<string, unknown> {
  return {
    dns_sd_configs: c.dnsSdConfigs.length > 0
      ? c.dnsSdConfigs.map((d) => ({ names: d.names, refresh_interval: promDuration(d.refreshIntervalMs), type: d.type, port: d.port }))
      : undefined,
    file_sd_configs: c.fileSdConfigs.length > 0
      ? c.fileSdConfigs.map((f) => ({ files: f.files, refresh_interval: promDuration(f.refreshIntervalMs) }))
      : undefined,
    http_sd_configs: c.httpSdConfigs.length > 0
      // The HTTP client settings first, as Prometheus inlines them ahead of its own fields.
      ? c.httpSdConfigs.map((h) => ({
        follow_redirects: h.followRedirects, enable_http2: h.enableHttp2, refresh_interval: promDuration(h.refreshIntervalMs), url: h.url,
      }))
      : undefined,
    static_configs: c.staticConfigs.length > 0
      ? c.staticConfigs.map((s) => ({ targets: s.targets, labels: goMap(s.labels) }))
      : undefined,
  };
}

function printTls(t: TLSConfig): Record<string, unknown> | undefined {
  const set = t.caFile !== '' || t.certFile !== '' || t.keyFile !== '' || t.ca !== '' || t.cert !== '' || t.key !== ''
    || t.serverName !== '' || t.insecureSkipVerify || t.minVersion !== '' || t.maxVersion !== '';
  if (!set) return undefined;
  return {
    ca: t.ca || undefined,
    ca_file: t.caFile || undefined,
    cert: t.cert || undefined,
    cert_file: t.certFile || undefined,
    key: secret(t.key),
    key_file: t.keyFile || undefined,
    server_name: t.serverName || undefined,
    insecure_skip_verify: t.insecureSkipVerify,
    min_version: t.minVersion || undefined,
    max_version: t.maxVersion || undefined,
  };
}

function printAlerting(a: AlertingConfig): Record<string, unknown> | undefined {
  if (a.alertmanagers.length === 0 && a.alertRelabelConfigs.length === 0) return undefined;
  return {
    alert_relabel_configs: a.alertRelabelConfigs.length > 0 ? a.alertRelabelConfigs.map(printRelabelRule) : undefined,
    alertmanagers: a.alertmanagers.length > 0 ? a.alertmanagers.map(printAlertmanager) : undefined,
  };
}

// Prometheus' AlertmanagerConfig: the inlined HTTP client settings, its own fields, relabelling,
// then service discovery.
function printAlertmanager(a: AlertmanagerConfig): Record<string, unknown> {
  return {
    ...printHttpClient(a),
    scheme: a.scheme,
    path_prefix: a.pathPrefix || undefined,
    timeout: promDuration(a.timeoutMs),
    api_version: 'v2',
    relabel_configs: a.relabelConfigs.length > 0 ? a.relabelConfigs.map(printRelabelRule) : undefined,
    alert_relabel_configs: a.alertRelabelConfigs.length > 0 ? a.alertRelabelConfigs.map(printRelabelRule) : undefined,
    ...printDiscovery(a),
  };
}

function printRulesAndNotifier(a: AlertingConfig): Record<string, unknown> {
  return {
    rules: {
      for_outage_tolerance: formatDuration(a.rules.forOutageToleranceMs),
      for_grace_period: formatDuration(a.rules.forGracePeriodMs),
      resend_delay: formatDuration(a.rules.resendDelayMs),
    },
    notifier: {
      enabled: a.notifier.enabled,
      config_file: a.notifier.configFile,
      peers: a.notifier.peers,
      peer_timeout: formatDuration(a.notifier.peerTimeoutMs),
    },
  };
}

// As Prometheus' relabel.Config marshals (omitempty): an empty separator or replacement is not
// printed (so the page reads back as `;` and `$1`, in Prometheus too) and an empty regex is
// printed as null.
function printRelabelRule(r: RelabelRule): Record<string, unknown> {
  return {
    source_labels: r.sourceLabels.length > 0 ? r.sourceLabels : undefined,
    separator: r.separator || undefined,
    regex: r.regex === '' ? null : r.regex,
    modulus: r.modulus || undefined,
    target_label: r.targetLabel || undefined,
    replacement: r.replacement || undefined,
    action: r.action,
  };
}

interface ProxyFields {
  proxyUrl: string;
  noProxy: string;
  proxyFromEnvironment: boolean;
  proxyConnectHeaders: Record<string, string[]>;
}

/** The proxy settings of a job or of its oauth2, in Prometheus' order; the header values are secrets. */
function printProxy(p: ProxyFields) {
  return {
    proxy_url: p.proxyUrl === '' ? undefined : redactPassword(p.proxyUrl),
    no_proxy: p.noProxy || undefined,
    proxy_from_environment: p.proxyFromEnvironment || undefined,
    proxy_connect_header: goMap(Object.fromEntries(Object.entries(p.proxyConnectHeaders).map(([k, vs]) => [k, vs.map(() => SECRET)]))),
  };
}

/** A URL with the password of its user info as xxxxx, the rest as written (Go's URL.Redacted, which Prometheus prints). */
export function redactPassword(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  if (m === null) return url;
  const colon = m[2].indexOf(':');
  return colon < 0 ? url : `${m[1]}${m[2].slice(0, colon)}:xxxxx@${url.slice(m[0].length)}`;
}

function secret(s: string): string | undefined {
  return s === '' ? undefined : SECRET;
}

/**
 * A Go map as Prometheus prints it: left out when empty, its keys in the order Go's YAML library
 * sorts them (letters by code point and after any other character, runs of digits by their value:
 * a9 before a10, a_ before a9).
 */
function goMap<T extends object>(o: T): T | undefined {
  const keys = Object.keys(o);
  if (keys.length === 0) return undefined;
  keys.sort((a, b) => (goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, o[k as keyof T]])) as T;
}

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function goKeyLess(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  const code = (c: string) => c.codePointAt(0)!;
  for (let i = 0; i < x.length && i < y.length; i++) {
    if (x[i] === y[i]) continue;
    const xl = LETTER.test(x[i]);
    const yl = LETTER.test(y[i]);
    if (xl && yl) return code(x[i]) < code(y[i]);
    if (xl || yl) return yl;
    // Neither is a letter: the runs of digits from here compare by value (no digits: 0), then by
    // length. As in Go's library, when one of them is a 0 continuing a number with a non-zero digit
    // before it, both runs count from 1.
    let from = 0;
    if (x[i] === '0' || y[i] === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(x[j]); j--) {
        if (x[j] !== '0') {
          from = 1;
          break;
        }
      }
    }
    const run = (r: string[]) => {
      let n = from;
      let end = i;
      for (; end < r.length && DIGIT.test(r[end]); end++) n = n * 10 + (code(r[end]) - 48);
      return { n, end };
    };
    const rx = run(x);
    const ry = run(y);
    if (rx.n !== ry.n) return rx.n < ry.n;
    if (rx.end !== ry.end) return rx.end < ry.end;
    return code(x[i]) < code(y[i]);
  }
  return x.length < y.length;
}

/** Prometheus' duration text: "0s" for zero, else the largest units first ("1m30s", "1w"). */
function promDuration(ms: number): string {
  return ms === 0 ? '0s' : formatDuration(ms);
}

/**
 * Bytes as Prometheus prints a base-2 size: each non-zero 1024-power, largest first, the smallest
 * part in bytes ("10MiB", "1KiB512B").
 */
export function base2Bytes(n: number): string {
  if (n === 0) return '0B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  const parts: string[] = [];
  for (let i = 0; n > 0 && i < units.length; i++) {
    const r = n % 1024;
    if (r !== 0) parts.unshift(`${r}${units[i]}`);
    n = Math.floor(n / 1024);
  }
  return parts.join('');
}
