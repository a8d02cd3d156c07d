/**
 * Netfilter kernel log lines: iptables `LOG` and nftables `log prefix` targets, ufw's `[UFW BLOCK]`
 * and Ubiquiti EdgeOS `[ruleset-rule-A|D|R]` prefixes, IPv4 and IPv6.
 */
import type { EcsEvent, EventType } from '../../../core/ecs/event.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

/** Protocol names as netfilter prints them, to ECS `network.transport` (lower case). */
function transportOf(proto: string, ipv6: boolean): string {
  const lower = proto.toLowerCase();
  // Netfilter prints `ICMP` for ICMPv6 too; ECS (and Elastic) call it ipv6-icmp.
  if (lower === 'icmpv6' || (lower === 'icmp' && ipv6)) return 'ipv6-icmp';
  return lower;
}

/** `aa:bb:cc:dd:ee:ff` bytes `from`..`from+6` of a netfilter MAC= value as ECS `AA-BB-CC-DD-EE-FF`. */
function macAt(bytes: readonly string[], from: number): string | undefined {
  if (bytes.length < from + 6) return undefined;
  const part = bytes.slice(from, from + 6);
  for (const byte of part) if (byte.length !== 2) return undefined;
  return part.join('-').toUpperCase();
}

function isAllDigits(value: string): boolean {
  if (value.length === 0 || value.length > 10) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

function portOf(value: string | undefined): number | undefined {
  if (value === undefined || !isAllDigits(value)) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}

/** Where `IN=` starts as a field (at the start, after a space or after a `]` prefix); -1 if nowhere. */
function findIn(text: string): number {
  let at = text.indexOf('IN=');
  while (at >= 0) {
    const before = at === 0 ? 32 : text.charCodeAt(at - 1);
    if (before === 32 || before === 93) return at;
    at = text.indexOf('IN=', at + 3);
  }
  return -1;
}

/** What the log prefix says about the verdict. */
interface Verdict {
  action?: string;
  type?: 'allowed' | 'denied';
  ruleName?: string;
  ruleId?: string;
  ingressZone?: string;
  egressZone?: string;
}

function typeOfWord(action: string): 'allowed' | 'denied' | undefined {
  if (/drop|deny|reject|block/.test(action)) return 'denied';
  if (/accept|allow|pass/.test(action)) return 'allowed';
  return undefined;
}

const UBIQUITI_ACTIONS: Readonly<Record<string, string>> = { A: 'accept', D: 'drop', R: 'reject' };

/**
 * The verdict in the text before `IN=`: Ubiquiti's `[set-rule-X]` glued to `IN=`, ufw's
 * `[UFW BLOCK]`, or a free prefix (`iptables DROP_INPUT:`, `DENY:`, `nft-drop `).
 */
function verdictOf(prefix: string, glued: boolean): Verdict {
  let text = prefix.trim();
  // Kernel uptime `[  307.757925]` is no part of the prefix.
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close > 0 && /^\[\s*\d+\.\d+$/.test(text.slice(0, close))) text = text.slice(close + 1).trim();
  }
  if (text.length === 0) return {};
  if (glued && text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1);
    const ufw = /^UFW ([A-Z]+)$/.exec(inner);
    if (ufw?.[1] !== undefined) {
      const action = ufw[1].toLowerCase();
      const type = typeOfWord(action);
      return type ? { action, type } : { action };
    }
    const last = inner.lastIndexOf('-');
    const code = inner.slice(last + 1);
    const ruleEnd = inner.lastIndexOf('-', last - 1);
    const mapped = UBIQUITI_ACTIONS[code];
    if (last > 0 && ruleEnd > 0 && mapped !== undefined) {
      const ruleName = inner.slice(0, ruleEnd);
      const verdict: Verdict = { action: mapped, ruleName, ruleId: inner.slice(ruleEnd + 1, last) };
      const type = typeOfWord(mapped);
      if (type) verdict.type = type;
      // EdgeOS names zone-policy rulesets `<in>-<out>`.
      const dash = ruleName.indexOf('-');
      if (dash > 0 && dash === ruleName.lastIndexOf('-')) {
        verdict.ingressZone = ruleName.slice(0, dash);
        verdict.egressZone = ruleName.slice(dash + 1);
      }
      return verdict;
    }
    return {};
  }
  if (text.startsWith('[')) {
    // A bracketed prefix separated from IN= (ufw through some relays): take its words.
    const ufw = /^\[UFW ([A-Z]+)\]$/.exec(text);
    if (ufw?.[1] !== undefined) {
      const action = ufw[1].toLowerCase();
      const type = typeOfWord(action);
      return type ? { action, type } : { action };
    }
    return {};
  }
  // The last word of a free prefix, without its trailing colon: `iptables DROP_INPUT:` → drop_input.
  const word = text.slice(text.lastIndexOf(' ') + 1).replace(/:$/, '');
  if (word.length === 0 || word.length > 64) return {};
  const action = word.toLowerCase();
  const type = typeOfWord(action);
  return type ? { action, type } : { action };
}

