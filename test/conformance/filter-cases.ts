import type { EcsEvent } from '../../core/ecs/event.js';
import type { FilterNode } from '../../core/query/filter.js';
import { CORPUS, CORPUS_ASC, HOUR, MINUTE, T0, ev } from '../contracts/event-store-fixtures.js';

/**
 * The shared table of filter cases: every compiler of the filter AST (the JS predicate, SQL,
 * Query DSL) must give exactly these ids. The event-store contract runs {@link FILTER_CASES}
 * through every store; test/conformance/filter-conformance.int.test.ts runs every table through
 * the predicate and both stores and requires identical answers.
 */

/** A case: its name, the filter, and the ids of the matching events of its corpus, sorted. */
export type FilterCase = readonly [name: string, filter: FilterNode, expected: readonly string[]];

/** Cases over the contract corpus (CORPUS of test/contracts/event-store-fixtures.ts). */
export const FILTER_CASES: readonly FilterCase[] = [
    ['eq on a string, case-insensitive', { op: 'eq', field: 'user.name', value: 'root' }, ['e01']],
    ['eq case-sensitive misses', { op: 'eq', field: 'user.name', value: 'root', caseSensitive: true }, []],
    ['eq case-sensitive hits', { op: 'eq', field: 'user.name', value: 'Root', caseSensitive: true }, ['e01']],
    ['eq with Unicode folding', { op: 'eq', field: 'user.name', value: 'über' }, ['e07']],
    ['eq on a number', { op: 'eq', field: 'source.port', value: 22 }, ['e01']],
    ['eq string spelling of a number field', { op: 'eq', field: 'source.port', value: '2222' }, ['e02']],
    ['eq number against a string field', { op: 'eq', field: 'event.code', value: 4625 }, ['e01']],
    ['eq on an array element', { op: 'eq', field: 'tags', value: 'AUTH' }, ['e01', 'e06']],
    ['eq on an ip field', { op: 'eq', field: 'source.ip', value: '203.0.113.7' }, ['e01', 'e06']],
    ['contains', { op: 'contains', field: 'message', value: 'PASSWORD' }, ['e01', 'e06']],
    ['contains with Unicode folding', { op: 'contains', field: 'message', value: 'ÜNÏ' }, ['e07']],
    ['contains on an ip field', { op: 'contains', field: 'source.ip', value: 'db8' }, ['e02']],
    ['contains a wildcard metacharacter literally', { op: 'contains', field: 'url.path', value: '?' }, []],
    ['startswith', { op: 'startswith', field: 'message', value: 'accepted' }, ['e02']],
    ['endswith', { op: 'endswith', field: 'url.path', value: '.PHP' }, ['e03']],
    ['endswith case-sensitive', { op: 'endswith', field: 'url.path', value: '.PHP', caseSensitive: true }, []],
    ['wildcard ?', { op: 'wildcard', field: 'host.name', pattern: 'WEB-0?' }, ['e01', 'e02', 'e03', 'e07']],
    ['wildcard with escaped backslashes', { op: 'wildcard', field: 'process.command_line', pattern: 'c:\\\\windows\\\\*\\\\cmd.exe *' }, ['e05']],
    ['wildcard with Unicode folding', { op: 'wildcard', field: 'user.name', pattern: 'ü*' }, ['e07']],
    ['wildcard matches the whole value', { op: 'wildcard', field: 'host.name', pattern: 'web' }, []],
    ['regex finds a substring', { op: 'regex', field: 'message', pattern: 'pass\\w+d' }, ['e01', 'e06']],
    ['regex anchors', { op: 'regex', field: 'message', pattern: '^Failed' }, ['e01', 'e06']],
    ['regex is case-sensitive by default', { op: 'regex', field: 'message', pattern: '^failed' }, []],
    ['regex flags.i', { op: 'regex', field: 'message', pattern: '^failed', flags: { i: true } }, ['e01', 'e06']],
    ['regex flags.i with Unicode letters', { op: 'regex', field: 'message', pattern: 'über\\s', flags: { i: true } }, ['e07']],
    ['regex flags.i over a class range', { op: 'regex', field: 'user.name', pattern: '^[A-D]', flags: { i: true } }, ['e05', 'e06']],
    ['regex end anchor', { op: 'regex', field: 'message', pattern: 'ssh2$' }, ['e01']],
    ['regex classes and quantifiers', { op: 'regex', field: 'message', pattern: '\\d{3}\\.\\d+\\.\\d+\\.\\d+' }, ['e01', 'e04', 'e06']],
    ['regex alternation', { op: 'regex', field: 'user.name', pattern: '^jdoe$|^admin$' }, ['e02', 'e06']],
    ['cidr v4', { op: 'cidr', field: 'source.ip', cidr: '203.0.113.0/24' }, ['e01', 'e06']],
    ['cidr v4 over an array', { op: 'cidr', field: 'related.ip', cidr: '10.0.0.0/8' }, ['e02']],
    ['cidr v6', { op: 'cidr', field: 'source.ip', cidr: '2001:db8::/32' }, ['e02']],
    ['cidr single address', { op: 'cidr', field: 'source.ip', cidr: '10.1.2.3/32' }, ['e04']],
    ['exists', { op: 'exists', field: 'destination.ip' }, ['e04']],
    ['exists on a keyword', { op: 'exists', field: 'labels.zone' }, ['e04']],
    ['not over a missing field is true', { op: 'not', child: { op: 'eq', field: 'network.transport', value: 'tcp' } }, ['e01', 'e02', 'e03', 'e05', 'e06', 'e07', 'e08']],
    ['range on numbers', { op: 'range', field: 'event.severity', gte: 5, lt: 9 }, ['e02', 'e03', 'e04']],
    ['range on another number field', { op: 'range', field: 'source.port', gt: 22, lte: 2222 }, ['e02']],
    ['range on timestamps', { op: 'range', field: '@timestamp', gte: new Date(T0 + MINUTE).toISOString(), lt: '2024-03-01T12:00:00+01:00' }, ['e02', 'e03', 'e04']],
    ['text: every word, any case', { op: 'text', value: 'FAILED root' }, ['e01']],
    ['text: words across message and event.original', { op: 'text', value: 'sshd accepted' }, ['e02']],
    ['text: whole words only', { op: 'text', value: 'pass' }, []],
    ['text: an IP is one word', { op: 'text', value: '203.0.113.7' }, ['e01', 'e06']],
    ['text: Unicode words', { op: 'text', value: 'über' }, ['e07']],
    ['text: scripts split as the standard analyzer splits them', { op: 'text', value: 'FOO 本' }, ['e08']],
    ['and', { op: 'and', children: [{ op: 'eq', field: 'tags', value: 'ssh' }, { op: 'eq', field: 'event.outcome', value: 'failure' }] }, ['e01']],
    ['or', { op: 'or', children: [{ op: 'eq', field: 'host.name', value: 'fw-1' }, { op: 'eq', field: 'user.name', value: 'admin' }] }, ['e04', 'e06']],
    ['empty and matches all', { op: 'and', children: [] }, [...CORPUS_ASC]],
    ['empty or matches none', { op: 'or', children: [] }, []],
];

