import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { addRelated, baseName, setFileHash, setFilePath, setLabel } from '../cef/ecs-util.js';
import { parseDeviceTime } from '../cef/time.js';
import { parseJsonObject } from '../json/parser.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

/** Elastic's microsoft_defender_endpoint severity scores. */
const SEVERITY: Readonly<Record<string, number>> = { informational: 21, low: 21, medium: 47, moderate: 47, high: 73, severe: 99, critical: 99 };

/** A field under either spelling (`AlertId` from the SIEM API, `alertId` from the alerts API). */
function pick(doc: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = Object.prototype.hasOwnProperty.call(doc, name) ? doc[name] : undefined;
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return undefined;
}

/** event.type from a remediation action (Quarantine, Remove, Clean, Block, Allow). */
function remediationType(action: string | undefined): EventType[] {
  const word = (action ?? '').toLowerCase();
  if (word.includes('remov') || word.includes('delet')) return ['deletion'];
  if (word.includes('quarantin') || word.includes('block') || word.includes('clean') || word.includes('prevent')) return ['denied'];
  return ['info'];
}

function finish(event: EcsEvent, fields: {
  title?: string; threat?: string; category?: string; severity?: string; host?: string; user?: string; domain?: string;
  path?: string; fileName?: string; time?: string; action?: string; success?: string; dataset: string;
}, context: ParseContext): EcsEvent {
  const malware = fields.threat !== undefined || /malware|virus|ransom|trojan|unwanted/i.test(fields.category ?? '');
  const category: EventCategory[] = malware ? ['malware'] : ['intrusion_detection'];
  if (fields.path !== undefined || fields.fileName !== undefined) category.push('file');
  const severity = fields.severity === undefined ? undefined : SEVERITY[fields.severity.toLowerCase()];
  const success = fields.success?.toLowerCase();
  event.event = {
    ...event.event,
    kind: 'alert',
    category,
    type: remediationType(fields.action),
    ...(fields.action === undefined ? {} : { action: fields.action }),
    ...(success === 'true' ? { outcome: 'success' as const } : success === 'false' ? { outcome: 'failure' as const } : {}),
    ...(severity === undefined ? {} : { severity }),
    module: 'microsoft_defender_endpoint',
    dataset: fields.dataset,
    provider: 'defender',
  };
  event.observer = { ...event.observer, vendor: 'Microsoft', product: 'Defender for Endpoint', type: 'edr' };
  if (fields.title !== undefined) {
    event.rule = { ...event.rule, name: fields.title, ...(fields.category === undefined ? {} : { category: fields.category }) };
    event.message = fields.title;
  } else if (fields.category !== undefined) event.rule = { ...event.rule, category: fields.category };
  if (fields.threat !== undefined) event.threat = { ...event.threat, software: { name: fields.threat, type: 'Malware' } };
  if (fields.host !== undefined) {
    event.host = { ...event.host, name: fields.host.toLowerCase(), hostname: fields.host.split('.')[0]?.toLowerCase() ?? fields.host };
    addRelated(event, 'hosts', event.host.name);
  }
  if (fields.user !== undefined) {
    event.user = { ...event.user, name: fields.user, ...(fields.domain === undefined ? {} : { domain: fields.domain }) };
    addRelated(event, 'user', fields.user);
  }
  setFilePath(event, fields.path);
  if (fields.fileName !== undefined) event.file = { ...event.file, name: fields.fileName };
  const at = fields.time === undefined ? undefined : parseDeviceTime(fields.time, context.timezone, context.record.receivedAt);
  if (at !== undefined) event['@timestamp'] = at;
  return event;
}

