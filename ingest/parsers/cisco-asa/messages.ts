/**
 * Per-message-id mapping of ASA texts to ECS. Each pattern is anchored and uses only bounded or
 * single-token quantifiers (`\S+`, `[^"]*`), so no input can make it backtrack badly.
 */
import { isIP } from 'node:net';
import type { EcsEndpoint, EcsEvent, EventCategory, EventOutcome, EventType } from '../../../core/ecs/event.js';

/** What a message handler works on. */
export interface AsaFields {
  readonly event: EcsEvent;
  readonly id: string;
  readonly body: string;
}

/** An ASA endpoint: `[iface:]addr[/port]`. */
interface Endpoint {
  iface?: string;
  ip?: string;
  port?: number;
}

function portOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}

/** Splits `v1:outside:10.8.1.9/54864` or `outside:2001:db8::1/53` or `10.0.0.1`. */
export function endpointOf(token: string): Endpoint {
  const slash = token.lastIndexOf('/');
  const port = slash >= 0 ? portOf(token.slice(slash + 1)) : undefined;
  const address = slash >= 0 ? token.slice(0, slash) : token;
  if (isIP(address) !== 0) return { ip: address, ...(port === undefined ? {} : { port }) };
  // The interface name may itself contain colons (`v1:outside`): try each split, IPv4 first.
  let colon = address.indexOf(':');
  while (colon > 0) {
    const ip = address.slice(colon + 1);
    if (isIP(ip) !== 0) return { iface: address.slice(0, colon), ip, ...(port === undefined ? {} : { port }) };
    colon = address.indexOf(':', colon + 1);
  }
  return {};
}

function setEndpoint(target: EcsEndpoint, endpoint: Endpoint): void {
  if (endpoint.ip !== undefined) {
    target.address = endpoint.ip;
    target.ip = endpoint.ip;
  }
  if (endpoint.port !== undefined) target.port = endpoint.port;
}

function setFlow(fields: AsaFields, src: Endpoint, dst: Endpoint): void {
  const event = fields.event;
  event.source = { ...event.source };
  event.destination = { ...event.destination };
  setEndpoint(event.source, src);
  setEndpoint(event.destination, dst);
  if (src.iface !== undefined) event.observer = { ...event.observer, ingress: { interface: { name: src.iface } } };
  if (dst.iface !== undefined) event.observer = { ...event.observer, egress: { interface: { name: dst.iface } } };
}

const IANA: Readonly<Record<string, string>> = { icmp: '1', tcp: '6', udp: '17', gre: '47', esp: '50', ah: '51', icmp6: '58', sctp: '132' };

function setProtocol(event: EcsEvent, protocol: string | undefined): void {
  if (protocol === undefined) return;
  const lower = protocol.toLowerCase();
  const transport = lower === 'icmp6' ? 'ipv6-icmp' : lower;
  const iana = IANA[lower] ?? (/^\d{1,3}$/.test(lower) ? lower : undefined);
  event.network = { ...event.network, ...(/^\d+$/.test(lower) ? {} : { transport }), ...(iana === undefined ? {} : { iana_number: iana }) };
}

function classify(event: EcsEvent, action: string, types: EventType[], outcome?: EventOutcome, categories?: EventCategory[]): void {
  event.event = { ...event.event, action, type: types, ...(outcome ? { outcome } : {}), ...(categories ? { category: categories } : {}) };
}

function deny(fields: AsaFields, outcome: EventOutcome = 'failure'): void {
  classify(fields.event, 'firewall-rule', ['connection', 'denied'], outcome);
}

/** An AAA server named by address or by host name. */
function setServer(event: EcsEvent, server: string | undefined): void {
  if (server === undefined || server.length === 0) return;
  event.destination = { ...event.destination, address: server, ...(isIP(server) !== 0 ? { ip: server } : { domain: server }) };
}

/** `to outside:addr` of a message about traffic to the box itself names the interface it came in on. */
function arrivedOn(event: EcsEvent): void {
  const name = event.observer?.egress?.interface?.name;
  if (name === undefined || !event.observer) return;
  delete event.observer.egress;
  event.observer.ingress = { interface: { name } };
}

