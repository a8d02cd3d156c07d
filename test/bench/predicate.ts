// The JS predicate compiler: nanoseconds per event for the shapes Sigma rules take. Prints
// figures and ratios, asserts nothing.
//   npx tsx test/bench/predicate.ts [seconds per measurement]
// (a) a 60-literal `contains` or-list (SigmaHQ web/proxy rules) on a 200-character URL, as one
//     multi-pattern pass and, for the ratio, as 60 separate predicates;
// (b) a typical 3-leaf rule;
// (c) the regex engine (re2js) on a hostile line for `(a+)+$`, against V8's backtracking RegExp.
// Every event gets a fresh EventContext (its cost is included), as the detector builds one per event.
import type { FilterNode } from '../../core/query/filter.js';
import { eventContext } from '../../engine/query/event-context.js';
import { compilePredicate, type Predicate } from '../../engine/query/predicate.js';

const SECONDS = Number(process.argv[2] ?? 0.5);
const ROUNDS = 3;

/** Median over rounds of the nanoseconds one call of `run` takes. */
function measure(run: () => unknown): number {
  const results: number[] = [];
  for (let i = 0; i < 20_000; i++) run(); // warm-up: let the JIT settle before timing
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(SECONDS * 1e9));
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 1000; i++) run();
      calls += 1000;
      now = process.hrtime.bigint();
    }
    results.push(Number(now - start) / calls);
  }
  return results.sort((a, b) => a - b)[1] as number;
}

const fmt = (ns: number): string => `${ns.toFixed(0).padStart(7)} ns/event  (${(1e9 / ns / 1e6).toFixed(2)} M events/s)`;

// (a) 60 literals of the kind SigmaHQ web rules list; the URL holds none of them (the worst case:
// every literal is looked for along the whole value) or one near its end.
const LITERALS = [
  '/wp-config.php', 'etc%2fpasswd', '.aspx?cmd=', '/etc/shadow', 'cmd.exe', '/bin/bash', 'powershell', '<script', 'union select',
  'sleep(', 'benchmark(', '../../', '..%5c', '%00', 'wget ', 'curl ', '/.git/', '/.env', 'phpinfo', 'eval(', 'base64_decode',
  'xp_cmdshell', 'jndi:ldap', '${jndi', '/solr/admin', '/actuator/env', '/cgi-bin/', 'boaform', '/hnap1', 'shell?cd',
  'invokefunction', '/vendor/phpunit', 'eval-stdin.php', 'think\\app', '/owa/auth', 'autodiscover.xml', '/ecp/', 'ssrf=',
  'file://', 'gopher://', 'dict://', '/proc/self', 'win.ini', 'boot.ini', '/.aws/', 'id_rsa', '/.ssh/', 'passwd%00',
  'onerror=', 'onload=', 'javascript:', 'document.cookie', 'alert(', '/manager/html', '/jmx-console', '/invoker/',
  'struts', 'ognl', 'class.module', 'select%20',
];
const URL_MISS = `https://shop.example.com/catalog/products/category/outdoor-equipment/tents-and-shelters/item/${'x'.repeat(40)}?sort=price&order=asc&page=3&session=4f1c2a9b7d3e8f60&utm_source=newsletter&utm_medium=email`;
const URL_HIT = `${URL_MISS.slice(0, 190)}&q=alert(`;
const orList: FilterNode = { op: 'or', children: LITERALS.map((value) => ({ op: 'contains', field: 'url.original', value })) };
const onePass = compilePredicate(orList);
const separately = LITERALS.map((value) => compilePredicate({ op: 'contains', field: 'url.original', value }));
const anyOf = (predicates: readonly Predicate[]) => (ctx: ReturnType<typeof eventContext>) => predicates.some((p) => p(ctx));
const naive = anyOf(separately);
const missEvent = { url: { original: URL_MISS } };
const hitEvent = { url: { original: URL_HIT } };
if (onePass(eventContext(missEvent)) || !onePass(eventContext(hitEvent)) || naive(eventContext(missEvent))) throw new Error('benchmark fixture is wrong');

