import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { KernelDropCounter, parseSnmpRcvbufErrors, parseSocketDrops, procAddressHex } from './kernel-drops.js';

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:15BA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 17
  124: 0200007F:15BA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4243 2 0000000000000000 5
`;
const SNMP = `Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 298 0 3 299 41 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 7 0 0 0 0
`;

describe('kernel drop counters', () => {
  it.runIf(endianness() === 'LE')('spells addresses as the kernel does in /proc/net/udp{,6}', () => {
    expect(procAddressHex('127.0.0.1')).toBe('0100007F');
    expect(procAddressHex('0.0.0.0')).toBe('00000000');
    expect(procAddressHex('::1')).toBe('00000000000000000000000001000000');
    expect(procAddressHex('::ffff:127.0.0.1')).toBe('0000000000000000FFFF00000100007F');
    expect(procAddressHex('not an ip')).toBeUndefined();
  });

  it.runIf(endianness() === 'LE')("reads the drops of exactly our socket's row, address and port", () => {
    expect(parseSocketDrops(UDP, '127.0.0.1', 5562)).toBe(17);
    expect(parseSocketDrops(UDP, '127.0.0.2', 5562)).toBe(5);
    expect(parseSocketDrops(UDP, '127.0.0.1', 5563)).toBeUndefined();
  });

  it('reads Udp RcvbufErrors (not UdpLite) from /proc/net/snmp', () => {
    expect(parseSnmpRcvbufErrors(SNMP)).toBe(41);
    expect(parseSnmpRcvbufErrors('nothing here')).toBeUndefined();
  });

  it.runIf(endianness() === 'LE')('reports deltas from a baseline, per socket when it can, else host-wide', async () => {
    let socketDrops = 17;
    let hostDrops = 41;
    const files: Record<string, () => string> = {
      '/proc/net/udp': () => UDP.replace(' 17\n', ` ${socketDrops}\n`),
      '/proc/net/snmp': () => SNMP.replace(' 41 ', ` ${hostDrops} `),
    };
    const read = (path: string): Promise<string> => (files[path] ? Promise.resolve(files[path]()) : Promise.reject(new Error('ENOENT')));

    const socket = new KernelDropCounter('127.0.0.1', 5562, read);
    expect(await socket.start()).toBe('socket');
    socketDrops = 20;
    expect(await socket.poll()).toBe(3);
    expect(await socket.poll()).toBe(0);

    const host = new KernelDropCounter('10.9.9.9', 514, read);
    expect(await host.start()).toBe('host');
    hostDrops = 50;
    expect(await host.poll()).toBe(9);

    const none = new KernelDropCounter('127.0.0.1', 5562, () => Promise.reject(new Error('ENOENT')));
    expect(await none.start()).toBe('none');
    expect(await none.poll()).toBe(0);
  });
});