/** An event with fields outside the typed ECS subset (Windows, TLS), as Sigma rules meet them. */
function raw(id: string, ms: number, fields: Record<string, unknown>): EcsEvent {
  return ev(id, ms, fields);
}

const S0 = T0 + 2 * HOUR;

/**
 * The Sigma corpus: what Sigma rules meet and compilers get wrong. Every field keeps one JSON
 * type across all events of both corpora, since Elasticsearch maps a field by the first value it
 * sees (a number in a keyword field is a string to the keyword view and not to SQLite).
 */
export const SIGMA_CORPUS: readonly EcsEvent[] = [
  raw('s01', S0, {
    url: { original: 'http://example.com/wp-admin/admin-ajax.php?action=revslider_show_image&img=../wp-config.php' },
    http: { response: { status_code: 200 }, request: { method: 'GET' } },
    user_agent: { original: 'sqlmap/1.7.2#stable (https://sqlmap.org)' },
    winlog: { event_id: 4624, record_id: '7001' },
    tls: { established: true },
    labels: { blocked: 'false' },
    tags: ['web', 'Scanner'],
    user: { name: 'jdoe', effective: { name: 'JDOE' } },
    event: { code: '4624' },
  }),
  raw('s02', S0 + MINUTE, {
    url: { original: '/index.php?page=..%2f..%2fetc%2fpasswd' },
    http: { response: { status_code: 404 } },
    user_agent: { original: 'Mozilla/5.0 (X11; Linux x86_64)' },
    winlog: { event_id: 4625 },
    tls: { established: false },
    labels: { blocked: 'TRUE' },
    process: { args: ['cmd.exe', '/c', 'whoami'] },
    user: { name: 'svc', target: { name: 'svc-backup' } },
  }),
  raw('s03', S0 + 2 * MINUTE, {
    process: { command_line: 'C:\\Tools\\a*b?.exe --out \\\\srv\\share\\' },
    file: { path: 'C:\\Temp\\' },
    user: { name: 'İSTANBUL', domain: '' },
    message: 'ΣΊΣΥΦΟΣ STRAẞE \u212aELVIN',
  }),
  raw('s04', S0 + 3 * MINUTE, {
    file: { path: 'C:\\Temp\\evil.tmp' },
    url: { original: 'HTTPS://EXAMPLE.COM/Shell.ASPX?cmd=whoami' },
    user: { name: '😀x', domain: 'CORP' },
    host: { name: 'h😀st' },
    message: 'line one\nline two',
  }),
  raw('s05', S0 + 4 * MINUTE, {
    source: { ip: '::ffff:198.51.100.9', port: 443 },
    destination: { ip: '2001:db8::1', port: 443 },
    related: { ip: ['::ffff:10.9.8.7', 'fe80::1'] },
    tags: [],
  }),
  // Shapes a plain JSON path misses (C16, C17), a number where s01 holds a string, and a value
  // a backtracking regex engine stalls on.
  raw('s06', S0 + 5 * MINUTE, {
    dns: { answers: [{ name: 'evil.example', type: 'A' }, { name: 'CDN.example.net', type: 'CNAME' }] },
    'url.original': 'http://flat.example/login?next=%2Fhome',
    process: { 'parent.name': 'sshd' },
    winlog: { record_id: 7002 },
    file: { name: `${'a'.repeat(48)}!` },
  }),
];

