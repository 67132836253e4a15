// Collectors of /sys/class: netclass (network interface properties) and hwmon (hardware sensors:
// temperatures, fans, voltages, power), with node_exporter's metric names, label names and units.
// What they read and how they name it follows node_exporter 1.5 (Debian's package), checked by a
// test running that binary on the same fixture tree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emit, HostPaths } from './host.ts';

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null; // absent, or refused by the driver (EINVAL for carrier on a down link, ...)
  }
}

/** Subdirectories (or links to directories) of dir; none when dir is missing. */
function subdirs(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => {
    try {
      return fs.statSync(path.join(dir, n)).isDirectory();
    } catch {
      return false;
    }
  }).sort();
}

// An integer property file: decimal, or hexadecimal with 0x (flags, dev_id).
function readInt(file: string): number | null {
  const v = readTrimmed(file);
  if (v === null) return null;
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.slice(2), 16);
  return /^[+-]?\d+$/.test(v) ? Number(v) : null;
}

// [file in /sys/class/net/<dev>, metric name after node_network_]
const NETCLASS_INTS: readonly (readonly [string, string])[] = [
  ['addr_assign_type', 'address_assign_type'],
  ['carrier', 'carrier'],
  ['carrier_changes', 'carrier_changes_total'],
  ['carrier_up_count', 'carrier_up_changes_total'],
  ['carrier_down_count', 'carrier_down_changes_total'],
  ['dev_id', 'device_id'],
  ['dormant', 'dormant'],
  ['flags', 'flags'],
  ['ifindex', 'iface_id'],
  ['iflink', 'iface_link'],
  ['link_mode', 'iface_link_mode'],
  ['mtu', 'mtu_bytes'],
  ['name_assign_type', 'name_assign_type'],
  ['netdev_group', 'net_dev_group'],
  ['tx_queue_len', 'transmit_queue_length'],
  ['type', 'protocol_type'],
];

export function netclass(emit: Emit, p: HostPaths): void {
  const dir = path.join(p.sys, 'class/net');
  for (const device of subdirs(dir)) {
    const d = path.join(dir, device);
    const str = (f: string) => readTrimmed(path.join(d, f)) ?? '';
    const operstate = str('operstate');
    emit('node_network_up', { device }, operstate === 'up' ? 1 : 0);
    emit('node_network_info', { address: str('address'), broadcast: str('broadcast'), device, duplex: str('duplex'), ifalias: str('ifalias'), operstate }, 1);
    for (const [file, name] of NETCLASS_INTS) {
      const v = readInt(path.join(d, file));
      if (v !== null) emit(`node_network_${name}`, { device }, v);
    }
    // Mbit/s to bytes/s; -1 (unknown, e.g. virtio) stays negative as node_exporter reports it.
    const speed = readInt(path.join(d, 'speed'));
    if (speed !== null) emit('node_network_speed_bytes', { device }, Math.trunc((speed * 1000 * 1000) / 8));
  }
}

// hwmon: <type><n>_<property> files, e.g. temp1_input, fan2_max, in0_label.
const SENSOR_FILE = /^([^0-9]+)([0-9]*)(?:_(.+))?$/;
const SENSOR_TYPES = new Set(['vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity', 'intrusion']);
// Go's strconv.ParseFloat forms that sysfs values take (no hex floats in sysfs).
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

/** Lower case, anything but [a-z0-9:_] to "_", "_" trimmed off both ends (node_exporter's cleanMetricName). */
function cleanName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9:_]/g, '_').replace(/^_+|_+$/g, '');
}

function parseFloatGo(v: string): number | null {
  if (!FLOAT.test(v)) return null;
  const l = v.toLowerCase().replace(/^\+/, '');
  if (l.endsWith('inf') || l.endsWith('infinity')) return l.startsWith('-') ? -Infinity : Infinity;
  if (l.endsWith('nan')) return NaN;
  return Number(v);
}