/** The text after `kernel:` (or the whole text) and before `IN=`. */
function prefixOf(text: string, inAt: number): string {
  const head = text.slice(0, inAt);
  const kernel = head.indexOf('kernel:');
  return kernel >= 0 ? head.slice(kernel + 7) : head;
}

/** The netfilter fields this parser reads; the others (LEN, TTL, ID, flags...) are left in the message. */
interface NetfilterFields {
  IN?: string;
  OUT?: string;
  MAC?: string;
  SRC?: string;
  DST?: string;
  PROTO?: string;
  SPT?: string;
  DPT?: string;
}

/**
 * The first value of each wanted key among the space-separated `KEY=value` tokens of
 * `text[from, end)`. One pass with indexOf, slicing only the values kept: this loop is the
 * parser's hot path.
 */
function tokenize(text: string, from: number, end: number): NetfilterFields {
  const fields: NetfilterFields = {};
  for (let at = from; at < end; ) {
    let stop = text.indexOf(' ', at);
    if (stop < 0 || stop > end) stop = end;
    const eq = text.indexOf('=', at);
    if (eq > at && eq < stop) {
      const key = keyAt(text, at, eq);
      if (key !== undefined && fields[key] === undefined) fields[key] = text.slice(eq + 1, stop);
    }
    at = stop + 1;
  }
  return fields;
}

/** The wanted key spelled by `text[at, eq)`, without slicing it. */
function keyAt(text: string, at: number, eq: number): keyof NetfilterFields | undefined {
  switch (eq - at) {
    case 2:
      return text.startsWith('IN', at) ? 'IN' : undefined;
    case 3:
      if (text.startsWith('OUT', at)) return 'OUT';
      if (text.startsWith('MAC', at)) return 'MAC';
      if (text.startsWith('SRC', at)) return 'SRC';
      if (text.startsWith('DST', at)) return 'DST';
      if (text.startsWith('SPT', at)) return 'SPT';
      return text.startsWith('DPT', at) ? 'DPT' : undefined;
    case 5:
      return text.startsWith('PROTO', at) ? 'PROTO' : undefined;
    default:
      return undefined;
  }
}

