/**
 * The ipset driver: block-ip and unblock-ip as entries of `hash:net` sets with per-entry timeouts,
 * matched by one iptables/ip6tables rule per chain (`-m set --match-set <set> src -j DROP`), for
 * hosts whose firewall is iptables (legacy or nft-backed) rather than native nftables.
 *
 * What it runs (through `runProgram`, never a shell; with `netns`, as `ip netns exec <ns> ...`):
 * - the first time a family is used, when `create` is on: `ipset create <set> hash:net family
 *   inet|inet6 timeout 0 -exist` (timeout 0: entries carry their own timeouts, none by default),
 *   a check of the set's header (`-exist` accepts a set of the same name and type but another
 *   family), and per chain `iptables -C` then, when the rule is missing, `iptables -I <chain> 1`
 *   — so the rule is inserted once, at the top, before any accept. Families are set up
 *   separately so a host without IPv6 still blocks IPv4.
 * - block: `ipset add <set> <entry> timeout <ttl> -exist`, which adds the entry or refreshes its
 *   timeout (idempotent); whether it was there is read first from `ipset list -output save`.
 *   The kernel caps an entry's timeout at 2 147 483 s (24.8 days): longer TTLs are cut to it and
 *   the reconcile loop, finding the entry gone before the stored expiry, puts it back.
 * - unblock: `ipset del <set> <entry> -exist` when the exact entry is present.
 * - verify: `ipset test <set> <entry>` (exit 0: matched, 1: not), which for a single address
 *   also answers yes when a wider prefix in the set contains it.
 *
 * `hash:net` takes overlapping entries (a /32 and its /24), so each block keeps its own entry and
 * expiry; `/0` is refused by the kernel (DRIVER_REJECTED). Entries are text written by
 * `parseAddress`; set and chain names pass strict patterns.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { OperationalError, UserError, WatchpostError } from '../../../core/errors.js';
import { contains, parseAddress, type ParsedAddress } from '../address.js';
import { runProgram, type ProgramOutcome } from '../exec.js';
import type { ActionId, Driver, DriverConfig, DriverContext, DriverType, ExecuteResult, VerifyResult } from '../types.js';
import { readAddressRequest } from './nftables.js';

/** An ipset name (at most 31 characters in the kernel). */
export const IPSET_NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$';

/** An iptables chain name (at most 28 characters), e.g. INPUT, FORWARD, DOCKER-USER. */
export const IPTABLES_CHAIN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,27}$';

const NETNS_NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$';
const PROGRAM_PATH = '^[A-Za-z0-9_./][A-Za-z0-9_./+-]{0,255}$';

/** The largest per-entry timeout the kernel's ipset accepts, in seconds. */
export const IPSET_MAX_TIMEOUT_SECONDS = 2_147_483;

/** The settings of an ipset driver instance (`response.drivers[].settings`). */
export const IpsetSettings = Type.Object(
  {
    set4: Type.String({ pattern: IPSET_NAME, default: 'watchpost4', description: 'The hash:net set of blocked IPv4 addresses and prefixes.' }),
    set6: Type.String({ pattern: IPSET_NAME, default: 'watchpost6', description: 'The hash:net set of blocked IPv6 addresses and prefixes.' }),
    chains: Type.Array(Type.String({ pattern: IPTABLES_CHAIN }), {
      minItems: 1,
      maxItems: 8,
      uniqueItems: true,
      default: ['INPUT', 'FORWARD'],
      description: 'The filter-table chains that get the drop rule (e.g. DOCKER-USER on Docker hosts), in both iptables and ip6tables.',
    }),
    create: Type.Boolean({
      default: true,
      description: 'Create the sets and insert the drop rules on first use when missing. Off: only entries are edited; your rules must refer to the sets.',
    }),
    maxElements: Type.Integer({ minimum: 1024, maximum: 16_777_216, default: 65_536, description: 'maxelem of sets the driver creates.' }),
    netns: Type.Optional(Type.String({ pattern: NETNS_NAME, description: 'Run the programs in this network namespace (`ip netns exec <netns> ...`).' })),
    ipsetPath: Type.String({ pattern: PROGRAM_PATH, default: 'ipset', description: 'The ipset program.' }),
    iptablesPath: Type.String({ pattern: PROGRAM_PATH, default: 'iptables', description: 'The iptables program.' }),
    ip6tablesPath: Type.String({ pattern: PROGRAM_PATH, default: 'ip6tables', description: 'The ip6tables program.' }),
    ipPath: Type.String({ pattern: PROGRAM_PATH, default: 'ip', description: 'The ip program, used with netns.' }),
    timeoutMs: Type.Integer({ minimum: 1000, maximum: 300_000, default: 15_000, description: 'How long one command may run.' }),
  },
  { additionalProperties: false },
);
export type IpsetSettings = Static<typeof IpsetSettings>;