/** The ids of {@link SIGMA_CORPUS}. */
export const SIGMA_IDS = ['s01', 's02', 's03', 's04', 's05', 's06'] as const;

const others = (...ids: string[]): string[] => SIGMA_IDS.filter((id) => !ids.includes(id));

// Literals of the kind SigmaHQ web and proxy rules list (web_*, proxy_*): paths, traversal and
// injection fragments. Three of them occur in the corpus.
const WEB_LITERALS = [
  '/wp-config.php', 'etc%2fpasswd', '.aspx?cmd=', '/etc/shadow', 'cmd.exe', '/bin/bash', 'powershell', '<script',
  'union select', 'sleep(', 'benchmark(', '../../', '..%5c', '%00', 'wget ', 'curl ', '/.git/', '/.env', 'phpinfo',
  'eval(', 'base64_decode', 'xp_cmdshell', 'jndi:ldap', '${jndi', '/solr/admin', '/actuator/env', '/cgi-bin/',
  'boaform', '/hnap1', 'shell?cd', 'invokefunction', '/vendor/phpunit', 'eval-stdin.php', 'think\\app', '/owa/auth',
  'autodiscover.xml', '/ecp/', 'ssrf=', 'file://', 'gopher://',
];

/** Cases over {@link SIGMA_CORPUS}; expected ids are of that corpus only. */
export const SIGMA_CASES: readonly FilterCase[] = [
  // C12: numbers and numeric strings.
  ['eq: a numeric string meets a number field', { op: 'eq', field: 'winlog.event_id', value: '4624' }, ['s01']],
  ['eq: a number meets a number field', { op: 'eq', field: 'winlog.event_id', value: 4625 }, ['s02']],
  ['eq: a number meets a numeric string field', { op: 'eq', field: 'event.code', value: 4624 }, ['s01']],
  ['eq: a decimal spelling with a fraction meets an integer', { op: 'eq', field: 'http.response.status_code', value: '200.0' }, ['s01']],
  // A field holding a string in s01 (so Elasticsearch maps it keyword) and a number in s06.
  ['eq: a number meets a number in a keyword-mapped field', { op: 'eq', field: 'winlog.record_id', value: 7002 }, ['s06']],
  ['eq: a decimal string meets a number in a keyword-mapped field', { op: 'eq', field: 'winlog.record_id', value: '7002' }, ['s06']],
  ['eq: a number meets its spelling in the same field', { op: 'eq', field: 'winlog.record_id', value: 7001 }, ['s01']],
  ['exists: a number in a keyword-mapped field', { op: 'exists', field: 'winlog.record_id' }, ['s01', 's06']],
  ['not eq: a number in a keyword-mapped field', { op: 'not', child: { op: 'eq', field: 'winlog.record_id', value: '7002', caseSensitive: true } }, others('s06')],
  ['range: numbers only, a numeric string is text', { op: 'range', field: 'event.code', gte: 4000 }, []],
  ['range: on a dynamic number field', { op: 'range', field: 'winlog.event_id', gt: 4624 }, ['s02']],
  // C13: booleans.
  ['eq: "true" meets a boolean field', { op: 'eq', field: 'tls.established', value: 'true' }, ['s01']],
  ['eq: false meets a boolean field', { op: 'eq', field: 'tls.established', value: false }, ['s02']],
  ['eq: "FALSE" folds to meet a boolean', { op: 'eq', field: 'tls.established', value: 'FALSE' }, ['s02']],
  ['eq: "FALSE" case-sensitive does not', { op: 'eq', field: 'tls.established', value: 'FALSE', caseSensitive: true }, []],
  ['eq: a boolean meets its spelling in a string field', { op: 'eq', field: 'labels.blocked', value: false }, ['s01']],
  ['eq: a boolean meets an upper-case spelling', { op: 'eq', field: 'labels.blocked', value: true }, ['s02']],
  ['eq: case-sensitive string against a string field', { op: 'eq', field: 'labels.blocked', value: 'True', caseSensitive: true }, []],
  // C16: arrays.
  ['contains: any array element', { op: 'contains', field: 'process.args', value: 'WHO' }, ['s02']],
  ['eq: an array element, folded', { op: 'eq', field: 'process.args', value: '/C' }, ['s02']],
  ['not over an array: true when no element matches, and when missing', { op: 'not', child: { op: 'eq', field: 'process.args', value: 'cmd.exe' } }, others('s02')],
  ['exists: an empty array is missing', { op: 'exists', field: 'tags' }, ['s01']],
  // Missing fields under not.
  ['not contains: missing fields count as not matching', { op: 'not', child: { op: 'contains', field: 'url.original', value: 'wp-' } }, others('s01')],
  ['not exists', { op: 'not', child: { op: 'exists', field: 'user.domain' } }, others('s03', 's04')],
  ['not of and: a missing field makes the and false', { op: 'not', child: { op: 'and', children: [{ op: 'exists', field: 'user.name' }, { op: 'startswith', field: 'user.domain', value: 'c' }] } }, others('s04')],
  // Empty string versus missing.
  ['eq: the empty string', { op: 'eq', field: 'user.domain', value: '' }, ['s03']],
  ['exists: the empty string is present', { op: 'exists', field: 'user.domain' }, ['s03', 's04']],
  ['contains: the empty literal holds for every string value', { op: 'contains', field: 'user.domain', value: '' }, ['s03', 's04']],
  ['startswith: the empty literal', { op: 'startswith', field: 'user.domain', value: '' }, ['s03', 's04']],
  ['wildcard: * matches the empty string', { op: 'wildcard', field: 'user.domain', pattern: '*' }, ['s03', 's04']],
  ['wildcard: the empty pattern matches only the empty string', { op: 'wildcard', field: 'user.domain', pattern: '' }, ['s03']],
  ['wildcard: the empty pattern, case-sensitive', { op: 'wildcard', field: 'user.domain', pattern: '', caseSensitive: true }, ['s03']],
  ['endswith: the empty literal', { op: 'endswith', field: 'user.domain', value: '' }, ['s03', 's04']],
  ['endswith: the empty literal, case-sensitive', { op: 'endswith', field: 'user.domain', value: '', caseSensitive: true }, ['s03', 's04']],
  ['contains: the empty literal, case-sensitive', { op: 'contains', field: 'user.domain', value: '', caseSensitive: true }, ['s03', 's04']],
  ['startswith: the empty literal, case-sensitive', { op: 'startswith', field: 'user.domain', value: '', caseSensitive: true }, ['s03', 's04']],
  ['contains: the empty literal over an array', { op: 'contains', field: 'process.args', value: '' }, ['s02']],
  ['endswith: the empty literal on an ip field', { op: 'endswith', field: 'source.ip', value: '' }, ['s05']],
  ['startswith: the empty literal on a text field', { op: 'startswith', field: 'message', value: '' }, ['s03', 's04']],
  ['endswith: the empty literal never meets a number', { op: 'endswith', field: 'http.response.status_code', value: '' }, []],
  ['contains: the empty literal never meets a boolean', { op: 'contains', field: 'tls.established', value: '' }, []],
  ['not eq the empty string', { op: 'not', child: { op: 'eq', field: 'user.domain', value: '' } }, others('s03')],
  // D2/D5: wildcard escapes and backslashes.
  ['wildcard: \\* and \\? are literal', { op: 'wildcard', field: 'process.command_line', pattern: 'c:\\\\tools\\\\a\\*b\\?.exe *' }, ['s03']],
  ['wildcard: an escaped star does not match other text', { op: 'wildcard', field: 'process.command_line', pattern: 'c:\\\\tools\\\\a\\*x*' }, []],
  ['wildcard: \\\\ is one backslash', { op: 'wildcard', field: 'process.command_line', pattern: '*\\\\\\\\srv\\\\share\\\\' }, ['s03']],
  ['wildcard: a trailing lone backslash is literal', { op: 'wildcard', field: 'process.command_line', pattern: '*share\\' }, ['s03']],
  ['wildcard: a backslash before another character escapes it', { op: 'wildcard', field: 'file.path', pattern: 'c:\\temp*' }, []],
  ['wildcard: a doubled backslash before a star', { op: 'wildcard', field: 'file.path', pattern: 'c:\\\\temp\\\\*' }, ['s03', 's04']],
  ['wildcard: ? is one code point, astral included', { op: 'wildcard', field: 'host.name', pattern: 'h?st' }, ['s04']],
  ['wildcard: ? at the start before an astral character', { op: 'wildcard', field: 'user.name', pattern: '?x' }, ['s04']],
  ['wildcard: stars and ? together', { op: 'wildcard', field: 'url.original', pattern: '*/wp-*/?dmin-ajax.php?*' }, ['s01']],
  ['contains: wildcard metacharacters are literal', { op: 'contains', field: 'process.command_line', value: 'A*B?' }, ['s03']],
  ['contains: a star that does not occur', { op: 'contains', field: 'url.original', value: '*' }, []],
  ['endswith: a trailing backslash', { op: 'endswith', field: 'file.path', value: '\\' }, ['s03']],
  ['endswith: text then a trailing backslash', { op: 'endswith', field: 'process.command_line', value: 'SHARE\\' }, ['s03']],
  ['startswith: a backslash inside', { op: 'startswith', field: 'file.path', value: 'c:\\temp\\' }, ['s03', 's04']],
  ['contains: a trailing backslash', { op: 'contains', field: 'process.command_line', value: 'srv\\' }, ['s03']],
  // Unicode simple case folding.
  ['eq: dotted capital I folds to i', { op: 'eq', field: 'user.name', value: 'istanbul' }, ['s03']],
  ['contains: capital sigma folds to σ, never final ς', { op: 'contains', field: 'message', value: 'σίσυφοσ' }, ['s03']],
  ['contains: capital sharp s folds to ß', { op: 'contains', field: 'message', value: 'straße' }, ['s03']],
  ['contains: simple folding does not expand ß', { op: 'contains', field: 'message', value: 'strasse' }, []],
  ['contains: the Kelvin sign folds to k', { op: 'contains', field: 'message', value: 'kelvin' }, ['s03']],
  ['contains case-sensitive: no folding', { op: 'contains', field: 'message', value: 'kelvin', caseSensitive: true }, []],
  // Regular expressions.
  ['regex: . does not cross a line break', { op: 'regex', field: 'message', pattern: 'one.line' }, []],
  ['regex: \\n matches a line break', { op: 'regex', field: 'message', pattern: 'one\\nline' }, ['s04']],
  ['regex flags.i over Greek', { op: 'regex', field: 'message', pattern: '^σίσυφοσ\\s', flags: { i: true } }, ['s03']],
  ['regex: a literal backslash', { op: 'regex', field: 'file.path', pattern: '\\\\Temp\\\\$' }, ['s03']],
  ['regex: counted repetition', { op: 'regex', field: 'url.original', pattern: '(\\.\\.%2f){2}etc' }, ['s02']],
  ['regex: a class range of punctuation', { op: 'regex', field: 'url.original', pattern: '[!-/]wp-config' }, ['s01']],
  ['regex: an astral literal', { op: 'regex', field: 'user.name', pattern: '^😀' }, ['s04']],
  ['regex: \\s matches a line break', { op: 'regex', field: 'message', pattern: 'one\\sline two$' }, ['s04']],
  ['regex: a class range of control characters', { op: 'regex', field: 'message', pattern: 'one[\\t-\\r]line' }, ['s04']],
  ['regex: a negated \\S does not match a line break', { op: 'regex', field: 'message', pattern: 'one\\Sline' }, []],
  ['regex flags.i: the Kelvin sign and capital sharp s fold', { op: 'regex', field: 'message', pattern: 'straße kelvin$', flags: { i: true } }, ['s03']],
  ['regex flags.i: a folded class meets the Kelvin sign', { op: 'regex', field: 'message', pattern: '\\s[J-L]ELVIN', flags: { i: true } }, ['s03']],
  // A backtracking engine takes 2^48 steps on s06's file.name; the three run automata.
  ['regex: a catastrophic pattern runs in linear time', { op: 'regex', field: 'file.name', pattern: '(a+)+$' }, []],
  ['regex: a catastrophic pattern that matches', { op: 'regex', field: 'file.name', pattern: '^(a+)+!' }, ['s06']],
  // C16 and C17: arrays of objects and flat dotted keys.
  ['arrays of objects: eq on any element', { op: 'eq', field: 'dns.answers.name', value: 'cdn.example.net' }, ['s06']],
  ['arrays of objects: contains', { op: 'contains', field: 'dns.answers.name', value: 'EVIL' }, ['s06']],
  ['arrays of objects: exists', { op: 'exists', field: 'dns.answers.type' }, ['s06']],
  ['arrays of objects: exists on the array', { op: 'exists', field: 'dns.answers' }, ['s06']],
  ['arrays of objects: not', { op: 'not', child: { op: 'eq', field: 'dns.answers.type', value: 'cname' } }, others('s06')],
  ['flat dotted key at the top level: eq', { op: 'eq', field: 'url.original', value: 'HTTP://FLAT.EXAMPLE/LOGIN?NEXT=%2FHOME' }, ['s06']],
  ['flat dotted key at the top level: regex', { op: 'regex', field: 'url.original', pattern: '^http://flat\\.' }, ['s06']],
  ['flat dotted key and nested values together', { op: 'startswith', field: 'url.original', value: 'http' }, ['s01', 's04', 's06']],
  ['flat dotted key inside an object', { op: 'eq', field: 'process.parent.name', value: 'SSHD' }, ['s06']],
  ['flat dotted key: exists', { op: 'exists', field: 'process.parent.name' }, ['s06']],
  ['flat dotted key: not', { op: 'not', child: { op: 'wildcard', field: 'url.original', pattern: '*flat*' } }, others('s06')],
  // CIDR, with IPv4-mapped IPv6 addresses.
  ['cidr: a v4 block holds an IPv4-mapped address', { op: 'cidr', field: 'source.ip', cidr: '198.51.100.0/24' }, ['s05']],
  ['cidr: over an array of mapped and link-local addresses', { op: 'cidr', field: 'related.ip', cidr: '10.0.0.0/8' }, ['s05']],
  ['cidr: v6 link-local', { op: 'cidr', field: 'related.ip', cidr: 'fe80::/10' }, ['s05']],
  ['cidr: a v6 block', { op: 'cidr', field: 'destination.ip', cidr: '2001:db8::/64' }, ['s05']],
  // Many-literal or-lists (one pass over the value in the predicate).
  ['or of 40 contains literals', { op: 'or', children: WEB_LITERALS.map((value) => ({ op: 'contains', field: 'url.original', value })) }, ['s01', 's02', 's04']],
  [
    'or of 40 contains literals, case-sensitive',
    {
      op: 'or',
      children: [
        ...WEB_LITERALS.map((value): FilterNode => ({ op: 'contains', field: 'url.original', value: value.toUpperCase(), caseSensitive: true })),
        { op: 'contains', field: 'url.original', value: '/Shell.ASPX', caseSensitive: true },
        { op: 'contains', field: 'url.original', value: '/shell.aspx', caseSensitive: true },
      ],
    },
    ['s04'],
  ],
  [
    'or of startswith, endswith, contains and eq literals on one field',
    {
      op: 'or',
      children: [
        { op: 'startswith', field: 'user_agent.original', value: 'SQLMAP/' },
        { op: 'startswith', field: 'user_agent.original', value: 'nikto' },
        { op: 'endswith', field: 'user_agent.original', value: '(x11; linux x86_64)' },
        { op: 'endswith', field: 'user_agent.original', value: 'masscan' },
        { op: 'contains', field: 'user_agent.original', value: 'nmap scripting' },
        { op: 'eq', field: 'user_agent.original', value: 'curl' },
      ],
    },
    ['s01', 's02'],
  ],
  [
    'or of eq literals: numeric strings against a number field',
    { op: 'or', children: ['301', '302', '404', '500', '503'].map((value) => ({ op: 'eq', field: 'http.response.status_code', value })) },
    ['s02'],
  ],
  [
    'or of eq literals: spellings of booleans against a boolean field',
    { op: 'or', children: ['yes', 'on', 'True', '1'].map((value) => ({ op: 'eq', field: 'tls.established', value })) },
    ['s01'],
  ],
  [
    'or of literals over an array field, mixed with other ops',
    {
      op: 'or',
      children: [
        ...['sshd', 'scanner', 'nginx', 'apache'].map((value): FilterNode => ({ op: 'eq', field: 'tags', value })),
        { op: 'cidr', field: 'source.ip', cidr: '198.51.100.0/24' },
      ],
    },
    ['s01', 's05'],
  ],
  [
    'not of an or-list: missing fields count',
    { op: 'not', child: { op: 'or', children: ['/c', '/k', '-c', 'whoami'].map((value) => ({ op: 'contains', field: 'process.args', value })) } },
    others('s02'),
  ],
];

