/**
 * Per-message decoding of the IOS messages detection rules care about: who configured the device
 * and from where, logins and their failures, the commands the configuration logger records,
 * interface state, SSH authentication and ACL log hits. Every pattern is anchored and uses single
 * token or bounded quantifiers, so no message text can make it backtrack badly.
 */
import { isIP } from 'node:net';
import type { EcsEvent, EventCategory, EventOutcome, EventType } from '../../../core/ecs/event.js';

/** What a decoder fills in; the parser turns it into ECS. */
export interface IosFields {
  category?: EventCategory[];
  type?: EventType[];
  action?: string;
  outcome?: EventOutcome;
  reason?: string;
  user?: string;
  sourceIp?: string;
  sourcePort?: number;
  destinationIp?: string;
  destinationPort?: number;
  transport?: string;
  commandLine?: string;
  interfaceName?: string;
  /** The terminal line (`vty0`, `console`) a configuration or session came from. */
  line?: string;
  /** An ACL name (`rule.name`). */
  ruleName?: string;
}

type Decoder = (body: string) => IosFields | undefined;

function ipOf(value: string | undefined): string | undefined {
  return value !== undefined && isIP(value) !== 0 ? value : undefined;
}

function portOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}

/** Terminal line names IOS prints where a user name would be when no user logged in. */
const LINE_NAME = /^(?:vty|tty|con|console|aux|line)\s?\d{0,4}$/i;

/**
 * `Configured from console by admin on vty0 (10.1.1.5)`, `Configured from console by vty0
 * (10.1.1.5)` (no AAA: the line, not a user), `Configured from console by console`,
 * `Configured from memory by admin`.
 */
function configured(body: string): IosFields | undefined {
  const match = /^Configured from (\S{1,128}) by (\S{1,128})(?: on (\S{1,32}))?(?: \(([0-9A-Fa-f.:]{2,45})\))?/.exec(body);
  if (!match) return undefined;
  const [, , by = '', on, address] = match;
  const byLine = LINE_NAME.test(by);
  const line = on ?? (byLine ? by : undefined);
  const sourceIp = ipOf(address);
  return {
    category: ['configuration'],
    type: ['change'],
    action: 'configured',
    outcome: 'success',
    ...(byLine ? {} : { user: by }),
    ...(line === undefined ? {} : { line }),
    ...(sourceIp === undefined ? {} : { sourceIp }),
  };
}

/** The `[key: value]` pairs of the SEC_LOGIN messages, keys in lower case. */
function bracketPairs(body: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const match of body.matchAll(/\[([A-Za-z][A-Za-z ]{0,31}): ([^\]]{0,256})\]/g)) {
    const key = (match[1] as string).toLowerCase();
    if (!pairs.has(key)) pairs.set(key, (match[2] as string).trim());
  }
  return pairs;
}

function login(outcome: EventOutcome, action: string): Decoder {
  return (body) => {
    const pairs = bracketPairs(body);
    const user = pairs.get('user');
    const sourceIp = ipOf(pairs.get('source'));
    const port = portOf(pairs.get('localport'));
    const reason = pairs.get('reason');
    return {
      category: ['authentication'],
      type: ['start'],
      action,
      outcome,
      ...(user === undefined || user === '' ? {} : { user }),
      ...(sourceIp === undefined ? {} : { sourceIp }),
      ...(port === undefined ? {} : { destinationPort: port }),
      ...(reason === undefined || reason === '' ? {} : { reason }),
    };
  };
}

/** `User:admin  logged command:no logging console` (the archive configuration logger). */
function loggedCommand(body: string): IosFields | undefined {
  const match = /^User:(\S{0,128})\s{1,4}logged command:(.*)$/s.exec(body);
  if (!match) return undefined;
  const [, user = '', command = ''] = match;
  return {
    category: ['configuration'],
    type: ['change'],
    action: 'logged-command',
    outcome: 'success',
    ...(user === '' ? {} : { user }),
    ...(command.trim() === '' ? {} : { commandLine: command.trim() }),
  };
}

/** `Interface GigabitEthernet0/1, changed state to down` (also `administratively down`). */
function updown(prefix: string, what: string): Decoder {
  return (body) => {
    if (!body.startsWith(prefix)) return undefined;
    const comma = body.indexOf(', changed state to ', prefix.length);
    if (comma < 0) return undefined;
    const interfaceName = body.slice(prefix.length, comma);
    const state = body.slice(comma + ', changed state to '.length).trim().toLowerCase();
    if (interfaceName === '' || interfaceName.length > 64 || !/^(?:up|down|administratively down|deleted|initializing|testing)$/.test(state)) return undefined;
    return { category: ['network'], type: ['info'], action: `${what}-${state.replace(' ', '-')}`, interfaceName };
  };
}

/**
 * `User 'admin' authentication for SSH2 Session from 10.1.1.5 (tty = 0) using crypto cipher
 * 'aes256-ctr', hmac 'hmac-sha2-256' Succeeded` (or `Failed`).
 */
