import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { scanBsdTimestamp, toIso, zonedWallToUtc } from '../../syslog/timestamp.js';
import { baseName, setFilePath, setLabel, toCount } from '../cef/ecs-util.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

const PROGRAMS = ['clamd', 'clamscan', 'freshclam', 'clamonacc', 'clamav-milter', 'clamdscan'] as const;

interface Classified {
  kind: 'alert' | 'event' | 'metric';
  category: EventCategory[];
  type: EventType[];
  action: string;
  outcome?: 'success' | 'failure';
}

/** `Tue Nov 24 10:00:00 2026 -> ` (clamd/freshclam LogTime in their own log file), read in the source zone. */
function stripLogTime(text: string, zone: string): { text: string; timestamp?: string } {
  const arrow = text.indexOf(' -> ');
  if (arrow < 15 || arrow > 40) return { text };
  const scan = scanBsdTimestamp(text, 4);
  if (!scan?.valid || scan.year === undefined || scan.end !== arrow) return { text: text.slice(arrow + 4) };
  const instant = zonedWallToUtc({ year: scan.year, month: scan.month, day: scan.day, hour: scan.hour, minute: scan.minute, second: scan.second, millisecond: 0 }, zone);
  const timestamp = instant === undefined ? undefined : toIso(instant);
  return { text: text.slice(arrow + 4), ...(timestamp === undefined ? {} : { timestamp }) };
}

/** Whether the scanned object is a file (not clamd's `instream(ip@port)`, `fd[12]`, `stream`). */
function isFileTarget(target: string): boolean {
  return !(target.startsWith('instream(') || target.startsWith('stream(') || target === 'stream' || target.startsWith('fd['));
}

/** `Eicar-Test-Signature(44d88612...:68)` (ExtendedDetectionInfo) → name, md5 and size. */
function splitSignature(raw: string): { name: string; md5?: string; size?: number } {
  const open = raw.lastIndexOf('(');
  if (open <= 0 || !raw.endsWith(')')) return { name: raw };
  const inner = raw.slice(open + 1, -1);
  const colon = inner.indexOf(':');
  const md5 = colon < 0 ? inner : inner.slice(0, colon);
  if (!/^[0-9a-f]{32}$/i.test(md5)) return { name: raw };
  const size = colon < 0 ? undefined : toCount(inner.slice(colon + 1));
  return { name: raw.slice(0, open), md5: md5.toLowerCase(), ...(size === undefined ? {} : { size }) };
}

function applyFile(event: EcsEvent, target: string): void {
  if (isFileTarget(target)) setFilePath(event, target);
  else setLabel(event, 'scan_target', target);
}

/** The per-file result lines of clamd, clamscan and clamonacc: `<path>: <what>`. */
function fileResult(event: EcsEvent, text: string): Classified | undefined {
  if (text.endsWith(' FOUND')) {
    const sep = text.lastIndexOf(': ', text.length - 6);
    if (sep <= 0) return undefined;
    const target = text.slice(0, sep).replace(/^ScanOnAccess: /, '');
    const signature = splitSignature(text.slice(sep + 2, -6).trim());
    if (signature.name === '') return undefined;
    applyFile(event, target);
    event.threat = { ...event.threat, software: { name: signature.name, type: 'Malware' } };
    event.rule = { ...event.rule, name: signature.name };
    if (signature.md5 !== undefined) {
      event.file = { ...event.file, hash: { md5: signature.md5 }, ...(signature.size === undefined ? {} : { size: signature.size }) };
      event.related = { ...event.related, hash: [signature.md5] };
    }
    event.message = `${signature.name} found in ${target}`;
    return { kind: 'alert', category: ['malware', 'file'], type: ['info'], action: 'virus-found', outcome: 'success' };
  }
  if (text.endsWith(': Removed.')) {
    applyFile(event, text.slice(0, -10));
    return { kind: 'event', category: ['malware', 'file'], type: ['deletion'], action: 'file-removed', outcome: 'success' };
  }
  const moved = text.indexOf(": moved to '");
  if (moved > 0 && text.endsWith("'")) {
    applyFile(event, text.slice(0, moved));
    setLabel(event, 'quarantine_path', text.slice(moved + 12, -1));
    return { kind: 'event', category: ['malware', 'file'], type: ['denied'], action: 'file-quarantined', outcome: 'success' };
  }
  if (text.endsWith(': OK')) {
    applyFile(event, text.slice(0, -4));
    return { kind: 'event', category: ['file'], type: ['info'], action: 'file-clean', outcome: 'success' };
  }
  if (text.endsWith(' ERROR') || text.endsWith(': Empty file')) {
    const sep = text.indexOf(': ');
    if (sep <= 0) return undefined;
    applyFile(event, text.slice(0, sep));
    event.error = { message: text.slice(sep + 2).replace(/ ERROR$/, '') };
    return { kind: 'event', category: ['file'], type: ['error'], action: 'scan-error', outcome: 'failure' };
  }
  return undefined;
}

