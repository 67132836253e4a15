// Host collectors: /proc and /sys read the way node_exporter reads them, with its metric names and
// label names, so dashboards and alerts written for node_exporter work on the agent's data.
// Every collector is a plain function writing into an Emitter; the root paths are parameters so
// tests can point them at fixtures.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SampleBatchBuilder, labelsFromRecord, type Labels, type SampleBatch } from '../model/index.ts';
import { hwmon, netclass } from './sysclass.ts';

export interface HostPaths {
  proc: string;
  sys: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = { proc: '/proc', sys: '/sys' };

/** Adds one sample of the metric `name` with `labels` (without __name__). */
export type Emit = (name: string, labels: Record<string, string>, value: number) => void;
export type HostCollector = (emit: Emit, p: HostPaths) => void;

// Linux reports CPU times in USER_HZ ticks, 100 on every architecture node_exporter supports.
const USER_HZ = 100;
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function cpu(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, 'stat'));
  if (text === null) return;
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    for (let i = 0; i < CPU_MODES.length; i++) emit('node_cpu_seconds_total', { cpu: m[1], mode: CPU_MODES[i] }, (f[i] ?? 0) / USER_HZ);
    if (f.length >= 10) {
      emit('node_cpu_guest_seconds_total', { cpu: m[1], mode: 'user' }, f[8] / USER_HZ);
      emit('node_cpu_guest_seconds_total', { cpu: m[1], mode: 'nice' }, f[9] / USER_HZ);
    }
  }
}

// node_exporter's stat collector: boot time, context switches, forks, interrupts, process states.
function stat(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, 'stat'));
  if (text === null) return;
  for (const line of text.split('\n')) {
    const [key, v] = line.split(/\s+/, 2);
    const n = Number(v);
    if (key === 'btime') emit('node_boot_time_seconds', {}, n);
    else if (key === 'ctxt') emit('node_context_switches_total', {}, n);
    else if (key === 'processes') emit('node_forks_total', {}, n);
    else if (key === 'intr') emit('node_intr_total', {}, n);
    else if (key === 'procs_running') emit('node_procs_running', {}, n);
    else if (key === 'procs_blocked') emit('node_procs_blocked', {}, n);
  }
}

function meminfo(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, 'meminfo'));
  if (text === null) return;
  for (const line of text.split('\n')) {
    const m = /^([^:]+):\s+(\d+)(\s+kB)?$/.exec(line.trim());
    if (!m) continue;
    // "Active(anon)" becomes "Active_anon", as node_exporter names it.
    const key = m[1].replace(/\((.*)\)/, '_$1');
    if (m[3] !== undefined) emit(`node_memory_${key}_bytes`, {}, Number(m[2]) * 1024);
    else emit(`node_memory_${key}`, {}, Number(m[2]));
  }
}

function loadavg(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, 'loadavg'));
  if (text === null) return;
  const f = text.trim().split(/\s+/).map(Number);
  emit('node_load1', {}, f[0]);
  emit('node_load5', {}, f[1]);
  emit('node_load15', {}, f[2]);
}

// node_exporter's default device exclusion: partitions, ram and loop devices.
const DISK_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;
const SECTOR = 512;
// [field index after the device name, metric, scale]
const DISK_FIELDS: readonly (readonly [number, string, number])[] = [
  [0, 'node_disk_reads_completed_total', 1],
  [1, 'node_disk_reads_merged_total', 1],
  [2, 'node_disk_read_bytes_total', SECTOR],
  [3, 'node_disk_read_time_seconds_total', 0.001],
  [4, 'node_disk_writes_completed_total', 1],
  [5, 'node_disk_writes_merged_total', 1],
  [6, 'node_disk_written_bytes_total', SECTOR],
  [7, 'node_disk_write_time_seconds_total', 0.001],
  [8, 'node_disk_io_now', 1],
  [9, 'node_disk_io_time_seconds_total', 0.001],
  [10, 'node_disk_io_time_weighted_seconds_total', 0.001],
  [11, 'node_disk_discards_completed_total', 1],
  [12, 'node_disk_discards_merged_total', 1],
  [13, 'node_disk_discarded_sectors_total', 1],
  [14, 'node_disk_discard_time_seconds_total', 0.001],
  [15, 'node_disk_flush_requests_total', 1],
  [16, 'node_disk_flush_requests_time_seconds_total', 0.001],
];