function ssh2UserAuth(body: string): IosFields | undefined {
  const match = /^User '([^']{0,128})' authentication for SSH2 Session from (\S{1,45})\b.*\b(Succeeded|Failed)\s*$/s.exec(body);
  if (!match) return undefined;
  const [, user = '', address, result] = match;
  const sourceIp = ipOf(address);
  return {
    category: ['authentication'],
    type: ['start'],
    action: 'ssh-user-auth',
    outcome: result === 'Succeeded' ? 'success' : 'failure',
    ...(user === '' ? {} : { user }),
    ...(sourceIp === undefined ? {} : { sourceIp }),
  };
}

/** `User admin has exited tty session 2(10.1.1.5)`. */
function logout(body: string): IosFields | undefined {
  const match = /^User (\S{1,128}) has exited tty session (\d{1,5})(?:\(([0-9A-Fa-f.:]{2,45})\))?/.exec(body);
  if (!match) return undefined;
  const sourceIp = ipOf(match[3]);
  return { category: ['authentication', 'session'], type: ['end'], action: 'logged-off', user: match[1] as string, ...(sourceIp === undefined ? {} : { sourceIp }) };
}

/**
 * `list OUTSIDE-IN denied tcp 203.0.113.5(51234) -> 192.0.2.10(22), 1 packet` (IPACCESSLOGP),
 * `list 101 permitted icmp 10.0.0.1 -> 10.0.0.2 (8/0), 4 packets` (IPACCESSLOGDP), and the
 * protocol-less `list 10 denied 198.51.100.7 1 packet` (IPACCESSLOGNP / IPACCESSLOGS).
 */
function accessLog(body: string): IosFields | undefined {
  const match = /^list (\S{1,64}) (permitted|denied) (?:([a-z0-9]{1,16}) )?([0-9A-Fa-f.:]{2,45})(?:\((\d{1,5})\))?(?: -> ([0-9A-Fa-f.:]{2,45})(?:\((\d{1,5})\))?)?/.exec(body);
  if (!match) return undefined;
  const [, list = '', verdict, protocol, src, srcPort, dst, dstPort] = match;
  const sourceIp = ipOf(src);
  if (sourceIp === undefined) return undefined;
  const destinationIp = ipOf(dst);
  const sourcePort = portOf(srcPort);
  const destinationPort = portOf(dstPort);
  const allowed = verdict === 'permitted';
  return {
    category: ['network'],
    type: ['connection', allowed ? 'allowed' : 'denied'],
    action: allowed ? 'permitted' : 'denied',
    ruleName: list,
    sourceIp,
    ...(sourcePort === undefined ? {} : { sourcePort }),
    ...(destinationIp === undefined ? {} : { destinationIp }),
    ...(destinationPort === undefined ? {} : { destinationPort }),
    ...(protocol === undefined || /^\d+$/.test(protocol) ? {} : { transport: protocol }),
  };
}

/** Decoders by `FACILITY-MNEMONIC`. */
const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  ['SYS-CONFIG_I', configured],
  ['SYS-LOGOUT', logout],
  ['SEC_LOGIN-LOGIN_SUCCESS', login('success', 'logged-on')],
  ['SEC_LOGIN-LOGIN_FAILED', login('failure', 'logon-failed')],
  ['PARSER-CFGLOG_LOGGEDCMD', loggedCommand],
  ['LINK-UPDOWN', updown('Interface ', 'interface')],
  ['LINK-CHANGED', updown('Interface ', 'interface')],
  ['LINEPROTO-UPDOWN', updown('Line protocol on Interface ', 'line-protocol')],
  ['SSH-SSH2_USERAUTH', ssh2UserAuth],
  ['SEC-IPACCESSLOGP', accessLog],
  ['SEC-IPACCESSLOGDP', accessLog],
  ['SEC-IPACCESSLOGNP', accessLog],
  ['SEC-IPACCESSLOGS', accessLog],
  ['IPACL-IPACCESSLOGP', accessLog],
]);

/** The decoded fields of a message, or undefined when it is not one this file knows. */
export function decodeMessage(facility: string, mnemonic: string, body: string): IosFields | undefined {
  const decoder = DECODERS.get(`${facility}-${mnemonic}`);
  return decoder === undefined ? undefined : decoder(body);
}

/** ECS `event.*` additions of decoded fields (the caller merges them into its event). */
export function eventFieldsOf(fields: IosFields): NonNullable<EcsEvent['event']> {
  return {
    ...(fields.category === undefined ? {} : { category: fields.category }),
    ...(fields.type === undefined ? {} : { type: fields.type }),
    ...(fields.action === undefined ? {} : { action: fields.action }),
    ...(fields.outcome === undefined ? {} : { outcome: fields.outcome }),
    ...(fields.reason === undefined ? {} : { reason: fields.reason }),
  };
}