function setUser(event: EcsEvent, name: string | undefined): void {
  if (name === undefined || name.length === 0) return;
  event.user = { ...event.user, name };
  event.source = { ...event.source, user: { ...event.source?.user, name } };
}

/** `(1.2.3.4/80)` mapped address after a real one, if it differs. */
function setNat(target: EcsEndpoint, mapped: string | undefined): void {
  if (mapped === undefined) return;
  const endpoint = endpointOf(mapped);
  if (endpoint.ip === undefined) return;
  if (endpoint.ip === target.ip && (endpoint.port === undefined || endpoint.port === target.port)) return;
  target.nat = { ip: endpoint.ip, ...(endpoint.port === undefined ? {} : { port: endpoint.port }) };
}

const R_106001 = /^Inbound (\S+) connection denied from (\S+) to (\S+) flags (.{0,64}?) on interface (\S+)/;
const R_106006 = /^Deny inbound (\S+) from (\S+) to (\S+) (?:on interface (\S+)|due to (.{0,128}))/;
const R_106014 = /^Deny (?:inbound|outbound) (\S+) src (\S+) dst (\S+)/;
const R_106015 = /^Deny (\S+) \(no connection\) from (\S+) to (\S+) flags (.{0,64}?) on interface (\S+)/;
const R_106023 = /^Deny (\S+) src (\S+) dst (\S+)(?: \(type \d+, code \d+\))? by access-group "([^"]*)"/;
const R_106100 = /^access-list (\S+) (permitted|denied|est-allowed) (\S+) ([^/\s]+)\/(\S+)\((\d+)\)(?:\(\S*\))? -> ([^/\s]+)\/(\S+)\((\d+)\)/;
const R_302013 = /^Built (inbound|outbound) (\S+) connection (\d+) for (\S+) \((\S+)\)(?:\([^)]*\))? to (\S+) \((\S+)\)/;
const R_302014 = /^Teardown (\S+) connection (\d+) for (\S+) to (\S+) duration (\d+):(\d\d):(\d\d) bytes (\d+)(?: (.{0,128}))?/;
const R_302020 = /^Built (inbound|outbound) (\S+) connection for faddr (\S+) gaddr (\S+) laddr (\S+)/;
const R_302021 = /^Teardown (\S+) connection for faddr (\S+) gaddr (\S+) laddr (\S+)/;
const R_305011 = /^(Built|Teardown) (dynamic|static) (\S+) translation from (\S+) to (\S+)/;
const R_113004 = /^AAA user (authentication|authorization|accounting) Successful : server = {1,2}(\S+) : user = (.{1,128})$/;
const R_113005 = /^AAA user (authentication|authorization|accounting) Rejected : reason = ([^:]{0,128}) : server = (\S+) : user = ([^:]{0,128}?)(?: : user IP = (\S+))?$/;
const R_611101 = /^User authentication succeeded: (?:IP address: (\S+), )?Uname: (.{1,128})$/;
const R_605 = /^Login (denied|permitted) from (\S+) to (\S+) for user "([^"]*)"/;
const R_7100 = /^(\S+) (?:access denied by ACL|request discarded) from (\S+) to (\S+)/;
const R_722051 = /^Group <([^>]{0,128})> User <([^>]{0,128})> IP <([^>]{0,64})> (IPv4 Address <[^>]{0,64}> .{0,128})$/;
const R_733100 = /^\[ ?([^\]]{1,64}?) ?\] drop rate-(\d+) exceeded/;