console.log(`predicate benchmark: ${SECONDS} s per measurement, median of ${ROUNDS}; URL ${URL_MISS.length} characters, ${LITERALS.length} literals`);
console.log('(a) 60-literal contains or-list, case-insensitive');
const aOne = measure(() => onePass(eventContext(missEvent)));
const aNaive = measure(() => naive(eventContext(missEvent)));
const aHit = measure(() => onePass(eventContext(hitEvent)));
console.log(`    one pass (Aho–Corasick), no literal found  ${fmt(aOne)}`);
console.log(`    60 separate includes, no literal found     ${fmt(aNaive)}   ratio ${(aNaive / aOne).toFixed(1)}x`);
console.log(`    one pass, literal at the end               ${fmt(aHit)}`);
const ctxOnly = measure(() => eventContext(missEvent).field('url.original').folded);
console.log(`    of which context + folding the URL         ${fmt(ctxOnly)}`);

// (b) A typical web rule: an endswith, a contains and an eq, on an access-log event.
const rule: FilterNode = {
  op: 'and',
  children: [
    { op: 'eq', field: 'http.request.method', value: 'POST' },
    { op: 'endswith', field: 'url.path', value: '.php' },
    { op: 'contains', field: 'url.query', value: 'cmd=' },
  ],
};
const rulePredicate = compilePredicate(rule);
const access = (method: string, query: string): object => ({
  '@timestamp': '2024-03-01T10:00:00Z',
  source: { ip: '203.0.113.7' },
  http: { request: { method }, response: { status_code: 200 } },
  url: { path: '/upload/shell.php', query, original: `/upload/shell.php?${query}` },
  user_agent: { original: 'Mozilla/5.0' },
});
const matching = access('POST', 'cmd=whoami');
const firstFails = access('GET', 'cmd=whoami');
if (!rulePredicate(eventContext(matching)) || rulePredicate(eventContext(firstFails))) throw new Error('benchmark fixture is wrong');
console.log('(b) 3-leaf rule: eq method, endswith path, contains query');
console.log(`    all three leaves hold                      ${fmt(measure(() => rulePredicate(eventContext(matching))))}`);
console.log(`    the first leaf fails                       ${fmt(measure(() => rulePredicate(eventContext(firstFails))))}`);
const shared = eventContext(matching);
rulePredicate(shared);
console.log(`    all hold, context already warm (2nd rule)  ${fmt(measure(() => rulePredicate(shared)))}`);

// (c) Regular expressions: linear time on a hostile line, and the price of it on a normal one.
console.log('(c) regex (a+)+$ on "a"×n + "!" (catastrophic for backtracking engines)');
const hostile = compilePredicate({ op: 'regex', field: 'message', pattern: '(a+)+$' });
for (const n of [1_000, 10_000, 100_000]) {
  const event = { message: `${'a'.repeat(n)}!` };
  const start = process.hrtime.bigint();
  const result = hostile(eventContext(event));
  console.log(`    re2js n=${String(n).padEnd(7)} ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2).padStart(9)} ms  (${String(result)})`);
}
for (const n of [20, 24]) {
  const native = /(a+)+$/;
  const start = process.hrtime.bigint();
  native.test(`${'a'.repeat(n)}!`);
  console.log(`    V8 RegExp n=${String(n).padEnd(4)} ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2).padStart(9)} ms  (doubles with every extra character)`);
}
const typical = compilePredicate({ op: 'regex', field: 'url.original', pattern: '[?&](cmd|exec|command)=[^&]{3,}', flags: { i: true } });
const typicalNative = /[?&](cmd|exec|command)=[^&]{3,}/i;
console.log(`    typical regex, re2js, ${URL_MISS.length}-char URL     ${fmt(measure(() => typical(eventContext(missEvent))))}`);
console.log(`    same with V8 RegExp (for the ratio)        ${fmt(measure(() => typicalNative.test(URL_MISS)))}`);
