/**
 * Network namespaces for tests that need a real kernel between two hosts: firewall drivers
 * (nftables, ipset) and the end-to-end response tests. A lab creates namespaces joined by veth
 * pairs with IPv4 and IPv6 addresses, runs a TCP service in one, probes it from another with a
 * bounded connect timeout, and deletes everything it made on `destroy()` — and, should a test
 * process die before `afterAll`, on the process's exit as well.
 *
 * Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2. Namespace names carry the test
 * process's pid and a counter, so test files running in parallel never share one.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The answer of one connection attempt. */
export type Reachability = 'open' | 'timeout' | 'refused' | 'unreachable' | 'error';

/** One namespace of a lab, with the addresses of its end of the link (without prefix lengths). */
export interface NetnsHost {
  readonly ns: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

/** A TCP service running in a namespace: accepts, writes `ok\n`, closes. */
export interface TcpService {
  readonly ns: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Two namespaces joined by one veth link (192.0.2.0/24 and 2001:db8:7a7c::/64, both TEST-NETs). */
export interface NetnsPair {
  readonly attacker: NetnsHost;
  readonly victim: NetnsHost;
  readonly lab: NetnsLab;
}

const namespacesAlive = new Set<string>();
const processesAlive = new Set<ChildProcess>();
let counter = 0;
let exitHookInstalled = false;

/** Last resort when a test process ends without `destroy()`: synchronous, best effort. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of processesAlive) child.kill('SIGKILL');
    for (const ns of namespacesAlive) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
  });
}

/** A namespace name unique to this process: `wpt-<tag>-<pid>-<n>`. */
export function uniqueNetnsName(tag: string): string {
  counter += 1;
  return `wpt-${tag.toLowerCase().replace(/[^a-z0-9]+/g, '')}-${process.pid}-${counter}`;
}

/** Runs `ip netns exec <ns> <program> ...args` and returns stdout; throws with stderr on failure. */
export async function execIn(ns: string, program: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, program, ...args], { timeout: timeoutMs, encoding: 'utf8' });
  return stdout;
}

// The probe: a Node child in the probing namespace (Node cannot setns itself). It prints one word.
const PROBE_SCRIPT = `
const net = require('node:net');
const [host, port, timeout] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port) });
const done = (word) => { process.stdout.write(word); socket.destroy(); process.exit(0); };
const timer = setTimeout(() => done('timeout'), Number(timeout));
socket.once('connect', () => { clearTimeout(timer); done('open'); });
socket.once('error', (error) => {
  clearTimeout(timer);
  const code = error.code;
  done(code === 'ECONNREFUSED' ? 'refused' : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable' : 'error');
});
`;