/**
 * Cases where the Query DSL compiler (backends/elasticsearch) still answers differently from the
 * predicate and SQLite, which agree on the expected ids (of {@link SIGMA_CORPUS}). The suite
 * asserts the difference on the Elasticsearch major versions listed (and agreement on the others),
 * so fixing the compiler fails it: then move the case into SIGMA_CASES.
 */
export const KNOWN_DSL_DIVERGENCES: readonly (readonly [...FilterCase, majors: readonly number[]])[] = [
  // A JSON number in a keyword-mapped field is indexed as its spelling ("7002"): the keyword
  // view cannot tell it from a string, so the string ops see it and a numeric range does not.
  // The filter semantics (core/query/filter.ts) keep numbers and strings apart except for `eq`,
  // and the predicate and SQLite follow them; closing this needs the stores to keep one JSON type
  // per field (see the report of engineer H9: coerce at normalisation, or reject as a conflict).
  ['contains: a number in a keyword-mapped field is no string', { op: 'contains', field: 'winlog.record_id', value: '700' }, ['s01'], [8, 9]],
  ['range: a number in a keyword-mapped field', { op: 'range', field: 'winlog.record_id', gte: 7000 }, ['s06'], [8, 9]],
  // The predicate compares a decimal string with a number numerically; the keyword view holds only the spelling "7002".
  ['eq: a non-canonical decimal string meets a number in a keyword-mapped field', { op: 'eq', field: 'winlog.record_id', value: '7002.0' }, ['s06'], [8, 9]],
];

