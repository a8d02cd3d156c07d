/**
 * Fills the placeholders of the demo's templates: times (with the moment a line is sent, in
 * UTC, the zone Watchpost assumes for syslog timestamps that carry none) and the seeded pools of
 * addresses, users, pages and numbers that make the lines look like a real site's.
 */
import type { Random } from './random.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function clock(now: Date): string {
  return `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
}

/** The time placeholders, filled when a line is sent. */
const TIMES: Readonly<Record<string, (now: Date) => string>> = {
  /** RFC 3164: `Jan  5 10:00:00` (day padded with a space). */
  bsd: (now) => `${MONTHS[now.getUTCMonth()]} ${String(now.getUTCDate()).padStart(2, ' ')} ${clock(now)}`,
  /** RFC 5424: ISO 8601 with milliseconds. */
  iso: (now) => now.toISOString(),
  /** Cisco ASA with `logging timestamp`: the year after the day. */
  asa: (now) => `${MONTHS[now.getUTCMonth()]} ${String(now.getUTCDate()).padStart(2, ' ')} ${now.getUTCFullYear()} ${clock(now)}`,
  fortiDate: (now) => `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}`,
  fortiTime: clock,
  epochNs: (now) => `${now.getTime()}000000`,
  /** Common log format: `05/Jan/2026:10:00:00 +0000`. */
  clf: (now) => `${pad(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:${clock(now)} +0000`,
  compactTime: (now) => `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}T${clock(now).replace(/:/g, '')}`,
  /** The kernel's seconds since boot, as netfilter logs prefix them. */
  uptime: (now) => ((now.getTime() / 1000) % 1_000_000).toFixed(6).padStart(13, ' '),
};

const STAFF = ['a.martin', 'j.meyer', 'l.schmidt', 't.nguyen', 'k.weber', 's.okafor', 'm.rossi', 'e.jansen'];
const OPS = ['deploy', 'ops', 'backup', 'ansible'];
const SERVERS = ['app-01.corp.example.com', 'app-02.corp.example.com', 'db-01.corp.example.com', 'bastion.corp.example.com'];
const PAGES = ['/', '/products', '/products/espresso-machine', '/products/grinder', '/cart', '/checkout', '/search?q=filter+papers', '/about', '/contact', '/blog/latte-art'];
const ASSETS = ['/static/app.3f9c1.js', '/static/app.3f9c1.css', '/static/logo.svg', '/favicon.ico', '/static/fonts/inter.woff2', '/img/hero.webp'];
const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];
const ADMIN_COMMANDS = ['/usr/bin/apt-get update', '/usr/bin/systemctl reload nginx', '/usr/bin/systemctl restart app', '/usr/bin/journalctl --vacuum-time=14d'];
/** Few ports, so that background denies never look like a port scan. */
const NOISE_PORTS = ['23', '445', '3389', '22', '8080'];
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The pools placeholders draw from. `avoid` holds the attackers, whom benign lines never name. */
function pools(random: Random, avoid: ReadonlySet<string>): Readonly<Record<string, () => string>> {
  const internet = (): string => {
    for (;;) {
      const address = `${random.pick(['198.51.100', '203.0.113'])}.${random.int(20, 254)}`;
      if (!avoid.has(address)) return address;
    }
  };
  return {
    lanIp: () => `10.10.20.${random.int(10, 250)}`,
    adminIp: () => `10.10.40.${random.int(5, 12)}`,
    resolverIp: () => random.pick(['10.10.30.53', '10.10.30.54']),
    remoteIp: internet,
    visitorIp: internet,
    noiseIp: internet,
    noisePort: () => random.pick(NOISE_PORTS),
    sport: () => String(random.int(32768, 60999)),
    pid: () => String(random.int(1200, 64000)),
    session: () => String(random.int(100000, 9999999)),
    sequence: () => String(random.int(100000000, 4000000000)),
    ipId: () => String(random.int(1, 65535)),
    duration: () => String(random.int(1, 180)),
    bytes: () => String(random.int(300, 250000)),
    packets: () => String(random.int(4, 400)),
    server: () => random.pick(SERVERS),
    opsUser: () => random.pick(OPS),
    uid: () => String(random.int(1001, 1020)),
    staffUser: () => random.pick(STAFF),
    fingerprint: () => Array.from({ length: 43 }, () => BASE64URL[random.int(0, 63)]).join(''),
    adminCommand: () => random.pick(ADMIN_COMMANDS),
    avVersion: () => String(random.int(27460, 27499)),
    page: () => random.pick(PAGES),
    asset: () => random.pick(ASSETS),
    browser: () => random.pick(BROWSERS),
  };
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** Fills placeholders from values and pools when a line is planned; leaves the times for {@link fillTimes}. */
export interface Filler {
  fill(text: string, values?: Readonly<Record<string, string>>): string;
}

/** A filler drawing from `random`; throws on a placeholder nothing fills, so a typo in a template fails its test. */
export function createFiller(random: Random, avoid: ReadonlySet<string> = new Set()): Filler {
  const from = pools(random, avoid);
  return {
    fill(text, values = {}) {
      return text.replace(PLACEHOLDER, (whole, name: string) => {
        if (Object.hasOwn(values, name)) return values[name] as string;
        if (Object.hasOwn(TIMES, name)) return whole;
        const pool = from[name];
        if (!pool) throw new RangeError(`unknown placeholder {${name}} in a demo template`);
        return pool();
      });
    },
  };
}

/** The line with its time placeholders filled with `now`. */
export function fillTimes(text: string, now: Date): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(TIMES, name) ? (TIMES[name] as (now: Date) => string)(now) : whole));
}
