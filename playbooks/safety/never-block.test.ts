import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import { accountNames, checkAccount, checkAddress, checkSafetyConfig, mappedIpv4, staticNeverBlock, type SafetyConfig } from './never-block.js';
import { parseAddress } from '../actions/address.js';

const DEFAULTS: SafetyConfig = loadConfig({ text: '', env: {} }).response.safety;
const HOST = { addresses: ['198.51.100.10', '2001:db8:1::10'], gateways: ['203.0.113.1'], dnsServers: ['2001:db8::53'] };

function list(overrides: Partial<SafetyConfig> = {}) {
  return staticNeverBlock({ ...DEFAULTS, neverBlock: ['192.0.2.0/24'], ...overrides }, HOST);
}

describe('checkAddress', () => {
  it.each([
    ['192.0.2.1', 'never-block: 192.0.2.1 is in 192.0.2.0/24 (config)'],
    ['203.0.0.0/16', 'never-block: 203.0.0.0/16 contains 203.0.113.1 (gateway)'],
    ['198.51.100.10', 'never-block: 198.51.100.10 is in 198.51.100.10 (host)'],
    ['2001:db8::53', 'never-block: 2001:db8::53 is in 2001:db8::53 (dns)'],
    ['169.254.169.254', 'never-block: 169.254.169.254 is in 169.254.0.0/16 (builtin)'],
    ['127.0.0.53', 'never-block: 127.0.0.53 is in 127.0.0.0/8 (builtin)'],
    ['::1', 'never-block: ::1 is in ::1 (builtin)'],
    ['fd00:ec2::254', 'never-block: fd00:ec2::254 is in fd00:ec2::254 (builtin)'],
    ['fe80::1', 'never-block: fe80::1 is in fe80::/10 (builtin)'],
    ['239.1.1.1', 'never-block: 239.1.1.1 is in 224.0.0.0/4 (builtin)'],
    ['ff02::1', 'never-block: ff02::1 is in ff00::/8 (builtin)'],
    ['255.255.255.255', 'never-block: 255.255.255.255 is in 255.255.255.255 (builtin)'],
    ['0.0.0.0', 'never-block: 0.0.0.0 is in 0.0.0.0/8 (builtin)'],
    ['128.0.0.0/1', 'never-block: 128.0.0.0/1 contains 169.254.0.0/16 (builtin)'],
    ['::ffff:127.0.0.1', 'never-block: ::ffff:7f00:1 is in 127.0.0.0/8 (builtin)'],
    ['::ffff:0:0/96', 'never-block: ::ffff:0:0/96 contains 127.0.0.0/8 (builtin)'],
    ['0.0.0.0/0', 'absurd-prefix: 0.0.0.0/0 would block every IPv4 address'],
    ['::/0', 'absurd-prefix: ::/0 would block every IPv6 address'],
    ['example.com', 'invalid-address: "example.com" is not an IP address or CIDR prefix'],
    ['10.0.0.1/33', 'invalid-address: "10.0.0.1/33" is not an IP address or CIDR prefix'],
  ])('refuses %s', (address, reason) => {
    const check = checkAddress(address, list());
    expect(check).toMatchObject({ refused: true, reason });
  });

  it('names the entry it hit', () => {
    const check = checkAddress('192.0.2.77', list());
    expect(check).toEqual({
      refused: true,
      reason: 'never-block: 192.0.2.77 is in 192.0.2.0/24 (config)',
      entry: { value: '192.0.2.0/24', source: 'config', note: 'response.safety.neverBlock' },
    });
  });

  it.each(['8.8.8.8', '203.0.113.9', '198.51.100.0/31', '2001:db8:2::/48', '::ffff:8.8.8.8', '45.0.0.0/8'])('lets %s through', (address) => {
    expect(checkAddress(address, list())).toEqual({ refused: false });
  });

  it('refuses text that is not a string', () => {
    expect(checkAddress(42, list())).toMatchObject({ refused: true, reason: 'invalid-address: number is not an IP address or CIDR prefix' });
  });

  it("leaves the host's addresses, gateways and name servers out when the config says so", () => {
    const open = list({ protectHostAddresses: false, protectGateways: false, protectDnsServers: false });
    expect(checkAddress('198.51.100.10', open)).toEqual({ refused: false });
    expect(checkAddress('203.0.113.1', open)).toEqual({ refused: false });
    expect(checkAddress('2001:db8::53', open)).toEqual({ refused: false });
    expect(checkAddress('192.0.2.1', open).refused).toBe(true);
  });
});