/** Database, self-check and update lines of clamd and freshclam. */
function serviceLine(event: EcsEvent, text: string): Classified | undefined {
  const config = (type: EventType, action: string, outcome?: 'success' | 'failure'): Classified => ({
    kind: 'event',
    category: ['configuration'],
    type: [type],
    action,
    ...(outcome === undefined ? {} : { outcome }),
  });
  if (text.startsWith('SelfCheck: ')) {
    if (text.includes('Database status OK')) return config('info', 'self-check', 'success');
    if (text.includes('modification detected')) return config('change', 'database-modified');
    return config('info', 'self-check');
  }
  if (text.startsWith('Database correctly reloaded') || text.startsWith('Database reloaded')) {
    const signatures = /\((\d+) signatures\)/.exec(text)?.[1];
    if (signatures !== undefined) setLabel(event, 'signatures', signatures);
    return config('change', 'database-reloaded', 'success');
  }
  if (text.startsWith('Reading databases from') || text.startsWith('Reading databases')) return config('info', 'database-loading');
  if (text.startsWith('Database updated')) {
    const signatures = /\((\d+) signatures\)/.exec(text)?.[1];
    if (signatures !== undefined) setLabel(event, 'signatures', signatures);
    return config('change', 'database-updated', 'success');
  }
  const cvd = /^(\S+\.c[vl]d) (updated|database is up[- ]to[- ]date) \(version: (\d+)/.exec(text);
  if (cvd) {
    setLabel(event, 'database', cvd[1] as string);
    setLabel(event, 'database_version', cvd[3] as string);
    return cvd[2] === 'updated' ? config('change', 'database-updated', 'success') : config('info', 'database-up-to-date', 'success');
  }
  if (text.includes('update process started')) return config('start', 'update-started');
  if (text.startsWith('Clamd successfully notified')) return config('info', 'clamd-notified', 'success');
  if (/^(?:ERROR|WARNING|LibClamAV Error|LibClamAV Warning)[: ]/.test(text)) {
    event.error = { message: text.slice(text.indexOf(':') + 1).trim() };
    const error = /error/i.test(text.slice(0, 16));
    return { kind: 'event', category: ['configuration'], type: [error ? 'error' : 'info'], action: error ? 'error' : 'warning', ...(error ? { outcome: 'failure' as const } : {}) };
  }
  return undefined;
}

/** clamscan's `----------- SCAN SUMMARY -----------` block, one `Key: value` per line. */
const SUMMARY_KEYS: Readonly<Record<string, string>> = {
  'Known viruses': 'known_viruses',
  'Engine version': 'engine_version',
  'Scanned directories': 'scanned_directories',
  'Scanned files': 'scanned_files',
  'Infected files': 'infected_files',
  'Total errors': 'total_errors',
  'Data scanned': 'data_scanned',
  'Data read': 'data_read',
  Time: 'scan_time',
  'Start Date': 'start_date',
  'End Date': 'end_date',
};

function summaryLine(event: EcsEvent, text: string): Classified | undefined {
  if (text.includes('SCAN SUMMARY')) return { kind: 'metric', category: ['malware'], type: ['info'], action: 'scan-summary' };
  const colon = text.indexOf(': ');
  if (colon <= 0) return undefined;
  const key = SUMMARY_KEYS[text.slice(0, colon)];
  if (key === undefined) return undefined;
  setLabel(event, key, text.slice(colon + 2).trim());
  return { kind: 'metric', category: ['malware'], type: ['info'], action: 'scan-summary' };
}

/** clamd and clamonacc log alike; a line without a program (a clamscan report file) is `clamav.log`. */
function datasetOf(program: string | undefined): string {
  if (program === 'clamd' || program === 'clamonacc' || program === 'clamdscan') return 'clamav.clamd';
  if (program === 'freshclam' || program === 'clamscan') return `clamav.${program}`;
  return 'clamav.log';
}

function parseClamav(context: ParseContext): ParseResult {
  const program = context.syslog?.appName?.toLowerCase();
  const known = program !== undefined && (PROGRAMS as readonly string[]).includes(program);
  const event: EcsEvent = structuredClone(context.base);
  const { text: body, timestamp } = stripLogTime(context.text.trim(), context.timezone);
  if (body === '') return { failure: 'no_match' };
  const classified = fileResult(event, body) ?? serviceLine(event, body) ?? summaryLine(event, body);
  // A line of a ClamAV program we do not model is still a ClamAV event; anything else is refused.
  if (classified === undefined && !known) return { failure: 'no_match' };
  if (timestamp !== undefined) event['@timestamp'] = timestamp;
  event.event = {
    ...event.event,
    kind: classified?.kind ?? 'event',
    ...(classified === undefined ? {} : { category: classified.category, type: classified.type, action: classified.action }),
    ...(classified?.outcome === undefined ? {} : { outcome: classified.outcome }),
    module: 'clamav',
    dataset: datasetOf(program),
  };
  if (event.message === context.text || event.message === undefined) event.message = body;
  event.observer = { ...event.observer, vendor: 'Cisco Talos', product: 'ClamAV', type: 'antivirus' };
  if (event.file?.path !== undefined && event.file.name === undefined) event.file.name = baseName(event.file.path);
  return { event };
}

/**
 * ClamAV: clamd and clamonacc detections (`<path>: <signature> FOUND`, with the md5:size of
 * ExtendedDetectionInfo), clamscan results (`FOUND`, `Removed.`, `moved to`, `OK`, `ERROR`) and
 * its scan summary, clamd SelfCheck and database reloads, freshclam updates. Elastic ships no
 * ClamAV integration; the mapping follows its other antivirus ones: the signature in
 * `threat.software.name` and `rule.name`, `event.category` malware+file, `event.type` info for a
 * detection, deletion for a removal, denied for a quarantine.
 */
export const clamavParser: Parser = {
  id: 'clamav',
  description: 'ClamAV clamd, clamonacc, clamscan and freshclam logs',
  programs: PROGRAMS,
  timeResolution:
    'The syslog header (year inferred, source time zone) or, in clamd/freshclam log files, the LogTime prefix "Tue Nov 24 10:00:00 2026 -> " read in the source time zone; clamscan output has no time, so the receive time stands.',
  matches(context) {
    const text = context.text;
    if (text.endsWith(' FOUND') || text.endsWith(': Removed.') || text.includes(": moved to '") || text.startsWith('SelfCheck:') || text.startsWith('Database correctly reloaded')) return true;
    // clamscan's report: the summary banner and its `Key: value` lines.
    if (text.includes('SCAN SUMMARY')) return true;
    const colon = text.indexOf(': ');
    return colon > 0 && colon < 20 && SUMMARY_KEYS[text.slice(0, colon)] !== undefined;
  },
  parse: parseClamav,
};