const NoCredentials = Type.Object({}, { additionalProperties: false });

/** One entry of a set as `ipset list -output save` prints it. */
export interface IpsetEntry {
  readonly address: ParsedAddress;
  readonly timeoutSeconds?: number;
}

/** Reads the entries of `<set>` from `ipset list <set> -output save`; lines it does not know are skipped. */
export function parseIpsetSave(text: string, set: string): IpsetEntry[] {
  const entries: IpsetEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'add' || words[1] !== set || words[2] === undefined) continue;
    try {
      const timeoutAt = words.indexOf('timeout', 3);
      const timeout = timeoutAt > 0 ? Number(words[timeoutAt + 1]) : Number.NaN;
      entries.push({ address: parseAddress(words[2]), ...(Number.isInteger(timeout) ? { timeoutSeconds: timeout } : {}) });
    } catch {
      // Not an address: nothing this driver manages.
    }
  }
  return entries;
}

const TRANSIENT = /Resource busy|Device or resource busy|Interrupted system call|No buffer space available|Cannot allocate memory|Resource temporarily unavailable|holding the xtables lock|Another app is currently holding/i;
const CONFIG = /Cannot open network namespace|exec of ".*" failed|Operation not permitted|Permission denied|No chain\/target\/match by that name|set with the given name does not exist|Couldn't load match|Kernel error received: (?:Protocol not supported|Unknown error)/i;

function classify(error: unknown, where: string): unknown {
  if (!(error instanceof WatchpostError) || error.code !== 'WATCHPOST_ERR_DRIVER_REJECTED') return error;
  if (TRANSIENT.test(error.message)) return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `${where}: ${error.message}`, { cause: error });
  if (CONFIG.test(error.message)) return new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `${where}: ${error.message}`, { cause: error });
  return error;
}

const MISSING_SET = /set with the given name does not exist/;

