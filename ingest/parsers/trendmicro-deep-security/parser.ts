import type { EcsEvent, EventCategory, EventType } from '../../../core/ecs/event.js';
import { decodeContext, cefToEcs } from '../cef/map.js';
import type { CefRecord } from '../cef/decode.js';
import { addRelated, setFileHash, setLabel } from '../cef/ecs-util.js';
import type { Parser, ParseContext, ParseResult } from '../parser.js';

/** The Deep Security module an event comes from, told by its signature id range (DS docs). */
export type DeepSecurityLog =
  | 'anti_malware'
  | 'intrusion_prevention'
  | 'firewall'
  | 'integrity_monitoring'
  | 'log_inspection'
  | 'web_reputation'
  | 'application_control'
  | 'system';

/**
 * Signature id ranges: firewall 20-999 (Log Only, Deny, Out of Allowed Policy, ...), IPS 1 000 000+,
 * integrity 2 000 000+, log inspection 3 000 000+, anti-malware 4 000 000+, web reputation
 * 5 000 000+, application control 6 000 000+. The Manager's own events are system events.
 */
export function deepSecurityLog(record: CefRecord): DeepSecurityLog {
  if (record.product.includes('Manager')) return 'system';
  const x = record.extensions;
  if (x.has('TrendMicroDsMalwareTarget') || x.has('TrendMicroDsFileSHA256')) return 'anti_malware';
  const id = /^\d{1,9}$/.test(record.signatureId) ? Number(record.signatureId) : -1;
  if (id >= 6_000_000 && id < 7_000_000) return 'application_control';
  if (id >= 5_000_000) return id < 6_000_000 ? 'web_reputation' : 'system';
  if (id >= 4_000_000) return 'anti_malware';
  if (id >= 3_000_000) return 'log_inspection';
  if (id >= 2_000_000) return 'integrity_monitoring';
  if (id >= 1_000_000) return 'intrusion_prevention';
  if (id >= 20 && id < 1000) return x.has('filePath') ? 'integrity_monitoring' : 'firewall';
  return 'system';
}

function words(value: string | undefined): string {
  return (value ?? '').toLowerCase();
}

/** event.type and outcome of an anti-malware action (Delete, Quarantine, Clean, Deny Access, Pass, ... failed). */
function malwareAction(act: string | undefined): { type: EventType[]; outcome: 'success' | 'failure' | 'unknown' } {
  const action = words(act);
  if (action === '') return { type: ['info'], outcome: 'unknown' };
  const outcome = action.includes('fail') ? 'failure' : 'success';
  if (action.includes('delete')) return { type: ['deletion'], outcome };
  if (action.includes('pass')) return { type: ['info', 'allowed'], outcome };
  if (action.includes('quarantine') || action.includes('clean') || action.includes('deny') || action.includes('terminate') || action.includes('block')) {
    return { type: ['denied'], outcome };
  }
  return { type: ['info'], outcome };
}

