/**
 * The nftables driver: block-ip and unblock-ip as elements of named sets with per-element
 * timeouts, so the kernel lifts a block by itself when its TTL ends even if Watchpost is down
 * (the stored BlockState and the reconcile loop stay the authority; the kernel timeout is the
 * backstop).
 *
 * What it runs (through `runProgram`, never a shell; with `netns`, as `ip netns exec <ns> nft`):
 * - on first use, when `create` is on, one nft transaction that adds the table, the two
 *   sets (`flags interval, timeout`) and, per hook, a base chain `<chain>-<hook>` which it
 *   flushes and refills with `ip saddr @<set4> drop` / `ip6 saddr @<set6> drop`. `add` of an
 *   existing table, set or chain is a no-op and the flush-and-refill is atomic, so this is
 *   idempotent and never touches the elements. The chains belong to the driver: rules added to
 *   them by hand are dropped on the next start. With `create` off the driver only edits the
 *   sets' elements and the operator's own ruleset refers to them.
 * - `nft -j list set` to see the elements (an address is `"val": "192.0.2.7"`, a prefix
 *   `"val": {"prefix": {"addr", "len"}}`), then one nft transaction that deletes the
 *   elements being replaced and adds the new one with `timeout <ttl>s`.
 *
 * A transaction is a script of newline-separated commands passed as one argument (`nft --
 * '<script>'`), which nft parses like a file and commits as one batch (all or nothing). Not
 * `nft -f -`: when the program dies before reading its standard input (no such namespace, nft
 * missing inside it) the write to the closed pipe fails with EPIPE, which `runProgram` does not
 * catch. Scripts are made only from identifiers checked by {@link NFT_IDENTIFIER} and text
 * written by `parseAddress`, so nothing from an alert can add a statement.
 *
 * Behaviour of nft 1.0.6 on kernel 6.x, checked by hand and by the tests: `nft add element` of
 * an element already present succeeds, and whether it refreshes the timeout depends on the kernel
 * (older kernels keep the old timeout); an element inside an existing interval, or an interval
 * around existing elements, fails with "interval overlaps"; `delete element` of an absent
 * element fails ("element does not exist") and never deletes a wider interval that contains it;
 * in one batch, `add` then `delete` of the same element confuses nft's overlap check. Hence the
 * driver lists first and writes a transaction of deletes followed by one add, which refreshes
 * the timeout on every kernel:
 * - the same element is present: delete + add (refreshed, `changed: false`);
 * - a wider interval covers the target: nothing to do (`changed: false`, `coveredBy`); if that
 *   interval is lifted first, `verify` stops holding and the reconcile loop puts the block back;
 * - the target covers narrower elements: they are deleted and the target added in one
 *   transaction (their blocks verify as held through the target);
 * - an element that expires between the listing and the transaction makes the transaction fail;
 *   the driver lists again and retries once.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { OperationalError, UserError, WatchpostError } from '../../../core/errors.js';
import { contains, parseAddress, type ParsedAddress } from '../address.js';
import { BlockIpInput, UnblockIpInput } from '../definitions.js';
import { runProgram, type ProgramOutcome } from '../exec.js';
import type { ActionId, Driver, DriverConfig, DriverContext, DriverType, ExecuteResult, VerifyResult } from '../types.js';

/**
 * Table, set and chain names: a letter, then letters, digits, `_` and `-`. Stricter than nft's
 * grammar on purpose: these names are written into nft scripts.
 */
export const NFT_IDENTIFIER = '^[A-Za-z][A-Za-z0-9_-]{0,31}$';

/** A network namespace name as `ip netns` keeps it under /run/netns (no `/`, no leading dot). */
const NETNS_NAME = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$';

/** A program name or absolute path: no spaces, nothing a reader could mistake for options. */
const PROGRAM_PATH = '^[A-Za-z0-9_./][A-Za-z0-9_./+-]{0,255}$';

const Identifier = (fallback: string, description: string) => Type.String({ pattern: NFT_IDENTIFIER, default: fallback, description });