/** Both corpora: the conformance suite seeds the stores with every event. */
export const CONFORMANCE_CORPUS: readonly EcsEvent[] = [...CORPUS, ...SIGMA_CORPUS];

/** The ids of {@link CONFORMANCE_CORPUS}. */
export const CONFORMANCE_IDS: readonly string[] = [...CORPUS_ASC, ...SIGMA_IDS];

/**
 * Streaming-only ops (`fieldref`, `timepart`): the stores refuse them, so these run through the
 * predicate alone; expected ids are of {@link CONFORMANCE_CORPUS}.
 */
export const STREAMING_CASES: readonly FilterCase[] = [
  ['fieldref eq: folded', { op: 'fieldref', field: 'user.name', other: 'user.effective.name', mode: 'eq' }, ['s01']],
  ['fieldref eq: case-sensitive', { op: 'fieldref', field: 'user.name', other: 'user.effective.name', mode: 'eq', caseSensitive: true }, []],
  ['fieldref startswith', { op: 'fieldref', field: 'user.target.name', other: 'user.name', mode: 'startswith' }, ['s02']],
  ['fieldref endswith misses', { op: 'fieldref', field: 'user.target.name', other: 'user.name', mode: 'endswith' }, []],
  ['fieldref eq: numbers', { op: 'fieldref', field: 'source.port', other: 'destination.port', mode: 'eq' }, ['s05']],
  ['fieldref contains: folded', { op: 'fieldref', field: 'message', other: 'user.name', mode: 'contains' }, ['e01', 'e02', 'e06', 'e07']],
  ['fieldref contains: case-sensitive', { op: 'fieldref', field: 'message', other: 'user.name', mode: 'contains', caseSensitive: true }, ['e02', 'e06']],
  ['fieldref: a missing field is false', { op: 'fieldref', field: 'user.name', other: 'no.such.field', mode: 'eq' }, []],
  ['not fieldref over a missing field is true', { op: 'not', child: { op: 'fieldref', field: 'user.name', other: 'no.such.field', mode: 'eq' } }, [...CONFORMANCE_IDS]],
  ['timepart hour', { op: 'timepart', field: '@timestamp', part: 'hour', eq: 10 }, ['e01', 'e02', 'e03', 'e04', 'e06']],
  ['timepart day of month', { op: 'timepart', field: '@timestamp', part: 'day', eq: 3 }, ['e07', 'e08']],
  ['timepart minute range', { op: 'timepart', field: '@timestamp', part: 'minute', gte: 1, lte: 2 }, ['e02', 'e03', 'e04', 's02', 's03']],
  ['timepart hour gt', { op: 'timepart', field: '@timestamp', part: 'hour', gt: 11 }, ['s01', 's02', 's03', 's04', 's05', 's06']],
  ['timepart ISO week', { op: 'timepart', field: '@timestamp', part: 'week', eq: 9 }, [...CONFORMANCE_IDS]],
  ['timepart month and year', { op: 'and', children: [{ op: 'timepart', field: '@timestamp', part: 'month', eq: 3 }, { op: 'timepart', field: '@timestamp', part: 'year', eq: 2024 }] }, [...CONFORMANCE_IDS]],
  ['timepart on a field that is not a timestamp', { op: 'timepart', field: 'user.name', part: 'hour', eq: 10 }, []],
];