function classify(event: EcsEvent, record: CefRecord, log: DeepSecurityLog): void {
  const x = record.extensions;
  const act = x.get('act');
  const action = words(act);
  const e = (event.event ??= {});
  const named = record.name === '' ? undefined : record.name;
  const ruleId = record.signatureId === '' ? undefined : record.signatureId;
  switch (log) {
    case 'anti_malware': {
      const { type, outcome } = malwareAction(act);
      e.kind = 'alert';
      e.category = ['malware', 'file'];
      e.type = type;
      e.outcome = outcome;
      if (named !== undefined) {
        event.threat = { ...event.threat, software: { name: named, type: 'Malware' } };
        event.rule = { ...event.rule, name: named };
        event.message = named;
      }
      setFileHash(event, x.get('TrendMicroDsFileMD5'));
      setFileHash(event, x.get('TrendMicroDsFileSHA1'));
      setFileHash(event, x.get('TrendMicroDsFileSHA256'));
      // msg is the scan type (Realtime, Manual, Scheduled), not a message.
      const scan = x.get('msg');
      if (scan !== undefined && scan !== '') setLabel(event, 'scan_type', scan);
      break;
    }
    case 'intrusion_prevention': {
      e.kind = 'alert';
      e.category = ['intrusion_detection', 'network'];
      // `IDS:` prefixed actions are what Prevent mode would have done; Detect mode let it pass.
      const detectOnly = action.startsWith('ids:') || action === 'log' || action === '';
      e.type = detectOnly ? ['info', 'allowed'] : ['denied'];
      if (named !== undefined) event.rule = { ...event.rule, name: named, ...(ruleId === undefined ? {} : { id: ruleId }) };
      break;
    }
    case 'firewall': {
      e.kind = 'event';
      e.category = ['network'];
      const denied = action.includes('deny') || action.includes('reset') || action.includes('drop') || action.includes('block');
      e.type = ['connection', denied ? 'denied' : 'allowed'];
      if (named !== undefined) event.rule = { ...event.rule, name: named };
      break;
    }
    case 'integrity_monitoring': {
      e.kind = 'event';
      e.category = ['file'];
      const type: EventType = action.includes('creat') ? 'creation' : action.includes('delet') ? 'deletion' : 'change';
      e.type = [type];
      // msg lists the changed attributes (mtime,sha256,size); the rule name reads better.
      if (named !== undefined) event.message = named;
      const changed = x.get('msg');
      if (changed !== undefined && changed !== '') setLabel(event, 'changed_attributes', changed);
      if (named !== undefined) event.rule = { ...event.rule, name: named, ...(ruleId === undefined ? {} : { id: ruleId }) };
      break;
    }
    case 'log_inspection':
    case 'application_control':
    case 'web_reputation':
    case 'system': {
      const category: Record<typeof log, EventCategory[]> = {
        log_inspection: ['host'],
        application_control: ['process'],
        web_reputation: ['network', 'web'],
        system: ['configuration'],
      };
      e.kind = log === 'system' ? 'event' : 'alert';
      e.category = category[log];
      const blocked = action.includes('block') || action.includes('deny');
      e.type = blocked ? ['denied'] : ['info'];
      // The Manager's console sign-ins (600 User Signed In, 601 User Sign-In Failed, ...).
      const lower = record.name.toLowerCase();
      if (log === 'system' && lower.includes('sign')) {
        e.category = ['authentication'];
        e.type = lower.includes('out') ? ['end'] : ['start'];
        e.outcome = lower.includes('fail') ? 'failure' : 'success';
      }
      if (named !== undefined) event.rule = { ...event.rule, name: named, ...(ruleId === undefined ? {} : { id: ruleId }) };
      break;
    }
  }
}

const CONSUMED: ReadonlySet<string> = new Set(['TrendMicroDsFileMD5', 'TrendMicroDsFileSHA1', 'TrendMicroDsFileSHA256', 'sproc']);

/** `TrendMicroDsFrameType` → `frame_type`. */
function stripPrefix(key: string): string {
  const bare = key.startsWith('TrendMicroDs') ? key.slice('TrendMicroDs'.length) : key;
  return bare.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
}

function parseDeepSecurity(context: ParseContext): ParseResult {
  const record = decodeContext(context);
  if (record === undefined || record.vendor !== 'Trend Micro' || !record.product.startsWith('Deep Security')) return { failure: 'no_match' };
  const log = deepSecurityLog(record);
  const event = cefToEcs(record, context, `trendmicro.deep_security_${log}`, { consumed: CONSUMED, labelName: stripPrefix });
  const e = (event.event ??= {});
  e.module = 'trendmicro';
  e.provider = log;
  classify(event, record, log);
  // The agent reports on its own host: dvchost (else dvc) is the protected host, not a peer.
  const host = record.extensions.get('dvchost') ?? record.extensions.get('dvc');
  if (host !== undefined && host !== '') event.host = { ...event.host, name: host, hostname: host };
  const suser = record.extensions.get('suser');
  if (suser !== undefined && suser !== '' && log !== 'firewall' && log !== 'intrusion_prevention') {
    event.user = { ...event.user, name: suser };
    addRelated(event, 'user', suser);
  }
  const sproc = record.extensions.get('sproc');
  if (sproc !== undefined && sproc !== '') event.process = { ...event.process, executable: sproc };
  return { event };
}

/**
 * Trend Micro Deep Security Agent and Manager events in CEF (anti-malware, intrusion prevention,
 * firewall, integrity monitoring, log inspection, web reputation, application control, system),
 * on top of the generic CEF mapping. Elastic ships no Deep Security integration, so the choices
 * are ours: the malware name goes to `threat.software.name` (ECS) and `rule.name` (what the
 * detection rules and dashboards key on), the module to `event.provider` and the dataset
 * `trendmicro.deep_security_<module>`.
 */
export const trendmicroDeepSecurityParser: Parser = {
  id: 'trendmicro-deep-security',
  description: 'Trend Micro Deep Security (Agent and Manager) CEF events',
  programs: ['deep security agent', 'deep security manager', 'ds_agent'],
  timeResolution:
    'rt when present (epoch ms, or "MMM dd yyyy HH:mm:ss" read in the source time zone), else the syslog header (Deep Security sends RFC 3164 headers in the manager time zone, year inferred) or the receive time.',
  matches(context) {
    return context.text.includes('|Trend Micro|Deep Security');
  },
  parse: parseDeepSecurity,
};
