import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IP_DATA_ATTRIBUTION, MAX_LOOKUP_ADDRESSES, createIpInfoLookup, type IpInfo } from './ip-info.js';

/** The AS part of an answer (the country comes from geoip-lite's data, which the tests do not pin). */
function asOf(info: IpInfo | undefined): { asn?: number; asOrganization?: string } | undefined {
  if (info?.asn === undefined) return undefined;
  return { asn: info.asn, ...(info.asOrganization !== undefined ? { asOrganization: info.asOrganization } : {}) };
}

describe('createIpInfoLookup on the installed data', () => {
  const lookup = createIpInfoLookup();

  it('finds the AS of real IPv4 and IPv6 addresses, and nothing for special ones', async () => {
    const started = performance.now();
    const answer = await lookup(['1.1.1.1', '8.8.8.8', '2001:4860:4860::8888', '2606:4700:4700::1111', '::ffff:9.9.9.9', '10.0.0.1', '192.168.1.1', 'fe80::1', 'not-an-ip']);
    const elapsedMs = performance.now() - started;
    expect(asOf(answer.get('1.1.1.1'))).toEqual({ asn: 13335, asOrganization: 'Cloudflare, Inc.' });
    expect(asOf(answer.get('8.8.8.8'))).toEqual({ asn: 15169, asOrganization: 'Google LLC' });
    expect(asOf(answer.get('2001:4860:4860::8888'))).toEqual({ asn: 15169, asOrganization: 'Google LLC' });
    expect(asOf(answer.get('2606:4700:4700::1111'))).toEqual({ asn: 13335, asOrganization: 'Cloudflare, Inc.' });
    expect(asOf(answer.get('::ffff:9.9.9.9'))).toEqual({ asn: 19281, asOrganization: 'Quad9' });
    expect(answer.get('8.8.8.8')).toMatchObject({ country: 'US', countryName: 'United States' });
    for (const special of ['10.0.0.1', '192.168.1.1', 'fe80::1', 'not-an-ip']) expect(answer.has(special)).toBe(false);
    expect(answer.size).toBe(5);
    // One call streams both files once (and loads geoip-lite the first time).
    expect(elapsedMs).toBeLessThan(3_000);
  });

  it('answers an empty map for no public address without reading anything', async () => {
    await expect(lookup([])).resolves.toEqual(new Map());
    await expect(lookup(['127.0.0.1', '2001:db8::1'])).resolves.toEqual(new Map());
  });

  it(`refuses more than ${MAX_LOOKUP_ADDRESSES} distinct addresses`, async () => {
    const many = Array.from({ length: MAX_LOOKUP_ADDRESSES + 1 }, (_, i) => `8.8.${i}.8`);
    await expect(lookup(many)).rejects.toMatchObject({ code: 'WATCHPOST_ERR_INTERNAL' });
    await expect(lookup([...many.slice(0, MAX_LOOKUP_ADDRESSES), ...many.slice(0, 5)])).resolves.toBeInstanceOf(Map);
  });

  it('credits the data sources the licences name', () => {
    for (const credit of ['RouteViews', 'DB-IP', 'CC BY 4.0', 'MaxMind']) expect(IP_DATA_ATTRIBUTION).toContain(credit);
  });
});

describe('createIpInfoLookup merge pass', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-asn-'));
  // 1.0.0.0–1.0.0.255, a gap, 1.0.2.0–1.0.3.255 (quoted name with a comma and a quote), 8.8.8.0/24; CRLF endings.
  writeFileSync(
    join(dir, 'asn-ipv4-num.csv'),
    ['16777216,16777471,64500,First Net', '16777728,16778239,64501,"Second, ""Quoted"" Net"', '134744064,134744319,64502,Last'].join('\r\n') + '\r\n',
  );
  // 2a00::/16 as one range.
  const start = (0x2a00n << 112n).toString();
  const end = ((0x2a01n << 112n) - 1n).toString();
  writeFileSync(join(dir, 'asn-ipv6-num.csv'), `${start},${end},64503,Six\n`);
  const lookup = createIpInfoLookup({ asnDir: dir });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('places several addresses in one row, skips gaps and addresses past the last row, in any input order', async () => {
    const answer = await lookup(['9.9.9.9', '1.0.3.255', '1.0.1.7', '1.0.0.0', '1.0.2.0', '1.0.0.255', '8.8.8.8', '2a00:1450::1', '2a01::1']);
    const asns = Object.fromEntries([...answer].map(([ip, info]) => [ip, asOf(info)]).filter(([, as]) => as !== undefined));
    expect(asns).toEqual({
      '1.0.0.0': { asn: 64500, asOrganization: 'First Net' },
      '1.0.0.255': { asn: 64500, asOrganization: 'First Net' },
      '1.0.2.0': { asn: 64501, asOrganization: 'Second, "Quoted" Net' },
      '1.0.3.255': { asn: 64501, asOrganization: 'Second, "Quoted" Net' },
      '8.8.8.8': { asn: 64502, asOrganization: 'Last' },
      '2a00:1450::1': { asn: 64503, asOrganization: 'Six' },
    });
  });

  it('rejects with an operational error when the data is missing', async () => {
    const missing = createIpInfoLookup({ asnDir: join(dir, 'nowhere') });
    await expect(missing(['8.8.8.8'])).rejects.toMatchObject({ code: 'WATCHPOST_ERR_REPORT_RENDER' });
  });
});