// Sensor properties of a directory: sensor ("temp1") -> property ("input", "" for temp1) -> text.
function sensorData(dir: string, into: Map<string, Map<string, string>>): boolean {
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return false;
  }
  for (const f of files) {
    const m = SENSOR_FILE.exec(f);
    if (!m || !SENSOR_TYPES.has(m[1])) continue;
    const num = m[2] === '' ? 0 : Number(m[2]);
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/^\n+|\n+$/g, '');
    } catch {
      continue; // a directory (power/), or unreadable
    }
    const sensor = `${m[1]}${num}`;
    let props = into.get(sensor);
    if (props === undefined) into.set(sensor, (props = new Map()));
    props.set(m[3] ?? '', text);
  }
  return true;
}

function realpath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

// The chip label: stable across reboots, so from the device path (e.g. platform_coretemp_0),
// else the name file, else the hwmonN directory's name.
function chipId(dir: string): string | null {
  const dev = realpath(path.join(dir, 'device'));
  if (dev !== null) {
    const name = cleanName(path.basename(dev));
    const type = cleanName(path.basename(path.dirname(dev)));
    if (type !== '' && name !== '') return `${type}_${name}`;
    if (name !== '') return name;
  }
  const fromFile = cleanName(readRaw(path.join(dir, 'name')) ?? '');
  if (fromFile !== '') return fromFile;
  const real = realpath(dir);
  const base = real === null ? '' : cleanName(path.basename(real));
  return base === '' ? null : base;
}

function readRaw(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

// [metric suffix, scale] of an element of a sensor type, after node_exporter's unit rules.
function unitOf(type: string, element: string): [string, number] | null {
  if (element === 'fault' || element === 'alarm') return ['', 1];
  if (element === 'beep') return ['_enabled', 1];
  if (type === 'in' || type === 'cpu') return ['_volts', 0.001];
  if (type === 'temp' && element !== 'type') return ['_celsius', 0.001];
  if (type === 'curr') return ['_amps', 0.001];
  if (type === 'energy') return ['_joule_total', 1e-6];
  if (type === 'power' && element === 'accuracy') return ['', 1e-6];
  if (type === 'power' && /^average_interval(_min|_max)?$/.test(element)) return ['_seconds', 0.001];
  if (type === 'power') return ['_watt', 1e-6];
  if (type === 'humidity') return ['', 1e-6];
  if (type === 'fan' && ['input', 'min', 'max', 'target'].includes(element)) return ['_rpm', 1];
  return null; // as is
}

export function hwmon(emit: Emit, p: HostPaths): void {
  const root = path.join(p.sys, 'class/hwmon');
  for (const entry of subdirs(root)) {
    const dir = path.join(root, entry);
    const chip = chipId(dir);
    if (chip === null) continue;
    const data = new Map<string, Map<string, string>>();
    if (!sensorData(dir, data)) continue;
    // Older drivers keep their sensor files in the device directory.
    if (fs.existsSync(path.join(dir, 'device'))) sensorData(path.join(dir, 'device'), data);
    const chipName = cleanName(readRaw(path.join(dir, 'name')) ?? '');
    if (chipName !== '') emit('node_hwmon_chip_names', { chip, chip_name: chipName }, 1);
    for (const [sensor, props] of data) {
      const type = SENSOR_FILE.exec(sensor)![1];
      const labels = { chip, sensor };
      const label = props.get('label');
      if (label !== undefined) emit('node_hwmon_sensor_label', { chip, label, sensor }, 1);
      if (type === 'beep_enable') {
        emit('node_hwmon_beep_enabled', labels, props.get('') === '1' ? 1 : 0);
        continue;
      }
      if (type === 'vrm' || type === 'update_interval') {
        const v = parseFloatGo(props.get('') ?? '');
        if (v === null) continue;
        if (type === 'vrm') emit('node_hwmon_voltage_regulator_version', labels, v);
        else emit('node_hwmon_update_interval_seconds', labels, v * 0.001);
        continue;
      }
      for (const [element, text] of props) {
        if (element === 'label') continue;
        let name = `node_hwmon_${type}`;
        // temp1 and temp1_input both mean the reading; with both present the second keeps its suffix.
        if (element === 'input') {
          if (props.has('')) name += '_input';
        } else if (element !== '') {
          name += `_${cleanName(element)}`;
        }
        const v = parseFloatGo(text);
        if (v === null) continue;
        const unit = unitOf(type, element);
        emit(unit === null ? name : name + unit[0], labels, unit === null ? v : v * unit[1]);
      }
    }
  }
}