function diskstats(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, 'diskstats'));
  if (text === null) return;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const device = f[2];
    if (DISK_EXCLUDE.test(device)) continue;
    for (const [i, name, scale] of DISK_FIELDS) {
      const v = f[3 + i];
      if (v !== undefined) emit(name, { device }, Number(v) * scale);
    }
  }
}

const FS_MOUNT_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;
const FS_TYPE_EXCLUDE = /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;

// /proc/self/mounts escapes spaces and such as octal (\040).
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function filesystem(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, '1/mounts')) ?? read(path.join(p.proc, 'self/mounts'));
  if (text === null) return;
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 4) continue;
    const device = unescapeMount(f[0]);
    const mountpoint = unescapeMount(f[1]);
    const fstype = f[2];
    if (FS_MOUNT_EXCLUDE.test(mountpoint) || FS_TYPE_EXCLUDE.test(fstype)) continue;
    const key = `${device}\0${mountpoint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const labels = { device, fstype, mountpoint };
    const ro = f[3].split(',').includes('ro') ? 1 : 0;
    let st: fs.StatsFs;
    try {
      st = fs.statfsSync(mountpoint);
    } catch {
      emit('node_filesystem_device_error', labels, 1);
      continue;
    }
    emit('node_filesystem_device_error', labels, 0);
    emit('node_filesystem_size_bytes', labels, st.blocks * st.bsize);
    emit('node_filesystem_free_bytes', labels, st.bfree * st.bsize);
    emit('node_filesystem_avail_bytes', labels, st.bavail * st.bsize);
    emit('node_filesystem_files', labels, st.files);
    emit('node_filesystem_files_free', labels, st.ffree);
    emit('node_filesystem_readonly', labels, ro);
  }
}

const NET_RX = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'] as const;
const NET_TX = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'] as const;

function netdev(emit: Emit, p: HostPaths): void {
  const text = read(path.join(p.proc, 'net/dev'));
  if (text === null) return;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    for (let i = 0; i < NET_RX.length; i++) emit(`node_network_receive_${NET_RX[i]}_total`, { device }, f[i]);
    for (let i = 0; i < NET_TX.length; i++) emit(`node_network_transmit_${NET_TX[i]}_total`, { device }, f[8 + i]);
  }
}

// The fields node_exporter's netstat collector exports by default.
const NETSTAT_FIELDS = /^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$/;

function netstat(emit: Emit, p: HostPaths): void {
  // snmp and netstat: pairs of lines "Proto: names..." / "Proto: values...".
  for (const file of ['net/netstat', 'net/snmp']) {
    const text = read(path.join(p.proc, file));
    if (text === null) continue;
    const lines = text.split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i].split(/\s+/);
      const values = lines[i + 1].split(/\s+/);
      const proto = names[0].replace(/:$/, '');
      for (let k = 1; k < names.length && k < values.length; k++) {
        const key = `${proto}_${names[k]}`;
        if (NETSTAT_FIELDS.test(key)) emit(`node_netstat_${key}`, {}, Number(values[k]));
      }
    }
  }
  const snmp6 = read(path.join(p.proc, 'net/snmp6'));
  if (snmp6 !== null) {
    for (const line of snmp6.split('\n')) {
      const m = /^(Ip6|Icmp6|Udp6|UdpLite6)(\S+)\s+(\d+)$/.exec(line.trim());
      if (!m) continue;
      const key = `${m[1]}_${m[2]}`;
      if (NETSTAT_FIELDS.test(key)) emit(`node_netstat_${key}`, {}, Number(m[3]));
    }
  }
}

function uname(emit: Emit, p: HostPaths): void {
  const domain = (read(path.join(p.proc, 'sys/kernel/domainname')) ?? '(none)').trim();
  emit('node_uname_info', {
    domainname: domain, machine: os.machine(), nodename: os.hostname(), release: os.release(), sysname: os.type(), version: os.version(),
  }, 1);
}

function time(emit: Emit, p: HostPaths): void {
  emit('node_time_seconds', {}, Date.now() / 1000);
  const zone = Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(new Date()).find((x) => x.type === 'timeZoneName')?.value ?? 'UTC';
  emit('node_time_zone_offset_seconds', { time_zone: zone }, -new Date().getTimezoneOffset() * 60);
  const dir = path.join(p.sys, 'devices/system/clocksource');
  let sources: string[] = [];
  try {
    sources = fs.readdirSync(dir).filter((d) => /^clocksource\d+$/.test(d));
  } catch {
    // no clocksource information (e.g. some containers)
  }
  for (const d of sources) {
    const device = d.slice('clocksource'.length);
    for (const clocksource of (read(path.join(dir, d, 'available_clocksource')) ?? '').trim().split(/\s+/).filter(Boolean)) {
      emit('node_time_clocksource_available_info', { clocksource, device }, 1);
    }
    const current = (read(path.join(dir, d, 'current_clocksource')) ?? '').trim();
    if (current !== '') emit('node_time_clocksource_current_info', { clocksource: current, device }, 1);
  }
}

function pressure(emit: Emit, p: HostPaths): void {
  for (const res of ['cpu', 'io', 'memory', 'irq'] as const) {
    const text = read(path.join(p.proc, 'pressure', res));
    if (text === null) continue;
    for (const line of text.split('\n')) {
      const m = /^(some|full) .*total=(\d+)/.exec(line);
      if (!m) continue;
      // "some": at least one task waited; "full": all non-idle tasks stalled. Totals are in µs.
      const kind = m[1] === 'some' ? 'waiting' : 'stalled';
      // node_exporter reports "full" for cpu not at all, and only "full" for irq.
      if ((res === 'irq' && kind === 'waiting') || (res === 'cpu' && kind === 'stalled')) continue;
      emit(`node_pressure_${res}_${kind}_seconds_total`, {}, Number(m[2]) / 1e6);
    }
  }
}

export const HOST_COLLECTOR_FUNCS: Readonly<Record<string, HostCollector>> = {
  cpu, stat, meminfo, loadavg, diskstats, filesystem, netdev, netstat, uname, time, pressure, netclass, hwmon,
};

/**
 * A producer running the named collectors and labelling every series with `extraLabels` (e.g. job
 * and instance, which a scrape of node_exporter would add).
 */
export function hostProducer(names: readonly string[], extraLabels: Record<string, string>, paths: HostPaths = DEFAULT_HOST_PATHS): (nowMs: number) => SampleBatch {
  const collectors = names.map((n) => {
    const c = HOST_COLLECTOR_FUNCS[n];
    if (c === undefined) throw new Error(`unknown host collector ${JSON.stringify(n)}`);
    return c;
  });
  // Label sets are built once per distinct series and reused across rounds.
  const cache = new Map<string, Labels>();
  return (nowMs: number) => {
    const b = new SampleBatchBuilder(512);
    const emit: Emit = (name, labels, value) => {
      let key = name;
      for (const k in labels) key += `\0${k}\0${labels[k]}`;
      let ls = cache.get(key);
      if (ls === undefined) {
        ls = labelsFromRecord({ ...extraLabels, ...labels, __name__: name });
        cache.set(key, ls);
      }
      b.startSeries(ls);
      b.add(nowMs, value);
    };
    for (const c of collectors) c(emit, paths);
    return b.build();
  };
}