describe('mappedIpv4', () => {
  it('maps IPv4-mapped IPv6 prefixes to the IPv4 prefix they cover', () => {
    expect(mappedIpv4(parseAddress('::ffff:192.0.2.0/120')).map((p) => p.cidr)).toEqual(['192.0.2.0/24']);
    expect(mappedIpv4(parseAddress('::fffe:0:0/95')).map((p) => p.cidr)).toEqual(['0.0.0.0/0']);
    expect(mappedIpv4(parseAddress('2001:db8::1'))).toEqual([]);
    expect(mappedIpv4(parseAddress('192.0.2.1'))).toEqual([]);
  });
});

describe('checkAccount', () => {
  const protectedAccounts = DEFAULTS.protectedAccounts.concat(['svc-backup@corp.example']);
  it.each([
    ['root', 'root'],
    ['ROOT', 'root'],
    ['Administrator', 'administrator'],
    ['CORP\\Administrator', 'administrator'],
    ['administrator@corp.example', 'administrator'],
    ['krbtgt@CORP.EXAMPLE', 'krbtgt'],
    ['svc-backup', 'svc-backup@corp.example'],
    ['SVC-BACKUP@corp.example', 'svc-backup@corp.example'],
  ])('refuses %s', (account, entry) => {
    expect(checkAccount(account, protectedAccounts)).toEqual({ refused: true, reason: `protected-account: ${account} is protected (${entry})` });
  });

  it.each(['alice', 'CORP\\alice', 'rooted', 'admin2@corp.example'])('lets %s through', (account) => {
    expect(checkAccount(account, protectedAccounts)).toEqual({ refused: false });
  });

  it('refuses what is not an account name', () => {
    expect(checkAccount('  ', protectedAccounts)).toMatchObject({ refused: true, reason: expect.stringMatching(/^invalid-account: /) });
    expect(checkAccount(undefined, protectedAccounts)).toMatchObject({ refused: true, reason: expect.stringMatching(/^invalid-account: /) });
  });

  it('lists the names an account goes by', () => {
    expect(accountNames('CORP\\Alice')).toEqual(['corp\\alice', 'alice']);
    expect(accountNames('Alice@Corp.Example')).toEqual(['alice@corp.example', 'alice']);
  });
});

describe('checkSafetyConfig', () => {
  it('accepts the defaults', () => {
    expect(checkSafetyConfig(DEFAULTS)).toEqual([]);
  });

  it('reports every bad never-block entry with its path, and contradictory TTLs', () => {
    const problems = checkSafetyConfig({ ...DEFAULTS, neverBlock: ['10.0.0.0/8', 'gateway.corp', '192.0.2.1/40'], maxBlockTtlMs: 60_000 });
    expect(problems.map((p) => p.path)).toEqual(['response.safety.neverBlock.1', 'response.safety.neverBlock.2', 'response.safety.maxBlockTtlMs']);
    expect(problems[0]?.message).toContain('"gateway.corp" is not an IP address or CIDR prefix');
  });

  it('reports a cap longer than a block can last', () => {
    const problems = checkSafetyConfig({ ...DEFAULTS, maxBlockTtlMs: 400 * 24 * 3600 * 1000 });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('longer than 366 days');
  });
});
