/**
 * Country and autonomous system of the report's top attacking addresses.
 *
 * Country comes from geoip-lite (loaded on the first public address: its import reads ~100 MB
 * synchronously). The AS number and organization come from the CSV ranges of
 * `@ip-location-db/asn`: about 400 000 IPv4 and 100 000 IPv6 rows, sorted by range start, which
 * one call streams once per family and matches against its few addresses in a single merge pass —
 * the file is never held in memory, and a report looks up at most a handful of addresses a week,
 * so an index kept in memory for that would be wasted.
 */
import type * as GeoipLite from 'geoip-lite';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { OperationalError, UnexpectedError } from '../core/errors.js';
import { isSpecialAddress } from '../core/net/special-ranges.js';

/** What is known of one address. */
export interface IpInfo {
  /** ISO 3166 alpha-2. */
  readonly country?: string;
  /** The country's English name. */
  readonly countryName?: string;
  readonly asn?: number;
  readonly asOrganization?: string;
}

/** Country and ASN of addresses; addresses nothing is known of are absent from the answer. */
export type IpInfoLookup = (ips: readonly string[]) => Promise<ReadonlyMap<string, IpInfo>>;

/** Most addresses one call looks up (the report asks for its top ten). */
export const MAX_LOOKUP_ADDRESSES = 20;

/**
 * The credit the data's licences ask for, to print wherever the report shows a country or an AS:
 * the ASN data is CC BY 4.0 (RouteViews, NRO, DB-IP), the country data MaxMind's GeoLite.
 */
export const IP_DATA_ATTRIBUTION =
  'AS numbers and names: RouteViews (routeviews.org), NRO (nro.net) and DB-IP IP to ASN Lite (db-ip.com), CC BY 4.0, via ip-location-db. ' +
  'Countries: GeoLite data created by MaxMind (maxmind.com), via geoip-lite.';

/** Options of {@link createIpInfoLookup}. */
export interface IpInfoOptions {
  /** The folder holding `asn-ipv4-num.csv` and `asn-ipv6-num.csv`. @defaultValue the installed `@ip-location-db/asn` */
  readonly asnDir?: string;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** A public address in the form the ASN files number it, or undefined for special and invalid ones. */
interface Address {
  readonly input: string;
  readonly family: 4 | 6;
  /** The text geoip-lite is asked about (an IPv4-mapped address as plain IPv4). */
  readonly text: string;
  /** The address as an unsigned decimal integer, as the `-num` files write it. */
  readonly decimal: string;
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** The 128-bit value of a valid IPv6 address (isIP already said so). */
function ipv6Number(ip: string): bigint {
  let text = ip.split('%', 1)[0] ?? ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4Number(tail);
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65_536).toString(16)}:${(v4 % 65_536).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function toAddress(input: string): Address | undefined {
  const trimmed = input.trim();
  const mapped = MAPPED_V4.exec(trimmed)?.[1];
  const text = mapped ?? trimmed;
  const family = isIP(text);
  if (family === 0 || isSpecialAddress(text)) return undefined;
  return family === 4
    ? { input, family: 4, text, decimal: String(ipv4Number(text)) }
    : { input, family: 6, text, decimal: ipv6Number(text).toString() };
}

/** The key of an address's ASN answer: the families number their addresses apart. */
function keyOf(address: Address): string {
  return `${address.family}:${address.decimal}`;
}

/** Orders unsigned decimal integers written without leading zeros, as numbers (no BigInt per row). */
function compareDecimal(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function unquote(field: string): string {
  return field.startsWith('"') && field.endsWith('"') && field.length >= 2 ? field.slice(1, -1).replaceAll('""', '"') : field;
}

/**
 * Streams one `-num` CSV (`start,end,asn,org`, sorted by start, ranges disjoint) once, matching the
 * addresses (sorted ascending) in a single merge pass, and stops as soon as the last is placed.
 */
async function matchAsn(file: string, addresses: readonly Address[], found: Map<string, { asn: number; asOrganization?: string }>): Promise<void> {
  let next = 0;
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      const first = line.indexOf(',');
      const second = line.indexOf(',', first + 1);
      const third = line.indexOf(',', second + 1);
      if (first <= 0 || second < 0 || third < 0) continue;
      const start = line.slice(0, first);
      // Rows start in ascending order: an address before this row's start is in no row.
      while (next < addresses.length && compareDecimal((addresses[next] as Address).decimal, start) < 0) next += 1;
      if (next === addresses.length) break;
      const end = line.slice(first + 1, second);
      while (next < addresses.length && compareDecimal((addresses[next] as Address).decimal, end) <= 0) {
        const asn = Number(line.slice(second + 1, third));
        const organization = unquote(line.slice(third + 1)).trim();
        if (Number.isInteger(asn) && asn > 0) found.set(keyOf(addresses[next] as Address), { asn, ...(organization !== '' ? { asOrganization: organization } : {}) });
        next += 1;
      }
      if (next === addresses.length) break;
    }
  } catch (error) {
    throw new OperationalError('WATCHPOST_ERR_REPORT_RENDER', `cannot read the ASN data ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  } finally {
    lines.close();
    stream.destroy();
  }
}

let geoipLite: typeof GeoipLite | undefined;
const COUNTRY_NAMES = new Intl.DisplayNames(['en'], { type: 'region' });

function countryOf(ip: string): { country: string; countryName?: string } | undefined {
  geoipLite ??= createRequire(import.meta.url)('geoip-lite') as typeof GeoipLite;
  const country = geoipLite.lookup(ip)?.country;
  if (!country) return undefined;
  let name: string | undefined;
  try {
    name = COUNTRY_NAMES.of(country);
  } catch {
    name = undefined;
  }
  return name !== undefined && name !== country ? { country, countryName: name } : { country };
}

function defaultAsnDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/asn-ipv4-num.csv'));
}

/** A lookup of country (geoip-lite) and AS (ip-location-db) for a few public addresses at a time. */
export function createIpInfoLookup(options: IpInfoOptions = {}): IpInfoLookup {
  let asnDir = options.asnDir;
  return async (ips) => {
    const distinct = [...new Set(ips)];
    if (distinct.length > MAX_LOOKUP_ADDRESSES) {
      throw new UnexpectedError('WATCHPOST_ERR_INTERNAL', `an IP lookup takes at most ${MAX_LOOKUP_ADDRESSES} addresses, not ${distinct.length}`);
    }
    const addresses = distinct.map(toAddress).filter((address): address is Address => address !== undefined);
    const answer = new Map<string, IpInfo>();
    if (addresses.length === 0) return answer;
    asnDir ??= defaultAsnDir();
    const asns = new Map<string, { asn: number; asOrganization?: string }>();
    for (const [family, file] of [
      [4, 'asn-ipv4-num.csv'],
      [6, 'asn-ipv6-num.csv'],
    ] as const) {
      const sorted = addresses.filter((address) => address.family === family).sort((a, b) => compareDecimal(a.decimal, b.decimal));
      if (sorted.length > 0) await matchAsn(join(asnDir, file), sorted, asns);
    }
    for (const address of addresses) {
      const info = { ...countryOf(address.text), ...asns.get(keyOf(address)) };
      if (Object.keys(info).length > 0) answer.set(address.input, info);
    }
    return answer;
  };
}