class IpsetDriver implements Driver {
  readonly type = 'ipset';
  readonly actions: readonly ActionId[] = ['block-ip', 'unblock-ip'];
  private readonly ready = new Map<4 | 6, Promise<void>>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly settings: IpsetSettings,
  ) {}

  async execute(action: ActionId, input: unknown, context: DriverContext): Promise<ExecuteResult> {
    const request = readAddressRequest(this.id, action, input);
    return this.serialized(() => (request.action === 'block-ip' ? this.block(request.target, request.ttlSeconds, context) : this.unblock(request.target, context)));
  }

  async verify(action: ActionId, input: unknown, context: DriverContext): Promise<VerifyResult> {
    const request = readAddressRequest(this.id, action, input);
    const set = this.setFor(request.target);
    const entries = await this.entries(set, context);
    if (entries === undefined) return { holds: request.action === 'unblock-ip', detail: { set, setMissing: true } };
    const exact = entries.find((e) => e.address.cidr === request.target.cidr);
    const cover = exact ? undefined : entries.find((e) => contains(e.address, request.target));
    if (request.action === 'unblock-ip') return { holds: exact === undefined, detail: { set, ...(cover ? { coveredBy: cover.address.text } : {}) } };
    // What the kernel matches, rather than what the listing says, is the effect.
    const tested = await this.run(this.settings.ipsetPath, ['test', set, request.target.text], context, [0, 1]);
    if (tested.code === 1 && MISSING_SET.test(tested.stderr)) return { holds: false, detail: { set, setMissing: true } };
    return {
      holds: tested.code === 0,
      detail: {
        set,
        element: request.target.text,
        ...(exact?.timeoutSeconds === undefined ? {} : { expiresInSeconds: exact.timeoutSeconds }),
        ...(cover ? { coveredBy: cover.address.text } : {}),
      },
    };
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private setFor(target: ParsedAddress): string {
    return target.family === 4 ? this.settings.set4 : this.settings.set6;
  }

  private async block(target: ParsedAddress, ttlSeconds: number, context: DriverContext): Promise<ExecuteResult> {
    const set = this.setFor(target);
    await this.ensure(target.family, context);
    let entries = await this.entries(set, context);
    if (entries === undefined && this.settings.create) {
      // Someone destroyed the set since (a firewall reload): make it again.
      this.ready.delete(target.family);
      await this.ensure(target.family, context);
      entries = await this.entries(set, context);
    }
    if (entries === undefined) throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${this.id}: ipset ${set} does not exist and create is off`);
    const exact = entries.find((e) => e.address.cidr === target.cidr);
    const timeout = Math.min(ttlSeconds, IPSET_MAX_TIMEOUT_SECONDS);
    await this.run(this.settings.ipsetPath, ['add', set, target.text, 'timeout', String(timeout), '-exist'], context);
    context.logger.debug({ driver: this.id, set, element: target.text, timeout, refreshed: exact !== undefined }, 'ipset entry added');
    return {
      changed: exact === undefined,
      detail: { set, element: target.text, timeoutSeconds: timeout, ...(exact ? { refreshed: true } : {}), ...(timeout < ttlSeconds ? { cappedFromSeconds: ttlSeconds } : {}) },
    };
  }

  private async unblock(target: ParsedAddress, context: DriverContext): Promise<ExecuteResult> {
    const set = this.setFor(target);
    const entries = await this.entries(set, context);
    const exact = entries?.find((e) => e.address.cidr === target.cidr);
    if (!exact) {
      const cover = entries?.find((e) => contains(e.address, target));
      return { changed: false, detail: { set, element: target.text, ...(entries === undefined ? { setMissing: true } : {}), ...(cover ? { coveredBy: cover.address.text } : {}) } };
    }
    await this.run(this.settings.ipsetPath, ['del', set, target.text, '-exist'], context);
    context.logger.debug({ driver: this.id, set, element: target.text }, 'ipset entry deleted');
    return { changed: true, detail: { set, element: target.text } };
  }

  /** The set's entries, or undefined when the set does not exist. */
  private async entries(set: string, context: DriverContext): Promise<IpsetEntry[] | undefined> {
    const listed = await this.run(this.settings.ipsetPath, ['list', set, '-output', 'save'], context, [0, 1]);
    if (listed.code === 1) {
      if (MISSING_SET.test(listed.stderr)) return undefined;
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${this.id}: ipset list ${set} failed: ${listed.stderr.trim().slice(0, 500)}`);
    }
    return parseIpsetSave(listed.stdout, set);
  }

  /** Creates the family's set and drop rules once per instance (again after a failure or a removal). */
  private ensure(family: 4 | 6, context: DriverContext): Promise<void> {
    if (!this.settings.create) return Promise.resolve();
    let ready = this.ready.get(family);
    if (!ready) {
      ready = this.setUp(family, context).catch((error: unknown) => {
        this.ready.delete(family);
        throw error;
      });
      this.ready.set(family, ready);
    }
    return ready;
  }

  private async setUp(family: 4 | 6, context: DriverContext): Promise<void> {
    const { ipsetPath, maxElements, chains } = this.settings;
    const set = family === 4 ? this.settings.set4 : this.settings.set6;
    const inet = family === 4 ? 'inet' : 'inet6';
    await this.run(ipsetPath, ['create', set, 'hash:net', 'family', inet, 'timeout', '0', 'maxelem', String(maxElements), '-exist'], context);
    const { stdout: header } = await this.run(ipsetPath, ['list', set, '-terse'], context);
    if (!/^Type:\s*hash:net\s*$/m.test(header) || !new RegExp(`^Header:.*\\bfamily ${inet}\\b.*\\btimeout\\b`, 'm').test(header)) {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${this.id}: ipset ${set} exists but is not a hash:net set of family ${inet} with timeouts; destroy it or name another set`);
    }
    const iptables = family === 4 ? this.settings.iptablesPath : this.settings.ip6tablesPath;
    for (const chain of chains) {
      const rule = ['-m', 'set', '--match-set', set, 'src', '-j', 'DROP'];
      const check = await this.run(iptables, ['-w', '10', '-C', chain, ...rule], context, [0, 1]);
      if (check.code === 1) await this.run(iptables, ['-w', '10', '-I', chain, '1', ...rule], context);
    }
    context.logger.info({ driver: this.id, set, chains }, 'ipset set and drop rules in place');
  }

  private async run(program: string, args: readonly string[], context: DriverContext, okExitCodes: readonly number[] = [0]): Promise<ProgramOutcome> {
    const { netns, ipPath, timeoutMs } = this.settings;
    const [command, argv] = netns === undefined ? [program, args] : [ipPath, ['netns', 'exec', netns, program, ...args]];
    let outcome: ProgramOutcome;
    try {
      outcome = await runProgram(command, argv, { signal: context.signal, timeoutMs, okExitCodes });
    } catch (error) {
      throw classify(error, `driver ${this.id}`);
    }
    // `ip netns exec` exits 1 for its own failures too (no such namespace, program not found).
    if (outcome.code !== 0 && /Cannot open network namespace|exec of ".*" failed/.test(outcome.stderr)) {
      throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${this.id}: ${outcome.stderr.trim().slice(0, 300)}`);
    }
    return outcome;
  }
}