/** Malformed filters: every compiler refuses them with WATCHPOST_ERR_STORE_INVALID_QUERY. */
export const INVALID_FILTERS: readonly (readonly [name: string, filter: FilterNode])[] = [
  ['a field name with a space', { op: 'eq', field: 'bad field', value: 1 }],
  ['an empty field name', { op: 'exists', field: '' }],
  ['a lookbehind', { op: 'regex', field: 'message', pattern: '(?<=a)b' }],
  ['a backreference', { op: 'regex', field: 'message', pattern: '(a)\\1' }],
  ['a regex that does not parse', { op: 'regex', field: 'message', pattern: '(a' }],
  ['a regex past the length limit', { op: 'regex', field: 'message', pattern: 'a'.repeat(4097) }],
  ['a CIDR block without dots', { op: 'cidr', field: 'source.ip', cidr: '10/8' }],
  ['a CIDR prefix too long', { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/33' }],
  ['a range without bounds', { op: 'range', field: 'event.severity' }],
  ['a range mixing numbers and timestamps', { op: 'range', field: 'event.severity', gt: 1, lt: '2024-01-01T00:00:00Z' }],
  ['a range bound that is no timestamp', { op: 'range', field: '@timestamp', gt: 'yesterday' }],
  ['eq with NaN', { op: 'eq', field: 'event.severity', value: Number.NaN }],
];