/** The settings of an nftables driver instance (`response.drivers[].settings`). */
export const NftablesSettings = Type.Object(
  {
    family: Type.Union([Type.Literal('inet'), Type.Literal('ip'), Type.Literal('ip6')], {
      default: 'inet',
      description: 'The table family: inet blocks IPv4 and IPv6 from one table; ip only IPv4; ip6 only IPv6.',
    }),
    table: Identifier('watchpost', 'The table holding the sets (and, with create, the chains).'),
    set4: Identifier('blocklist4', 'The set of blocked IPv4 addresses and prefixes (type ipv4_addr; flags interval, timeout).'),
    set6: Identifier('blocklist6', 'The set of blocked IPv6 addresses and prefixes (type ipv6_addr; flags interval, timeout).'),
    chain: Identifier('watchpost-block', 'The prefix of the base chains the driver creates: one per hook, named <chain>-<hook>.'),
    hooks: Type.Array(Type.Union([Type.Literal('input'), Type.Literal('forward')]), {
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
      default: ['input', 'forward'],
      description: 'Where blocked sources are dropped: input (traffic to this host), forward (traffic routed through it).',
    }),
    priority: Type.Integer({
      minimum: -400,
      maximum: 400,
      default: -10,
      description: 'The base chains\' priority; below 0 (filter) so the drop comes before other filter chains accept.',
    }),
    create: Type.Boolean({
      default: true,
      description: 'Create the table, sets and chains on first use when missing. Off: only the sets\' elements are edited; your ruleset must exist and refer to the sets.',
    }),
    netns: Type.Optional(
      Type.String({ pattern: NETNS_NAME, description: 'Run nft in this network namespace (`ip netns exec <netns> nft`), e.g. a container\'s or a test\'s.' }),
    ),
    nftPath: Type.String({ pattern: PROGRAM_PATH, default: 'nft', description: 'The nft program (a name looked up on PATH, or a path).' }),
    ipPath: Type.String({ pattern: PROGRAM_PATH, default: 'ip', description: 'The ip program, used with netns.' }),
    timeoutMs: Type.Integer({ minimum: 1000, maximum: 300_000, default: 15_000, description: 'How long one nft command may run.' }),
  },
  { additionalProperties: false },
);
export type NftablesSettings = Static<typeof NftablesSettings>;

const NoCredentials = Type.Object({}, { additionalProperties: false });

/** One element of a set, as `nft -j list set` shows it. Ranges that are not prefixes are kept as text. */
interface SetElement {
  readonly address?: ParsedAddress;
  readonly range?: string;
  readonly timeoutSeconds?: number;
  readonly expiresInSeconds?: number;
}

/** A block-ip or unblock-ip request, checked. */
export type AddressRequest =
  | { readonly action: 'block-ip'; readonly target: ParsedAddress; readonly ttlSeconds: number }
  | { readonly action: 'unblock-ip'; readonly target: ParsedAddress };

/**
 * Checks the action and its input again (the runner did, but a driver may be called from a test
 * or the CLI, and the address ends up in an nft script) and parses the address.
 */