/**
 * Applies defaults and checks settings again (the registry did; this keeps names that reach
 * command lines safe whoever calls `create`). Throws a UserError (WATCHPOST_ERR_DRIVER_CONFIG).
 */
export function readIpsetSettings(driverId: string, raw: unknown): IpsetSettings {
  const settings = Value.Default(IpsetSettings, Value.Clone(raw ?? {}));
  if (!Value.Check(IpsetSettings, settings)) {
    const problems = [...Value.Errors(IpsetSettings, settings)].map((e) => ({ message: e.message, path: e.path }));
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: invalid ipset settings: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`, { problems });
  }
  if (settings.set4 === settings.set6) throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: set4 and set6 must differ (one set per family)`);
  return settings;
}

/** The ipset driver type: block-ip and unblock-ip in hash:net sets matched by iptables/ip6tables drop rules. */
export const ipsetDriver: DriverType<typeof IpsetSettings, typeof NoCredentials> = {
  type: 'ipset',
  description: 'Blocks addresses and prefixes in ipset hash:net sets with per-entry timeouts, dropped by iptables/ip6tables rules it can insert.',
  actions: ['block-ip', 'unblock-ip'],
  settings: IpsetSettings,
  credentials: NoCredentials,
  // The registry's logger and clock are not needed: every call brings its context.
  create(config: DriverConfig<IpsetSettings, Static<typeof NoCredentials>>): Driver {
    return new IpsetDriver(config.id, readIpsetSettings(config.id, config.settings));
  },
};
