import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';

/**
 * Datagrams the kernel dropped because a UDP socket's receive buffer was full: they never reach
 * Node, so the only way to count them is to ask the kernel. Linux keeps an exact per-socket
 * counter (the `drops` column of /proc/net/udp and /proc/net/udp6) and a host-wide one
 * (`RcvbufErrors` in /proc/net/snmp, shared by every UDP socket of the network namespace).
 */

/** Where the counter comes from; `none` when the platform exposes neither (not Linux). */
export type KernelDropScope = 'socket' | 'host' | 'none';

/** Reads a /proc file; replaceable in tests. */
export type ProcReader = (path: string) => Promise<string>;

const readProc: ProcReader = (path) => readFile(path, 'latin1');

/**
 * The kernel's spelling of an address in /proc/net/udp{,6}: the raw bytes as 32-bit words in
 * host byte order, each printed as 8 hex digits (net/ipv4/udp.c, `%08X`).
 */
export function procAddressHex(ip: string): string | undefined {
  const bytes = ip.includes(':') ? ipv6Bytes(ip) : ipv4Bytes(ip);
  if (!bytes) return undefined;
  let hex = '';
  for (let word = 0; word < bytes.length; word += 4) {
    const group = bytes.slice(word, word + 4);
    if (endianness() === 'LE') group.reverse();
    hex += group.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  }
  return hex.toUpperCase();
}

function ipv4Bytes(ip: string): number[] | undefined {
  const parts = ip.split('.').map(Number);
  return parts.length === 4 && parts.every((part) => Number.isInteger(part) && part >= 0 && part <= 255) ? parts : undefined;
}

function ipv6Bytes(ip: string): number[] | undefined {
  let text = ip;
  let tail: number[] = [];
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (v4) {
    const bytes = ipv4Bytes(v4[2] ?? '');
    if (!bytes) return undefined;
    text = `${v4[1]}0:0`;
    tail = bytes;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * The `drops` of the socket bound to `ip:port` in the text of /proc/net/udp or /proc/net/udp6,
 * or undefined when no such socket is listed.
 */
export function parseSocketDrops(text: string, ip: string, port: number): number | undefined {
  const address = `${procAddressHex(ip) ?? ''}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of text.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (columns[1] === address && columns.length >= 13) {
      const drops = Number(columns[12]);
      return Number.isFinite(drops) ? drops : undefined;
    }
  }
  return undefined;
}

/** `Udp: RcvbufErrors` from the text of /proc/net/snmp, or undefined when absent. */
export function parseSnmpRcvbufErrors(text: string): number | undefined {
  const lines = text.split('\n').filter((line) => line.startsWith('Udp: '));
  const names = lines[0]?.split(/\s+/);
  const values = lines[1]?.split(/\s+/);
  const index = names?.indexOf('RcvbufErrors') ?? -1;
  if (index < 1 || !values) return undefined;
  const value = Number(values[index]);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Follows the kernel's drop counter of one UDP socket and reports what was added since the last
 * look. Prefers the exact per-socket counter; falls back to the host-wide one (which also counts
 * other programs' sockets, so it over-reports) when the socket's row cannot be found.
 */
export class KernelDropCounter {
  readonly #ip: string;
  readonly #port: number;
  readonly #read: ProcReader;
  #scope: KernelDropScope = 'none';
  #last = 0;

  /**
   * @param ip - the address the socket is bound to (as the socket reports it)
   * @param port - the bound port
   * @param read - reads a /proc file @defaultValue fs.readFile
   */
  constructor(ip: string, port: number, read: ProcReader = readProc) {
    this.#ip = ip;
    this.#port = port;
    this.#read = read;
  }

  /** Which counter is followed, known after {@link start}. */
  get scope(): KernelDropScope {
    return this.#scope;
  }

  /** Takes the baseline; drops from before the socket was ours are not counted. */
  async start(): Promise<KernelDropScope> {
    const socket = await this.#socketDrops();
    if (socket !== undefined) {
      this.#scope = 'socket';
      this.#last = socket;
      return this.#scope;
    }
    const host = await this.#hostDrops();
    if (host !== undefined) {
      this.#scope = 'host';
      this.#last = host;
    }
    return this.#scope;
  }

  /** Drops added since the previous call (0 when the counter cannot be read). */
  async poll(): Promise<number> {
    let now: number | undefined;
    if (this.#scope === 'socket') now = await this.#socketDrops();
    else if (this.#scope === 'host') now = await this.#hostDrops();
    if (now === undefined) return 0;
    // A counter that went backwards (host-wide counters are 32-bit on some kernels) restarts.
    const delta = now >= this.#last ? now - this.#last : now;
    this.#last = now;
    return delta;
  }

  async #socketDrops(): Promise<number | undefined> {
    const path = this.#ip.includes(':') ? '/proc/net/udp6' : '/proc/net/udp';
    try {
      return parseSocketDrops(await this.#read(path), this.#ip, this.#port);
    } catch {
      return undefined;
    }
  }

  async #hostDrops(): Promise<number | undefined> {
    try {
      return parseSnmpRcvbufErrors(await this.#read('/proc/net/snmp'));
    } catch {
      return undefined;
    }
  }
}