function fromJson(doc: Record<string, unknown>, context: ParseContext): EcsEvent {
  const event: EcsEvent = structuredClone(context.base);
  // The alerts API nests the file and user in evidence[]; the SIEM API flattens them.
  const evidence = Array.isArray(doc.evidence) ? doc.evidence.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
  const file = evidence.find((item) => pick(item, 'entityType') === 'File') ?? {};
  const account = evidence.find((item) => pick(item, 'entityType') === 'User') ?? {};
  const directory = pick(doc, 'FilePath', 'filePath') ?? pick(file, 'filePath');
  const fileName = pick(doc, 'FileName', 'fileName') ?? pick(file, 'fileName');
  const path = directory !== undefined && fileName !== undefined && !directory.endsWith(fileName) ? `${directory.replace(/[\\/]$/, '')}\\${fileName}` : directory;
  for (const hash of [pick(doc, 'Sha256', 'sha256') ?? pick(file, 'sha256'), pick(doc, 'Sha1', 'sha1') ?? pick(file, 'sha1'), pick(doc, 'Md5', 'md5')]) setFileHash(event, hash);
  const alertId = pick(doc, 'AlertId', 'alertId', 'id');
  if (alertId !== undefined) setLabel(event, 'alert_id', alertId);
  const incident = pick(doc, 'IncidentId', 'incidentId');
  if (incident !== undefined) setLabel(event, 'incident_id', incident);
  const machine = pick(doc, 'MachineId', 'machineId');
  if (machine !== undefined) setLabel(event, 'machine_id', machine);
  const source = pick(doc, 'DetectionSource', 'detectionSource');
  if (source !== undefined) setLabel(event, 'detection_source', source);
  const user = pick(doc, 'UserName', 'userName') ?? pick(account, 'accountName');
  const domain = pick(doc, 'UserDomain', 'userDomain') ?? pick(account, 'domainName');
  const fields = {
    dataset: 'microsoft_defender_endpoint.log',
    ...opt('title', pick(doc, 'Title', 'title', 'AlertTitle')),
    ...opt('threat', pick(doc, 'ThreatName', 'threatName')),
    ...opt('category', pick(doc, 'Category', 'category')),
    ...opt('severity', pick(doc, 'Severity', 'severity')),
    ...opt('host', pick(doc, 'ComputerDnsName', 'computerDnsName', 'DeviceName', 'deviceName', 'MachineName')),
    ...opt('user', user),
    ...opt('domain', domain),
    ...opt('path', path),
    ...opt('fileName', fileName),
    ...opt('time', pick(doc, 'AlertTime', 'alertCreationTime', 'Timestamp', 'timestamp', 'firstEventTime')),
    ...opt('action', pick(doc, 'RemediationAction', 'remediationAction')),
    ...opt('success', pick(doc, 'RemediationIsSuccess', 'remediationIsSuccess')),
  };
  return finish(event, fields, context);
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** The labels of the Windows event text (1116-1119), in the order Defender writes them. */
const TEXT_LABELS = ['Name', 'ID', 'Severity', 'Category', 'Path', 'Detection Origin', 'Detection Type', 'Detection Source', 'User', 'Process Name', 'Action', 'Action Status', 'Error Code', 'Error description', 'Security intelligence Version', 'Engine Version'];

/** `... Name: Virus:DOS/EICAR_Test_File ID: 2147519003 Severity: Severe ...` → label map. */
export function defenderTextFields(text: string): Map<string, string> {
  const found: { label: string; at: number }[] = [];
  for (const label of TEXT_LABELS) {
    let at = text.indexOf(`${label}: `);
    // A label must start a field: at the start or after white space, not inside "Process Name: ".
    while (at > 0 && !/\s/.test(text[at - 1] as string)) at = text.indexOf(`${label}: `, at + 1);
    if (at >= 0) found.push({ label, at });
  }
  found.sort((a, b) => a.at - b.at);
  const fields = new Map<string, string>();
  found.forEach(({ label, at }, index) => {
    const end = found[index + 1]?.at ?? text.length;
    fields.set(label, text.slice(at + label.length + 2, end).trim());
  });
  return fields;
}

function fromText(context: ParseContext): EcsEvent | undefined {
  const fields = defenderTextFields(context.text);
  const threat = fields.get('Name');
  if (threat === undefined || threat === '') return undefined;
  const event: EcsEvent = structuredClone(context.base);
  const rawUser = fields.get('User');
  const slash = rawUser?.indexOf('\\') ?? -1;
  const user = rawUser === undefined || slash < 0 ? rawUser : rawUser.slice(slash + 1);
  const domain = rawUser === undefined || slash < 0 ? undefined : rawUser.slice(0, slash);
  // Path: file:_C:\Users\x\eicar.com (several targets separated by `;`).
  const path = fields.get('Path')?.split(';')[0]?.replace(/^[a-z]+:_/i, '');
  const process = fields.get('Process Name');
  // The syslog tag names the relaying log, not the process that touched the file.
  delete event.process;
  if (process !== undefined && process !== '' && process !== 'Unknown') event.process = { executable: process, name: baseName(process) };
  const id = fields.get('ID');
  if (id !== undefined) setLabel(event, 'threat_id', id);
  const origin = fields.get('Detection Source');
  if (origin !== undefined) setLabel(event, 'detection_source', origin);
  const status = fields.get('Action Status')?.toLowerCase();
  const action = fields.get('Action');
  const actionFailed = /failed|error/i.test(context.text.slice(0, 200)) && !/no additional actions/i.test(status ?? '');
  const finished = finish(
    event,
    {
      dataset: 'microsoft_defender_endpoint.antivirus',
      title: threat,
      threat,
      ...opt('category', fields.get('Category')),
      ...opt('severity', fields.get('Severity')),
      ...opt('user', user === '' ? undefined : user),
      ...opt('domain', domain === '' ? undefined : domain),
      ...opt('path', path === '' ? undefined : path),
      ...opt('action', action),
      ...(action === undefined ? {} : { success: actionFailed ? 'false' : 'true' }),
    },
    context,
  );
  finished.message = context.text.trim().split(/\s{2,}|\t/)[0] ?? finished.message;
  return finished;
}

/** A Defender operational-log event about the product's own state, by event id. */
interface StateEvent {
  readonly code: string;
  readonly action: string;
  /** Sentences of the event's text (lower case: the description, the short message) that identify it when no id is forwarded. */
  readonly phrases: readonly string[];
  readonly type: EventType[];
  readonly outcome: 'success' | 'failure';
}

/**
 * The protection-state events (Microsoft's "Review event logs and error codes" page), in the
 * order their sentences must be tried: 5004's sentence contains 5007's.
 */
const STATE_EVENTS: readonly StateEvent[] = [
  { code: '5001', action: 'real-time-protection-disabled', phrases: ['real-time protection scanning for malware and other potentially unwanted software was disabled', 'real-time protection is disabled'], type: ['change'], outcome: 'success' },
  { code: '5000', action: 'real-time-protection-enabled', phrases: ['real-time protection scanning for malware and other potentially unwanted software was enabled', 'real-time protection is enabled'], type: ['change'], outcome: 'success' },
  { code: '5004', action: 'real-time-protection-configuration-changed', phrases: ['real-time protection feature configuration has changed'], type: ['change'], outcome: 'success' },
  { code: '5007', action: 'configuration-changed', phrases: ['configuration has changed', 'platform configuration changed'], type: ['change'], outcome: 'success' },
  { code: '5010', action: 'antispyware-disabled', phrases: ['scanning for spyware and other potentially unwanted software is disabled'], type: ['change'], outcome: 'success' },
  { code: '5009', action: 'antispyware-enabled', phrases: ['scanning for spyware and other potentially unwanted software has been enabled', 'scanning for spyware and other potentially unwanted software is enabled'], type: ['change'], outcome: 'success' },
  { code: '5012', action: 'antivirus-disabled', phrases: ['scanning for viruses is disabled'], type: ['change'], outcome: 'success' },
  { code: '5011', action: 'antivirus-enabled', phrases: ['scanning for viruses has been enabled', 'scanning for viruses is enabled'], type: ['change'], outcome: 'success' },
  { code: '5013', action: 'tamper-protection-blocked-change', phrases: ['tamper protection blocked a change'], type: ['change', 'denied'], outcome: 'failure' },
];

/** Longest text searched for a state sentence: they all come first in the event text. */
const MAX_STATE_TEXT = 4096;

/** The state event an id (when forwarded) or else the text names. */
function stateEventOf(id: string | undefined, text: string): StateEvent | undefined {
  if (id !== undefined) return STATE_EVENTS.find((state) => state.code === id);
  const lower = text.slice(0, MAX_STATE_TEXT).toLowerCase();
  return STATE_EVENTS.find((state) => state.phrases.some((phrase) => lower.includes(phrase)));
}

/** `Old value: HKLM\...\DisableRealtimeMonitoring = 0x0 New value: ... = 0x1` of event 5007. */
function configurationValues(text: string): { old?: string; new?: string } {
  const match = /Old value:\s{0,8}([^\t\r\n]{0,1024}?)\s{0,8}New value:\s{0,8}([^\t\r\n]{0,1024})/i.exec(text.slice(0, MAX_STATE_TEXT));
  if (!match) return {};
  const [, before = '', after = ''] = match;
  return { ...(before.trim() === '' ? {} : { old: before.trim() }), ...(after.trim() === '' ? {} : { new: after.trim() }) };
}

/**
 * A protection-state event (5000-5013): event.category configuration, event.code the id,
 * event.action what changed. `message` and the syslog program stay as they came, so rules that
 * search the text of these events (rules/watchpost/antivirus/av_protection_disabled.yml) still
 * find it; 5007's old and new values go to `labels.old_value` and `labels.new_value`.
 */
function stateEvent(event: EcsEvent, state: StateEvent, text: string, host: string | undefined): EcsEvent {
  event.event = {
    ...event.event,
    kind: 'event',
    category: ['configuration'],
    type: [...state.type],
    action: state.action,
    code: state.code,
    outcome: state.outcome,
    module: 'microsoft_defender_endpoint',
    dataset: 'microsoft_defender_endpoint.antivirus',
    provider: 'defender',
  };
  event.observer = { ...event.observer, vendor: 'Microsoft', product: 'Defender for Endpoint', type: 'edr' };
  if (host !== undefined) {
    event.host = { ...event.host, name: host.toLowerCase(), hostname: host.split('.')[0]?.toLowerCase() ?? host };
    addRelated(event, 'hosts', event.host.name);
  }
  if (state.code === '5004' || state.code === '5007') {
    const values = configurationValues(text);
    if (values.old !== undefined) setLabel(event, 'old_value', values.old);
    if (values.new !== undefined) setLabel(event, 'new_value', values.new);
  }
  return event;
}

/** `EventID: 5001`, `EventID=5001`, `Event ID: 5001` as some forwarders write it into the text. */
function textEventId(text: string): string | undefined {
  return /\bEvent ?ID[:=] ?"?(\d{4})\b/i.exec(text.slice(0, MAX_STATE_TEXT))?.[1];
}

/** A field of the Windows event JSON under NXLog's flat names or Winlogbeat's `winlog.*`. */
function windowsField(doc: Record<string, unknown>, flat: readonly string[], nested: string): string | undefined {
  const direct = pick(doc, ...flat);
  if (direct !== undefined) return direct;
  const winlog = doc.winlog;
  return typeof winlog === 'object' && winlog !== null && !Array.isArray(winlog) ? pick(winlog as Record<string, unknown>, nested) : undefined;
}

/**
 * A Windows event as forwarded in JSON (NXLog: `EventID`, `SourceName`, `Hostname`, `Message`;
 * Winlogbeat: `winlog.event_id`, `winlog.provider_name`, `winlog.computer_name`, `message`) of
 * the Defender provider, when it is a state event.
 */
function stateFromJson(doc: Record<string, unknown>, context: ParseContext): EcsEvent | undefined {
  const provider = windowsField(doc, ['SourceName', 'ProviderName', 'Channel'], 'provider_name');
  if (provider === undefined || !provider.includes('Defender')) return undefined;
  const message = pick(doc, 'Message', 'message') ?? '';
  const state = stateEventOf(windowsField(doc, ['EventID'], 'event_id'), message);
  if (state === undefined) return undefined;
  const event: EcsEvent = structuredClone(context.base);
  if (message !== '') event.message = message;
  const written = pick(doc, 'EventTime', 'TimeCreated', '@timestamp');
  // NXLog writes `2026-11-24 10:40:00`, the host's local time without an offset.
  const at = written !== undefined && /^\d{4}-\d\d-\d\d \d/.test(written) ? `${written.slice(0, 10)}T${written.slice(11)}` : written;
  const time = at === undefined ? undefined : parseDeviceTime(at, context.timezone, context.record.receivedAt);
  if (time !== undefined) event['@timestamp'] = time;
  const values = state.code === '5007' || state.code === '5004' ? { old: pick(doc, 'Old Value', 'OldValue'), new: pick(doc, 'New Value', 'NewValue') } : {};
  const result = stateEvent(event, state, message, windowsField(doc, ['Hostname', 'Computer'], 'computer_name'));
  // NXLog forwards the event data as fields of their own.
  if (values.old !== undefined) setLabel(result, 'old_value', values.old);
  if (values.new !== undefined) setLabel(result, 'new_value', values.new);
  return result;
}

/** The text names Defender, or the syslog program does (`Microsoft-Windows-Windows_Defender`: the short messages do not). */
function fromDefender(context: ParseContext): boolean {
  return context.text.includes('Defender') || context.syslog?.appName?.includes('Defender') === true;
}

function parseDefender(context: ParseContext): ParseResult {
  const doc = parseJsonObject(context.text);
  if (doc !== undefined) {
    const isAlert = pick(doc, 'AlertId', 'alertId') !== undefined || pick(doc, 'ThreatName', 'threatName', 'computerDnsName', 'ComputerDnsName') !== undefined;
    if (isAlert) return { event: fromJson(doc, context) };
    const state = stateFromJson(doc, context);
    return state === undefined ? { failure: 'no_match' } : { event: state };
  }
  if (!fromDefender(context)) return { failure: 'no_match' };
  // State events first: a forwarded 5007 may carry `Product Name: ...`, which the detection
  // reader would take for a threat `Name:`.
  const state = stateEventOf(textEventId(context.text), context.text);
  if (state !== undefined) return { event: stateEvent(structuredClone(context.base), state, context.text, undefined) };
  const detection = fromText(context);
  return detection === undefined ? { failure: 'no_match' } : { event: detection };
}

/**
 * Microsoft Defender alerts as forwarded: the JSON of the SIEM API (`AlertId`, `AlertTitle`,
 * `ThreatName`, `ComputerDnsName`, `FileName`, `Sha256`, ...) or of the alerts API (`alertId`,
 * `title`, `threatName`, `computerDnsName`, `evidence[]`), and the text of the Windows events
 * 1116-1119 (`Microsoft Defender Antivirus has detected malware ... Name: ... Path: ...`) relayed
 * by syslog. Mapped after Elastic's microsoft_defender_endpoint: `rule.name` the alert title,
 * `event.severity` 21/47/73/99; the threat name goes to `threat.software.name` (our choice, as for
 * the other antivirus parsers). The alert id is kept in `labels.alert_id` because Watchpost owns
 * `event.id`. The protection-state events of the Defender operational log (5000/5001 real-time
 * protection, 5004/5007 configuration changed, 5009-5012 scanning enabled/disabled, 5013 tamper
 * protection) are read too, as text (by their sentence, or an `EventID` the forwarder wrote) or
 * as NXLog/Winlogbeat JSON (by `EventID` / `winlog.event_id`).
 */
export const microsoftDefenderParser: Parser = {
  id: 'microsoft-defender',
  description: 'Microsoft Defender alerts (JSON as forwarded, or the Windows event text via syslog)',
  programs: ['microsoft-windows-windows defender', 'windows defender', 'microsoft defender'],
  timeResolution:
    'AlertTime/alertCreationTime/Timestamp (RFC 3339, UTC in practice; a zone-less value is read in the source time zone); the text form carries none, so the syslog header or receive time stands.',
  matches(context) {
    const text = context.text;
    if (text.charCodeAt(0) === 123) {
      return text.includes('lertId"') || text.includes('hreatName"') || text.includes('computerDnsName"') || (text.includes('Defender') && (text.includes('EventID"') || text.includes('event_id"')));
    }
    if (!fromDefender(context)) return false;
    return text.includes('Name: ') || text.includes('abled') || text.includes('changed') || text.includes('Tamper protection');
  },
  parse: parseDefender,
};