/** Parses a netfilter line into an ECS network event. */
function parseNetfilter(context: ParseContext): ParseResult {
  const text = context.text;
  const inAt = findIn(text);
  if (inAt < 0) return { failure: 'no_match' };
  // Key=value tokens up to the first `[` (the quoted header of an ICMP error is not this packet).
  let end = text.indexOf(' [', inAt);
  if (end < 0) end = text.length;
  const fields = tokenize(text, inAt, end);
  const src = fields.SRC;
  const dst = fields.DST;
  if (src === undefined || dst === undefined) return { failure: 'no_match' };
  const glued = inAt > 0 && text.charCodeAt(inAt - 1) === 93;
  let prefix = prefixOf(text, inAt);
  // In a host-less `Jan  8 03:37:09 DENY: IN=...` line the syslog decoder takes `DENY:` as the tag
  // and drops it from the message: the prefix is then the word before IN= in the original.
  if (prefix.trim().length === 0 && context.syslog !== undefined) {
    const original = context.base.event?.original ?? '';
    const at = findIn(original);
    if (at > 0) {
      const head = original.slice(0, at).trimEnd();
      const word = head.slice(head.lastIndexOf(' ') + 1);
      if (word.endsWith(':') && word !== 'kernel:') prefix = word;
    }
  }
  const verdict = verdictOf(prefix, glued);

  // A shallow copy: every nested object this parser changes is replaced, never mutated in place.
  const event: EcsEvent = Object.assign({}, context.base);
  const ipv6 = src.includes(':');
  const types: EventType[] = verdict.type ? [verdict.type, 'connection'] : ['connection'];
  // Object.assign and conditional copies instead of object spreads: spreading (often undefined)
  // objects was most of this parser's time, and it sits on the hot path of every firewall line.
  const eventFields: NonNullable<EcsEvent['event']> = { kind: 'event', category: ['network'], type: types, dataset: 'iptables.log', module: 'iptables' };
  if (verdict.action !== undefined) eventFields.action = verdict.action;
  event.event = event.event ? Object.assign({}, event.event, eventFields) : eventFields;
  event.source = event.source ? Object.assign({}, event.source, { ip: src }) : { ip: src };
  event.destination = event.destination ? Object.assign({}, event.destination, { ip: dst }) : { ip: dst };
  const mac = fields.MAC;
  let networkType: string | undefined;
  if (mac !== undefined && mac.length > 0) {
    const bytes = mac.split(':');
    const dstMac = macAt(bytes, 0);
    const srcMac = macAt(bytes, 6);
    if (dstMac) event.destination.mac = dstMac;
    if (srcMac) event.source.mac = srcMac;
    const ether = `${bytes[12] ?? ''}${bytes[13] ?? ''}`;
    if (ether === '0800') networkType = 'ipv4';
    else if (ether === '86dd') networkType = 'ipv6';
  }
  const proto = fields.PROTO;
  const network: NonNullable<EcsEvent['network']> = {};
  if (proto !== undefined && proto.length > 0) {
    if (isAllDigits(proto)) network.iana_number = proto;
    else network.transport = transportOf(proto, ipv6);
  }
  if (networkType) network.type = networkType;
  if (network.transport !== undefined || network.iana_number !== undefined || network.type !== undefined) {
    event.network = event.network ? Object.assign({}, event.network, network) : network;
  }
  if (proto === 'TCP' || proto === 'UDP' || proto === 'UDPLITE' || proto === 'SCTP') {
    const sport = portOf(fields.SPT);
    const dport = portOf(fields.DPT);
    if (sport !== undefined) event.source.port = sport;
    if (dport !== undefined) event.destination.port = dport;
  }
  const inIf = fields.IN;
  const outIf = fields.OUT;
  const observer: NonNullable<EcsEvent['observer']> = event.observer ? Object.assign({}, event.observer) : {};
  const hostname = context.syslog?.hostname;
  // The sending host is the firewall only when the kernel itself logged the line.
  if (hostname !== undefined && context.syslog?.appName === 'kernel') observer.name = hostname;
  if (inIf) observer.ingress = observer.ingress ? Object.assign({}, observer.ingress, { interface: { name: inIf } }) : { interface: { name: inIf } };
  if (outIf) observer.egress = observer.egress ? Object.assign({}, observer.egress, { interface: { name: outIf } }) : { interface: { name: outIf } };
  if (verdict.ingressZone !== undefined) observer.ingress = { ...observer.ingress, zone: verdict.ingressZone };
  if (verdict.egressZone !== undefined) observer.egress = { ...observer.egress, zone: verdict.egressZone };
  if (Object.keys(observer).length > 0) event.observer = observer;
  if (verdict.ruleName !== undefined) event.rule = { name: verdict.ruleName, ...(verdict.ruleId ? { id: verdict.ruleId } : {}) };
  const relatedIp = src === dst ? [src] : [src, dst];
  event.related = event.related ? Object.assign({}, event.related, { ip: relatedIp }) : { ip: relatedIp };
  return { event };
}

/** iptables / nftables / ufw kernel log lines. */
export const iptablesParser: Parser = {
  id: 'iptables',
  description: 'Netfilter kernel log lines (iptables LOG, nftables log, ufw, Ubiquiti EdgeOS)',
  // Not routed by program: most kernel messages are not netfilter's, and a parser routed by
  // program that refuses a line marks it as a parse failure instead of leaving it to syslog.
  programs: [],
  timeResolution:
    'The lines carry no time of their own: @timestamp is the syslog header time (year inferred from the receive time for BSD headers, zone from the source config), else the receive time.',
  matches(context) {
    const text = context.text;
    return text.includes(' SRC=') && findIn(text) >= 0;
  },
  parse: parseNetfilter,
};
