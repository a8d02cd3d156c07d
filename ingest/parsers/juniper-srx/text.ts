/**
 * The BSD-syslog ("text") variants of Junos RT_FLOW, RT_IDP and RT_UTM messages, read into the
 * same names the structured-data variant uses (`source-address`, `policy-name`, …) so one
 * mapping serves both. Only the fields the ECS mapping needs are extracted.
 */

/** `10.1.1.10/52311->93.184.216.34/443` (IPv6 addresses contain `:` but never `/` or `->`). */
function tuple(token: string | undefined): [string, string, string, string] | undefined {
  if (token === undefined) return undefined;
  const arrow = token.indexOf('->');
  if (arrow < 0) return undefined;
  const left = token.slice(0, arrow);
  const right = token.slice(arrow + 2);
  const a = left.lastIndexOf('/');
  const b = right.lastIndexOf('/');
  if (a < 0 || b < 0) return undefined;
  return [left.slice(0, a), left.slice(a + 1), right.slice(0, b), right.slice(b + 1)];
}

function isNumber(token: string | undefined): boolean {
  if (token === undefined || token.length === 0 || token.length > 10) return false;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** `12(1840)` → ['12', '1840']. */
function countPair(token: string | undefined): [string, string] | undefined {
  if (token === undefined || !token.endsWith(')')) return undefined;
  const open = token.indexOf('(');
  if (open <= 0) return undefined;
  const left = token.slice(0, open);
  const right = token.slice(open + 1, -1);
  return isNumber(left) && isNumber(right) ? [left, right] : undefined;
}

function setTuple(out: Map<string, string>, value: [string, string, string, string] | undefined, prefix: string): void {
  if (value === undefined) return;
  out.set(`${prefix}source-address`, value[0]);
  out.set(`${prefix}source-port`, value[1]);
  out.set(`${prefix}destination-address`, value[2]);
  out.set(`${prefix}destination-port`, value[3]);
}

/**
 * `protocol policy src-zone dst-zone session-id` follows the NAT rule columns, whose width
 * varies by release (`source rule snat-out N/A N/A` or `snat-out N/A`): find the first number
 * followed by three words and a number.
 */
function flowTail(tokens: string[], from: number): number {
  for (let i = from; i + 4 < tokens.length; i++) {
    if (isNumber(tokens[i]) && !isNumber(tokens[i + 1]) && isNumber(tokens[i + 4])) return i;
  }
  return -1;
}

/** RT_FLOW_SESSION_CREATE / CLOSE / DENY text after the tag. */
export function parseFlowText(tag: string, body: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let rest = body;
  if (tag === 'RT_FLOW_SESSION_CLOSE') {
    // `session closed <reason>: <tuple> …` — the reason may have spaces (`TCP FIN`, `idle Timeout`).
    const colon = rest.indexOf(': ');
    if (colon < 0) return undefined;
    const reason = rest.slice(0, colon).replace('session closed ', '');
    out.set('reason', reason);
    rest = rest.slice(colon + 2);
  }
  const tokens = rest.split(' ').filter((token) => token.length > 0);
  let first = tokens.findIndex((token) => token.includes('->'));
  if (first < 0) return undefined;
  setTuple(out, tuple(tokens[first]), '');
  if (!out.has('source-address')) return undefined;
  const service = tokens[first + 2];
  if (service !== undefined) out.set('service-name', service);
  if (tag === 'RT_FLOW_SESSION_DENY') {
    // `… 0x0 junos-ssh 6(0) policy src-zone dst-zone app nested user(roles) iface …`
    const protocol = tokens[first + 3];
    const open = protocol?.indexOf('(') ?? -1;
    if (protocol !== undefined) out.set('protocol-id', open > 0 ? protocol.slice(0, open) : protocol);
    const names = ['policy-name', 'source-zone-name', 'destination-zone-name', 'application', 'nested-application'];
    names.forEach((name, index) => {
      const value = tokens[first + 4 + index];
      if (value !== undefined) out.set(name, value);
    });
    const user = tokens[first + 9];
    if (user?.includes('(') === true) out.set('username', user.slice(0, user.indexOf('(')));
    const iface = tokens[first + 10];
    if (iface !== undefined) out.set('packet-incoming-interface', iface);
    const reason = tokens.slice(first + 12).join(' ');
    if (reason.length > 0) out.set('reason', reason);
    return out;
  }
  const natTuple = tuple(tokens[first + 3]);
  setTuple(out, natTuple, 'nat-');
  first += natTuple === undefined ? 2 : 4;
  const at = flowTail(tokens, first);
  if (at < 0) return out;
  const names = ['protocol-id', 'policy-name', 'source-zone-name', 'destination-zone-name', 'session-id-32'];
  names.forEach((name, index) => {
    const value = tokens[at + index];
    if (value !== undefined) out.set(name, value);
  });
  let next = at + 5;
  if (tag === 'RT_FLOW_SESSION_CLOSE') {
    const client = countPair(tokens[next]);
    const server = countPair(tokens[next + 1]);
    if (client !== undefined) {
      out.set('packets-from-client', client[0]);
      out.set('bytes-from-client', client[1]);
    }
    if (server !== undefined) {
      out.set('packets-from-server', server[0]);
      out.set('bytes-from-server', server[1]);
    }
    const elapsed = tokens[next + 2];
    if (isNumber(elapsed) && elapsed !== undefined) out.set('elapsed-time', elapsed);
    const application = tokens[next + 3];
    if (application !== undefined) out.set('application', application);
    next += 5;
  }
  for (let i = next; i < Math.min(tokens.length, next + 4); i++) {
    const token = tokens[i] ?? '';
    const open = token.indexOf('(');
    if (open > 0 && token.endsWith(')') && countPair(token) === undefined) {
      out.set('username', token.slice(0, open));
      const iface = tokens[i + 1];
      if (iface !== undefined) out.set('packet-incoming-interface', iface);
      if (tag === 'RT_FLOW_SESSION_CREATE' && tokens[i + 2] !== undefined) out.set('application', tokens[i + 2] ?? '');
      break;
    }
  }
  return out;
}

/** The `key=value, key=value` and `<a/p->b/p>` parts of an IDP_ATTACK_LOG_EVENT text line. */
export function parseIdpText(body: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const open = body.indexOf('<');
  // The tuple itself holds `->`: its end is the first `>` after the arrow.
  const arrow = open < 0 ? -1 : body.indexOf('->', open);
  const close = arrow < 0 ? -1 : body.indexOf('>', arrow + 2);
  if (open < 0 || close < 0) return undefined;
  setTuple(out, tuple(body.slice(open + 1, close)), '');
  if (!out.has('source-address')) return undefined;
  const at = body.startsWith('IDP: at ') ? body.indexOf(',', 8) : -1;
  if (at > 8) out.set('epoch-time', body.slice(8, at));
  const proto = body.indexOf(' for ', close);
  if (proto > 0) {
    const end = body.indexOf(' ', proto + 5);
    if (end > 0) out.set('protocol-name', body.slice(proto + 5, end));
  }
  const rule = body.indexOf(' by rule ');
  if (rule > 0) {
    const end = body.indexOf(' ', rule + 9);
    if (end > 0) out.set('rule-name', body.slice(rule + 9, end));
  }
  const policy = body.indexOf(' in policy ');
  if (policy > 0) {
    const end = body.indexOf('. ', policy + 11);
    if (end > 0) out.set('policy-name', body.slice(policy + 11, end));
  }
  const keys: [string, string][] = [
    ['action=', 'action'],
    ['threat-severity=', 'threat-severity'],
    ['name=', 'attack-name'],
    ['id=', 'export-id'],
    ['username=', 'username'],
    ['inbytes=', 'inbound-bytes'],
    ['outbytes=', 'outbound-bytes'],
  ];
  for (const [needle, name] of keys) {
    const at = body.indexOf(` ${needle}`);
    if (at < 0) continue;
    let end = body.indexOf(',', at);
    if (end < 0) end = body.length;
    out.set(name, body.slice(at + 1 + needle.length, end));
  }
  const intf = body.indexOf('intf:');
  if (intf > 0) {
    const end = body.indexOf(',', intf);
    const spec = body.slice(intf + 5, end < 0 ? body.length : end);
    const arrow = spec.indexOf('->');
    if (arrow > 0) {
      const from = spec.slice(0, arrow).split(':');
      const to = spec.slice(arrow + 2).split(':');
      if (from[0]) out.set('source-zone-name', from[0]);
      if (from[1]) out.set('packet-incoming-interface', from[1]);
      if (to[0]) out.set('destination-zone-name', to[0]);
    }
  }
  return out;
}

/** WEBFILTER_* / AV_* text: `ACTION="…" a(p)->b(p) CATEGORY="…" … URL=… OBJ=… username u roles r`. */
export function parseUtmText(body: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const arrow = body.indexOf(')->');
  if (arrow < 0) return undefined;
  const start = body.lastIndexOf(' ', arrow) + 1;
  const end = body.indexOf(' ', arrow);
  const spec = body.slice(start, end < 0 ? body.length : end);
  const [left, right] = spec.split('->');
  const split = (part: string | undefined): [string, string] | undefined => {
    if (part === undefined) return undefined;
    const open = part.lastIndexOf('(');
    return open > 0 && part.endsWith(')') ? [part.slice(0, open), part.slice(open + 1, -1)] : undefined;
  };
  const source = split(left);
  const destination = split(right);
  if (source === undefined || destination === undefined) return undefined;
  out.set('source-address', source[0]);
  out.set('source-port', source[1]);
  out.set('destination-address', destination[0]);
  out.set('destination-port', destination[1]);
  const quoted = (key: string): string | undefined => {
    const at = body.indexOf(`${key}="`);
    if (at < 0) return undefined;
    const close = body.indexOf('"', at + key.length + 2);
    return close < 0 ? undefined : body.slice(at + key.length + 2, close);
  };
  const bare = (key: string): string | undefined => {
    const at = body.indexOf(` ${key}`);
    if (at < 0) return undefined;
    const from = at + 1 + key.length;
    const stop = body.indexOf(' ', from);
    return body.slice(from, stop < 0 ? body.length : stop);
  };
  const pairs: [string, string | undefined][] = [
    ['action', quoted('ACTION')],
    ['category', quoted('CATEGORY')],
    ['reason', quoted('REASON')],
    ['profile', quoted('PROFILE')],
    ['url', bare('URL=')],
    ['obj', bare('OBJ=')],
    ['username', bare('username ')],
    ['virus-name', quoted('VIRUS') ?? bare('virus:')],
  ];
  for (const [name, value] of pairs) if (value !== undefined && value.length > 0) out.set(name, value);
  return out;
}