/** Applies what the message id and its text tell; unknown ids keep the generic fields. */
export function applyMessage(fields: AsaFields): void {
  const { event, id, body } = fields;
  switch (id) {
    case '106001': {
      const m = R_106001.exec(body);
      if (!m) break;
      deny(fields);
      setProtocol(event, m[1]);
      setFlow(fields, { ...endpointOf(m[2] ?? '') }, endpointOf(m[3] ?? ''));
      if (m[5]) event.observer = { ...event.observer, ingress: { interface: { name: m[5] } } };
      break;
    }
    case '106006':
    case '106007': {
      const m = R_106006.exec(body);
      if (!m) break;
      deny(fields);
      setProtocol(event, m[1]);
      setFlow(fields, endpointOf(m[2] ?? ''), endpointOf(m[3] ?? ''));
      if (m[4]) event.observer = { ...event.observer, ingress: { interface: { name: m[4] } } };
      if (m[5]) event.event = { ...event.event, reason: m[5] };
      break;
    }
    case '106014': {
      const m = R_106014.exec(body);
      if (!m) break;
      deny(fields);
      setProtocol(event, m[1]);
      setFlow(fields, endpointOf(m[2] ?? ''), endpointOf(m[3] ?? ''));
      break;
    }
    case '106015': {
      const m = R_106015.exec(body);
      if (!m) break;
      deny(fields);
      setProtocol(event, m[1]);
      setFlow(fields, endpointOf(m[2] ?? ''), endpointOf(m[3] ?? ''));
      if (m[5]) event.observer = { ...event.observer, ingress: { interface: { name: m[5] } } };
      break;
    }
    case '106023': {
      const m = R_106023.exec(body);
      if (!m) break;
      // Elastic calls a deny by an ACL a successful rule application.
      deny(fields, 'success');
      setProtocol(event, m[1]);
      setFlow(fields, endpointOf(m[2] ?? ''), endpointOf(m[3] ?? ''));
      if (m[4]) event.rule = { name: m[4] };
      break;
    }
    case '106100': {
      const m = R_106100.exec(body);
      if (!m) break;
      if (m[2] === 'denied') deny(fields, 'success');
      else classify(event, 'firewall-rule', ['connection', 'allowed'], 'success');
      setProtocol(event, m[3]);
      const src: Endpoint = { iface: m[4] ?? '', ip: m[5] ?? '', ...(portOf(m[6]) === undefined ? {} : { port: portOf(m[6]) }) };
      const dst: Endpoint = { iface: m[7] ?? '', ip: m[8] ?? '', ...(portOf(m[9]) === undefined ? {} : { port: portOf(m[9]) }) };
      setFlow(fields, src, dst);
      if (m[1]) event.rule = { name: m[1] };
      break;
    }
    case '302013':
    case '302015':
    case '302303': {
      const m = R_302013.exec(body);
      if (!m) break;
      classify(event, 'flow-creation', ['connection', 'start'], 'success');
      setProtocol(event, m[2]);
      const outbound = m[1] === 'outbound';
      const foreign = endpointOf(m[4] ?? '');
      const local = endpointOf(m[6] ?? '');
      // `for` is the foreign side and `to` the local one; an outbound connection starts locally.
      if (outbound) {
        setFlow(fields, local, foreign);
        setNat(event.source ?? {}, m[7]);
        setNat(event.destination ?? {}, m[5]);
      } else {
        setFlow(fields, foreign, local);
        setNat(event.source ?? {}, m[5]);
        setNat(event.destination ?? {}, m[7]);
      }
      event.network = { ...event.network, direction: outbound ? 'outbound' : 'inbound' };
      break;
    }
    case '302014':
    case '302016':
    case '302304': {
      const m = R_302014.exec(body);
      if (!m) break;
      classify(event, 'flow-expiration', ['connection', 'end'], 'success');
      setProtocol(event, m[1]);
      setFlow(fields, endpointOf(m[3] ?? ''), endpointOf(m[4] ?? ''));
      const seconds = Number(m[5]) * 3600 + Number(m[6]) * 60 + Number(m[7]);
      event.event = { ...event.event, duration: seconds * 1e9 };
      event.network = { ...event.network, bytes: Number(m[8]) };
      if (m[9]) event.event = { ...event.event, reason: m[9] };
      break;
    }
    case '302020': {
      const m = R_302020.exec(body);
      if (!m) break;
      classify(event, 'flow-creation', ['connection', 'start'], 'success');
      setProtocol(event, m[2]);
      const foreign = endpointOf(m[3] ?? '');
      const local = endpointOf(m[5] ?? '');
      // ICMP "ports" are ids and zeros: keep addresses only.
      delete foreign.port;
      delete local.port;
      const outbound = m[1] === 'outbound';
      if (outbound) setFlow(fields, local, foreign);
      else setFlow(fields, foreign, local);
      setNat((outbound ? event.source : event.destination) ?? {}, endpointOf(m[4] ?? '').ip);
      event.network = { ...event.network, direction: outbound ? 'outbound' : 'inbound' };
      break;
    }
    case '302021': {
      const m = R_302021.exec(body);
      if (!m) break;
      classify(event, 'flow-expiration', ['connection', 'end'], 'success');
      setProtocol(event, m[1]);
      const foreign = endpointOf(m[2] ?? '');
      const local = endpointOf(m[4] ?? '');
      delete foreign.port;
      delete local.port;
      setFlow(fields, foreign, local);
      break;
    }
    case '305011':
    case '305012': {
      const m = R_305011.exec(body);
      if (!m) break;
      const built = m[1] === 'Built';
      classify(event, built ? 'nat-translation-created' : 'nat-translation-ended', ['connection', built ? 'start' : 'end'], 'success');
      setProtocol(event, m[3]);
      const real = endpointOf(m[4] ?? '');
      const mapped = endpointOf(m[5] ?? '');
      event.source = { ...event.source };
      setEndpoint(event.source, real);
      if (mapped.ip !== undefined) event.source.nat = { ip: mapped.ip, ...(mapped.port === undefined ? {} : { port: mapped.port }) };
      if (real.iface !== undefined) event.observer = { ...event.observer, ingress: { interface: { name: real.iface } } };
      if (mapped.iface !== undefined) event.observer = { ...event.observer, egress: { interface: { name: mapped.iface } } };
      break;
    }
    case '113004': {
      const m = R_113004.exec(body);
      if (!m) break;
      classify(event, 'logged-in', ['info', 'allowed'], 'success', ['authentication', 'network']);
      setServer(event, m[2]);
      setUser(event, m[3]?.trim());
      break;
    }
    case '113005': {
      const m = R_113005.exec(body);
      if (!m) break;
      classify(event, 'logon-failed', ['info', 'denied'], 'failure', ['authentication', 'network']);
      if (m[2]) event.event = { ...event.event, reason: m[2].trim() };
      setServer(event, m[3]);
      setUser(event, m[4]?.trim());
      if (m[5] !== undefined && isIP(m[5]) !== 0) event.source = { ...event.source, address: m[5], ip: m[5] };
      break;
    }
    case '611101': {
      const m = R_611101.exec(body);
      if (!m) break;
      classify(event, 'logged-in', ['info', 'allowed'], 'success', ['authentication', 'network']);
      if (m[1] !== undefined && isIP(m[1]) !== 0) event.source = { ...event.source, address: m[1], ip: m[1] };
      setUser(event, m[2]?.trim());
      break;
    }
    case '605004':
    case '605005': {
      const m = R_605.exec(body);
      if (!m) break;
      const ok = m[1] === 'permitted';
      classify(event, ok ? 'logged-in' : 'logon-failed', ['info', ok ? 'allowed' : 'denied'], ok ? 'success' : 'failure', ['authentication', 'network']);
      // The destination "port" is a service name (`ssh`, `https`): endpointOf drops it.
      setFlow(fields, endpointOf(m[2] ?? ''), endpointOf(m[3] ?? ''));
      arrivedOn(event);
      setUser(event, m[4]);
      break;
    }
    case '710003':
    case '710005': {
      const m = R_7100.exec(body);
      if (!m) break;
      deny(fields);
      setProtocol(event, m[1]);
      setFlow(fields, endpointOf(m[2] ?? ''), endpointOf(m[3] ?? ''));
      arrivedOn(event);
      break;
    }
    case '722051': {
      const m = R_722051.exec(body);
      if (!m) break;
      classify(event, 'address-assigned', ['connection', 'info'], 'success');
      if (m[3] !== undefined && isIP(m[3]) !== 0) event.source = { ...event.source, address: m[3], ip: m[3] };
      setUser(event, m[2]);
      if (m[1]) event.source = { ...event.source, user: { ...event.source?.user, group: { name: m[1] } } };
      if (m[4]) event.event = { ...event.event, reason: m[4] };
      break;
    }
    case '733100': {
      const m = R_733100.exec(body);
      if (!m) break;
      classify(event, 'threat-detected', ['info'], undefined, ['intrusion_detection', 'network']);
      if (m[1]) event.rule = { name: m[1].trim() };
      break;
    }
    default:
      break;
  }
}