// The service: listens on every address of both families on a free port and prints the port.
const SERVICE_SCRIPT = `
const net = require('node:net');
const server = net.createServer((socket) => { socket.on('error', () => {}); socket.end('ok\\n'); });
server.listen({ port: 0, host: '::', ipv6Only: false }, () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/**
 * Tries one TCP connection from namespace `ns` to `host:port`: `open`, `refused`, or `timeout`
 * when nothing answered within `timeoutMs` (what a firewall's drop looks like).
 */
export async function probeTcp(ns: string, host: string, port: number, timeoutMs = 1000): Promise<Reachability> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', PROBE_SCRIPT, host, String(port), String(timeoutMs)], {
    timeout: timeoutMs + 10_000,
    encoding: 'utf8',
  });
  const word = stdout.trim();
  if (word === 'open' || word === 'timeout' || word === 'refused' || word === 'unreachable' || word === 'error') return word;
  throw new Error(`the probe printed ${JSON.stringify(stdout.slice(0, 200))}`);
}

/**
 * Probes until the answer is `want` or `withinMs` has passed; resolves with the last answer and
 * the time it took. Used where the kernel changes state on its own (an element's timeout) or a
 * neighbour entry may need a retry after a block is lifted.
 */
export async function waitForReachability(
  ns: string,
  host: string,
  port: number,
  want: Reachability,
  withinMs: number,
  probeTimeoutMs = 500,
): Promise<{ readonly result: Reachability; readonly elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const result = await probeTcp(ns, host, port, probeTimeoutMs);
    const elapsedMs = Date.now() - started;
    if (result === want || elapsedMs >= withinMs) return { result, elapsedMs };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Namespaces, links and services made for one test file; `destroy()` removes them all. */
export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly services: TcpService[] = [];

  /** Creates an empty namespace with its loopback up. */
  async namespace(tag: string): Promise<string> {
    installExitHook();
    const ns = uniqueNetnsName(tag);
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    namespacesAlive.add(ns);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // No duplicate address detection at all, link-local addresses included: while fe80:: is
    // tentative the first IPv6 connection stalls for a second, which a probe reads as a drop.
    await execIn(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
    return ns;
  }

  /**
   * Joins two namespaces with a veth pair and gives each end an IPv4 and an IPv6 address (CIDR
   * form, e.g. `192.0.2.1/24`). IPv6 addresses skip duplicate address detection (`nodad`) so they
   * work at once. The interfaces live only inside the namespaces, so their names never clash.
   */
  async link(a: { ns: string; ipv4: string; ipv6: string }, b: { ns: string; ipv4: string; ipv6: string }, name = 'wp0'): Promise<void> {
    await run('ip', ['link', 'add', 'name', name, 'netns', a.ns, 'type', 'veth', 'peer', 'name', name, 'netns', b.ns]);
    for (const end of [a, b]) {
      await run('ip', ['-n', end.ns, 'addr', 'add', end.ipv4, 'dev', name]);
      await run('ip', ['-n', end.ns, '-6', 'addr', 'add', end.ipv6, 'dev', name, 'nodad']);
      await run('ip', ['-n', end.ns, 'link', 'set', name, 'up']);
    }
  }

  /** Starts a TCP service in `ns` on a free port (a Node child run through `ip netns exec`). */
  async tcpService(ns: string): Promise<TcpService> {
    installExitHook();
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVICE_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    processesAlive.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    void exited.then(() => processesAlive.delete(child));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`the TCP service in ${ns} did not start within 10 s: ${err}`)), 10_000);
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const line = /^(\d+)\n/.exec(out);
        if (line) {
          clearTimeout(timer);
          resolve(Number(line[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the TCP service in ${ns} exited (${String(code)}): ${err}`));
      });
    });
    const service: TcpService = {
      ns,
      port,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      },
    };
    this.services.push(service);
    return service;
  }

  /** Stops every service and deletes every namespace (their veth ends go with them). Never throws. */
  async destroy(): Promise<void> {
    for (const service of this.services.splice(0)) await service.stop().catch(() => undefined);
    for (const ns of this.namespaces.splice(0)) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
      namespacesAlive.delete(ns);
    }
  }
}

/** The /24 and /64 a lab's link uses: the attacker is `.1`/`::1`, the victim `.2`/`::2`. */
export interface LabNetwork {
  /** The first three octets, e.g. `192.0.2`. */
  readonly ipv4: string;
  /** The first four groups, e.g. `2001:db8:7a7c`. */
  readonly ipv6: string;
}

/**
 * The usual lab: an "attacker" and a "victim" namespace on one link, by default attacker
 * 192.0.2.1 and 2001:db8:7a7c::1, victim 192.0.2.2 and 2001:db8:7a7c::2. Call
 * `pair.lab.destroy()` in `afterAll`.
 */
export async function createNetnsPair(tag: string, network: LabNetwork = { ipv4: '192.0.2', ipv6: '2001:db8:7a7c' }): Promise<NetnsPair> {
  const lab = new NetnsLab();
  try {
    const attackerNs = await lab.namespace(`${tag}a`);
    const victimNs = await lab.namespace(`${tag}v`);
    const attacker = { ipv4: `${network.ipv4}.1`, ipv6: `${network.ipv6}::1` };
    const victim = { ipv4: `${network.ipv4}.2`, ipv6: `${network.ipv6}::2` };
    await lab.link({ ns: attackerNs, ipv4: `${attacker.ipv4}/24`, ipv6: `${attacker.ipv6}/64` }, { ns: victimNs, ipv4: `${victim.ipv4}/24`, ipv6: `${victim.ipv6}/64` });
    const pair: NetnsPair = { attacker: { ns: attackerNs, ...attacker }, victim: { ns: victimNs, ...victim }, lab };
    // A fresh veth loses the first packets for about a second (the first SYN is retransmitted
    // after 1 s), which a probe would read as a drop: wait until a closed port answers with a
    // reset in both families before handing the pair out.
    for (const host of [pair.victim.ipv4, pair.victim.ipv6]) {
      const { result } = await waitForReachability(attackerNs, host, 1, 'refused', 10_000, 300);
      if (result !== 'refused') throw new Error(`the link to ${host} did not come up within 10 s (${result})`);
    }
    return pair;
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}
