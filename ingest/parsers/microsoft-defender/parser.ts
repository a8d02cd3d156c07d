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

function parseDefender(context: ParseContext): ParseResult {
  const doc = parseJsonObject(context.text);
  if (doc !== undefined) {
    const isAlert = pick(doc, 'AlertId', 'alertId') !== undefined || pick(doc, 'ThreatName', 'threatName', 'computerDnsName', 'ComputerDnsName') !== undefined;
    return isAlert ? { event: fromJson(doc, context) } : { failure: 'no_match' };
  }
  const event = context.text.includes('Defender') ? fromText(context) : undefined;
  return event === undefined ? { failure: 'no_match' } : { event };
}

/**
 * Microsoft Defender alerts as forwarded: the JSON of the SIEM API (`AlertId`, `AlertTitle`,
 * `ThreatName`, `ComputerDnsName`, `FileName`, `Sha256`, ...) or of the alerts API (`alertId`,
 * `title`, `threatName`, `computerDnsName`, `evidence[]`), and the text of the Windows events
 * 1116-1119 (`Microsoft Defender Antivirus has detected malware ... Name: ... Path: ...`) relayed
 * by syslog. Mapped after Elastic's microsoft_defender_endpoint: `rule.name` the alert title,
 * `event.severity` 21/47/73/99; the threat name goes to `threat.software.name` (our choice, as for
 * the other antivirus parsers). The alert id is kept in `labels.alert_id` because Watchpost owns
 * `event.id`.
 */
export const microsoftDefenderParser: Parser = {
  id: 'microsoft-defender',
  description: 'Microsoft Defender alerts (JSON as forwarded, or the Windows event text via syslog)',
  programs: ['microsoft-windows-windows defender', 'windows defender', 'microsoft defender'],
  timeResolution:
    'AlertTime/alertCreationTime/Timestamp (RFC 3339, UTC in practice; a zone-less value is read in the source time zone); the text form carries none, so the syslog header or receive time stands.',
  matches(context) {
    const text = context.text;
    if (text.charCodeAt(0) === 123) return text.includes('lertId"') || text.includes('hreatName"') || text.includes('computerDnsName"');
    return text.includes('Defender') && text.includes('Name: ');
  },
  parse: parseDefender,
};