export function readAddressRequest(driverId: string, action: ActionId, input: unknown): AddressRequest {
  if (action !== 'block-ip' && action !== 'unblock-ip') {
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${driverId} does not serve action ${action}`);
  }
  const schema = action === 'block-ip' ? BlockIpInput : UnblockIpInput;
  if (!Value.Check(schema, input)) {
    const first = Value.Errors(schema, input).First();
    throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `invalid ${action} input for driver ${driverId}: ${first ? `${first.path || '/'} ${first.message}` : 'does not fit the schema'}`);
  }
  const { address, ttlSeconds } = input as { address: string; ttlSeconds: number };
  return action === 'block-ip' ? { action, target: parseAddress(address), ttlSeconds } : { action, target: parseAddress(address) };
}

/** nft's answers that say "try again" rather than "never". */
const TRANSIENT = /Resource busy|Device or resource busy|Interrupted system call|No buffer space available|Cannot allocate memory|Resource temporarily unavailable/i;

/** nft's answers when the listing and the transaction disagree because the set changed in between. */
const CONFLICT = /element does not exist|interval overlaps|conflicting intervals|File exists/i;

/** Classifies a failed nft (or `ip netns exec`) run beyond what `runProgram` knows. */
function classify(error: unknown, where: string): unknown {
  if (!(error instanceof WatchpostError) || error.code !== 'WATCHPOST_ERR_DRIVER_REJECTED') return error;
  const message = error.message;
  if (/Cannot open network namespace|exec of ".*" failed|Operation not permitted/.test(message)) {
    return new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `${where}: ${message}`, { cause: error });
  }
  if (TRANSIENT.test(message)) return new OperationalError('WATCHPOST_ERR_DRIVER_UNAVAILABLE', `${where}: ${message}`, { cause: error });
  return error;
}

function isMissing(error: unknown): boolean {
  return error instanceof WatchpostError && error.code === 'WATCHPOST_ERR_DRIVER_REJECTED' && /No such file or directory/.test(error.message);
}

function isConflict(error: unknown): boolean {
  return error instanceof WatchpostError && error.code === 'WATCHPOST_ERR_DRIVER_REJECTED' && CONFLICT.test(error.message);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Reads the elements out of `nft -j list set` output; an element nft wrote in a form we do not know is skipped. */
export function parseSetElements(json: string): SetElement[] {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', 'nft -j list set printed something that is not JSON', { cause: error });
  }
  const items = record(document)?.nftables;
  if (!Array.isArray(items)) return [];
  const set = items.map((item) => record(record(item)?.set)).find((s) => s !== undefined);
  const raw = set?.elem;
  if (!Array.isArray(raw)) return [];
  const elements: SetElement[] = [];
  for (const entry of raw as unknown[]) {
    const wrapped = record(record(entry)?.elem);
    const value: unknown = wrapped ? wrapped.val : entry;
    const timing = {
      ...(typeof wrapped?.timeout === 'number' ? { timeoutSeconds: wrapped.timeout } : {}),
      ...(typeof wrapped?.expires === 'number' ? { expiresInSeconds: wrapped.expires } : {}),
    };
    try {
      if (typeof value === 'string') {
        elements.push({ address: parseAddress(value), ...timing });
        continue;
      }
      const prefix = record(record(value)?.prefix);
      if (prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number') {
        elements.push({ address: parseAddress(`${prefix.addr}/${prefix.len}`), ...timing });
        continue;
      }
      const range = record(value)?.range;
      if (Array.isArray(range)) elements.push({ range: range.map(String).join('-'), ...timing });
    } catch {
      // Not an address (a set of another type listed by mistake): nothing the driver manages.
    }
  }
  return elements;
}

function describe(element: SetElement): Record<string, unknown> {
  return {
    element: element.address?.text ?? element.range,
    ...(element.timeoutSeconds === undefined ? {} : { timeoutSeconds: element.timeoutSeconds }),
    ...(element.expiresInSeconds === undefined ? {} : { expiresInSeconds: element.expiresInSeconds }),
  };
}

class NftablesDriver implements Driver {
  readonly type = 'nftables';
  readonly actions: readonly ActionId[] = ['block-ip', 'unblock-ip'];
  private ready: Promise<void> | undefined;
  /** One change at a time per instance: list-then-write must not interleave with itself. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly settings: NftablesSettings,
  ) {}

  async execute(action: ActionId, input: unknown, context: DriverContext): Promise<ExecuteResult> {
    const request = readAddressRequest(this.id, action, input);
    const set = this.setFor(request.target);
    return this.serialized(() => (request.action === 'block-ip' ? this.block(set, request.target, request.ttlSeconds, context) : this.unblock(set, request.target, context)));
  }

  async verify(action: ActionId, input: unknown, context: DriverContext): Promise<VerifyResult> {
    const request = readAddressRequest(this.id, action, input);
    const set = this.setFor(request.target);
    const elements = await this.list(set, context);
    if (elements === undefined) return { holds: request.action === 'unblock-ip', detail: { set, setMissing: true } };
    const exact = elements.find((e) => e.address?.cidr === request.target.cidr);
    const cover = exact ? undefined : elements.find((e) => e.address !== undefined && contains(e.address, request.target));
    if (request.action === 'block-ip') {
      if (exact) return { holds: true, detail: { set, ...describe(exact) } };
      if (cover) return { holds: true, detail: { set, coveredBy: cover.address?.text, ...(cover.expiresInSeconds === undefined ? {} : { expiresInSeconds: cover.expiresInSeconds }) } };
      return { holds: false, detail: { set } };
    }
    return { holds: exact === undefined, detail: { set, ...(cover ? { coveredBy: cover.address?.text } : {}) } };
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private setFor(target: ParsedAddress): string {
    const { family } = this.settings;
    if ((target.family === 4 && family === 'ip6') || (target.family === 6 && family === 'ip')) {
      throw new UserError('WATCHPOST_ERR_DRIVER_REJECTED', `driver ${this.id} has an ${family} table, which cannot hold IPv${target.family} address ${target.text}`);
    }
    return target.family === 4 ? this.settings.set4 : this.settings.set6;
  }

  private async block(set: string, target: ParsedAddress, ttlSeconds: number, context: DriverContext): Promise<ExecuteResult> {
    await this.ensure(context);
    const { family, table } = this.settings;
    for (let attempt = 0; ; attempt += 1) {
      let elements = await this.list(set, context);
      if (elements === undefined) {
        if (!this.settings.create) throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${this.id}: set ${family} ${table} ${set} does not exist and create is off`);
        // Someone removed the table since (a firewall reload): make it again.
        this.ready = undefined;
        await this.ensure(context);
        elements = (await this.list(set, context)) ?? [];
      }
      const exact = elements.find((e) => e.address?.cidr === target.cidr);
      const cover = exact ? undefined : elements.find((e) => e.address !== undefined && contains(e.address, target));
      if (cover?.address) {
        return { changed: false, detail: { set, element: target.text, coveredBy: cover.address.text, ...(cover.expiresInSeconds === undefined ? {} : { expiresInSeconds: cover.expiresInSeconds }) } };
      }
      const inner = elements.filter((e) => e.address !== undefined && e.address.prefix > target.prefix && contains(target, e.address));
      const replaced = [...(exact ? [exact] : []), ...inner];
      const script = [
        ...replaced.map((e) => `delete element ${family} ${table} ${set} { ${e.address?.text ?? ''} }`),
        `add element ${family} ${table} ${set} { ${target.text} timeout ${ttlSeconds}s }`,
      ].join('\n');
      try {
        await this.nft(['--', script], context);
      } catch (error) {
        if (attempt === 0 && isConflict(error)) continue;
        throw error;
      }
      context.logger.debug({ driver: this.id, set, element: target.text, ttlSeconds, refreshed: exact !== undefined }, 'nftables element added');
      return {
        changed: exact === undefined,
        detail: { set, element: target.text, timeoutSeconds: ttlSeconds, ...(exact ? { refreshed: true } : {}), ...(inner.length > 0 ? { replaced: inner.map((e) => e.address?.text) } : {}) },
      };
    }
  }

  private async unblock(set: string, target: ParsedAddress, context: DriverContext): Promise<ExecuteResult> {
    const { family, table } = this.settings;
    for (let attempt = 0; ; attempt += 1) {
      const elements = await this.list(set, context);
      const exact = elements?.find((e) => e.address?.cidr === target.cidr);
      if (!exact) {
        const cover = elements?.find((e) => e.address !== undefined && contains(e.address, target));
        return { changed: false, detail: { set, element: target.text, ...(elements === undefined ? { setMissing: true } : {}), ...(cover ? { coveredBy: cover.address?.text } : {}) } };
      }
      try {
        await this.nft(['--', `delete element ${family} ${table} ${set} { ${target.text} }`], context);
      } catch (error) {
        if (attempt === 0 && isConflict(error)) continue;
        throw error;
      }
      context.logger.debug({ driver: this.id, set, element: target.text }, 'nftables element deleted');
      return { changed: true, detail: { set, element: target.text } };
    }
  }

  /** The set's elements, or undefined when the table or set does not exist. */
  private async list(set: string, context: DriverContext): Promise<SetElement[] | undefined> {
    try {
      const { stdout } = await this.nft(['-j', 'list', 'set', this.settings.family, this.settings.table, set], context);
      return parseSetElements(stdout);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Creates the table, sets and chains once per instance (again after a failure or a removal). */
  private ensure(context: DriverContext): Promise<void> {
    if (!this.settings.create) return Promise.resolve();
    this.ready ??= this.nft(['--', nftablesSetupScript(this.settings)], context).then(
      () => {
        context.logger.info({ driver: this.id, family: this.settings.family, table: this.settings.table }, 'nftables table, sets and chains in place');
      },
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  private async nft(args: readonly string[], context: DriverContext): Promise<ProgramOutcome> {
    const { netns, nftPath, ipPath, timeoutMs } = this.settings;
    const [program, argv] = netns === undefined ? [nftPath, args] : [ipPath, ['netns', 'exec', netns, nftPath, ...args]];
    try {
      return await runProgram(program, argv, { signal: context.signal, timeoutMs });
    } catch (error) {
      throw classify(error, `driver ${this.id}`);
    }
  }
}

/**
 * The nft script that creates what a driver with `create` needs: idempotent (`add` of an
 * existing object is a no-op; the driver's chains are flushed and refilled in the same
 * transaction) and made only from validated settings.
 */
export function nftablesSetupScript(settings: NftablesSettings): string {
  const { family, table, set4, set6, chain, hooks, priority } = settings;
  const v4 = family !== 'ip6';
  const v6 = family !== 'ip';
  const lines = [`add table ${family} ${table}`];
  if (v4) lines.push(`add set ${family} ${table} ${set4} { type ipv4_addr; flags interval,timeout; }`);
  if (v6) lines.push(`add set ${family} ${table} ${set6} { type ipv6_addr; flags interval,timeout; }`);
  for (const hook of hooks) {
    const name = `${chain}-${hook}`;
    lines.push(`add chain ${family} ${table} ${name} { type filter hook ${hook} priority ${priority}; policy accept; }`, `flush chain ${family} ${table} ${name}`);
    if (v4) lines.push(`add rule ${family} ${table} ${name} ip saddr @${set4} drop`);
    if (v6) lines.push(`add rule ${family} ${table} ${name} ip6 saddr @${set6} drop`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Applies defaults and checks settings again (the registry did; this keeps names that reach
 * nft scripts safe whoever calls `create`). Throws a UserError (WATCHPOST_ERR_DRIVER_CONFIG).
 */
export function readNftablesSettings(driverId: string, raw: unknown): NftablesSettings {
  const settings = Value.Default(NftablesSettings, Value.Clone(raw ?? {}));
  if (!Value.Check(NftablesSettings, settings)) {
    const problems = [...Value.Errors(NftablesSettings, settings)].map((e) => ({ message: e.message, path: e.path }));
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: invalid nftables settings: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}`, { problems });
  }
  return settings;
}

/** The nftables driver type: block-ip and unblock-ip in named sets with per-element timeouts. */
export const nftablesDriver: DriverType<typeof NftablesSettings, typeof NoCredentials> = {
  type: 'nftables',
  description: 'Blocks addresses and prefixes in nftables sets with per-element timeouts; can create its table, sets and drop chains.',
  actions: ['block-ip', 'unblock-ip'],
  settings: NftablesSettings,
  credentials: NoCredentials,
  // The registry's logger and clock are not needed: every call brings its context.
  create(config: DriverConfig<NftablesSettings, Static<typeof NoCredentials>>): Driver {
    return new NftablesDriver(config.id, readNftablesSettings(config.id, config.settings));
  },
};
