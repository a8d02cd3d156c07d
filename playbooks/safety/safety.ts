/**
 * The safety layer of automated response (reliability.md 5.3, S6–S9): what the runner asks before
 * it queues a step and again before it runs it. One instance per process; every shared state (the
 * store's never-block list, block records, the breaker) lives in the case store.
 */
import type { ResponseControl } from '../../core/cases/types.js';
import type { Clock } from '../../core/clock.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { CaseStore } from '../../core/stores/case-store.js';
import { MAX_LIST_LIMIT } from '../../core/stores/case-store.js';
import type { ActionId } from '../actions/types.js';
import { approvalReasons } from './approval.js';
import { admitAutomaticBlock, closeBreaker, readBreaker, type Admission, type BreakerDependencies } from './breaker.js';
import { readHostFacts, type HostFacts } from './host-facts.js';
import { checkAccount, checkAddress, parseItems, staticNeverBlock, type NeverBlockItem, type ParsedItem, type SafetyConfig, type TargetCheck } from './never-block.js';
import { blockRecords, nextOffense, ttlSeconds } from './ttl.js';

/** What the runner asks of the safety layer. */
export interface Safety {
  /**
   * Refuses a step whose target must never be touched: block-ip of an address or prefix that
   * overlaps the never-block list (or is not an address, or is a /0), disable-account of a
   * protected account. Undo actions and the rest are never refused. Rejects (an
   * OperationalError from the store) when the store's never-block list cannot be read: refusing
   * nothing on an unknown list would be failing open.
   */
  checkTarget(action: ActionId, input: Readonly<Record<string, unknown>>): Promise<TargetCheck>;
  /** Why the step needs approval under the safety policy (see approval.ts); empty when it does not. */
  approvalReasons(action: ActionId, input: Readonly<Record<string, unknown>>, evidence: { readonly transports?: readonly string[] }): string[];
  /**
   * The TTL and offence number of a new block of `target` (see ttl.ts). `driver` names the
   * enforcement point asking; repeat offences are counted per target across every driver.
   */
  blockTtl(kind: 'ip' | 'account', target: string, driver: string, requestedSeconds?: number): Promise<{ ttlSeconds: number; offense: number }>;
  /** Whether one more automatic block may be made now; opens the breaker when it may not (see breaker.ts). */
  admitAutomaticBlock(): Promise<{ readonly admitted: true } | { readonly admitted: false; readonly reason: string }>;
  /** The breaker's record, or undefined when it never opened nor was closed. */
  breaker(): Promise<ResponseControl | undefined>;
  /** Closes the breaker (audited as `response.breaker.close` with `by` as the actor). */
  closeBreaker(by: string): Promise<ResponseControl>;
  /** Every never-block entry in force now: built-in, host, gateways, DNS, config, then the store's. */
  neverBlockList(): Promise<readonly NeverBlockItem[]>;
}

/** What {@link createSafety} needs. */
export interface SafetyOptions {
  readonly config: SafetyConfig;
  readonly cases: CaseStore;
  readonly clock: Clock;
  /**
   * This host's addresses, gateways and name servers. @defaultValue read with readHostFacts, and
   * read again at most once a minute (a DHCP lease may change the gateway)
   */
  readonly host?: HostFacts;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
}

/**
 * How long the store's never-block list is reused. An entry added through the API applies to
 * checks in every process within this time; the list is read at most this often per process.
 */
export const STORE_LIST_CACHE_MS = 5_000;

/** How often host facts are read again when they were not given. */
const HOST_REFRESH_MS = 60_000;

/** Store never-block entries read at most (the API's list is small; this bounds a runaway one). */
const MAX_STORE_ENTRIES = 10 * MAX_LIST_LIMIT;

/** Builds the safety layer of one process. */
export function createSafety(options: SafetyOptions): Safety {
  const { config, cases, clock } = options;
  const logger = (options.logger ?? silentLogger()).child({ component: 'response-safety' });
  const breakerDeps: BreakerDependencies = { config, cases, clock, logger };

  let host = { facts: options.host ?? readHostFacts(), readAt: clock.now() };
  let staticList = staticNeverBlock(config, host.facts);
  let storeCache: { readonly at: number; readonly items: ParsedItem[] } | undefined;

  const currentStatic = (): ParsedItem[] => {
    const now = clock.now();
    if (options.host === undefined && (now - host.readAt >= HOST_REFRESH_MS || now < host.readAt)) {
      host = { facts: readHostFacts(), readAt: now };
      staticList = staticNeverBlock(config, host.facts);
    }
    return staticList;
  };

  const storeItems = async (): Promise<ParsedItem[]> => {
    const now = clock.now();
    if (storeCache && now - storeCache.at < STORE_LIST_CACHE_MS && now >= storeCache.at) return storeCache.items;
    const entries: NeverBlockItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await cases.neverBlock.list({ sort: 'createdAt', limit: MAX_LIST_LIMIT, ...(cursor === undefined ? {} : { cursor }) });
      for (const entry of page.items) entries.push({ value: entry.value, source: 'store', id: entry.id, ...(entry.note === undefined ? {} : { note: entry.note }) });
      cursor = page.nextCursor;
    } while (cursor !== undefined && entries.length < MAX_STORE_ENTRIES);
    const items = parseItems(entries);
    if (items.length < entries.length) {
      const valid = new Set(items.map(({ item }) => item.id));
      const bad = entries.filter((entry) => !valid.has(entry.id)).map((entry) => entry.id);
      logger.warn({ ids: bad.slice(0, 20), count: bad.length }, 'never-block entries in the store are not addresses; they protect nothing');
    }
    storeCache = { at: now, items };
    return items;
  };

  const fullList = async (): Promise<ParsedItem[]> => [...currentStatic(), ...(await storeItems())];

  return {
    async checkTarget(action, input) {
      switch (action) {
        case 'block-ip': {
          const check = checkAddress(input.address, await fullList());
          if (check.refused) logger.debug({ action, reason: check.reason }, 'target refused');
          return check;
        }
        case 'disable-account':
          return checkAccount(input.account, config.protectedAccounts);
        case 'unblock-ip':
        case 'enable-account':
        case 'notify':
        case 'create-ticket':
          return { refused: false };
      }
    },

    approvalReasons(action, input, evidence) {
      return approvalReasons(config, action, input, evidence);
    },

    async blockTtl(kind, target, driver, requestedSeconds) {
      const offense = nextOffense(await blockRecords(cases, kind, target), clock.now(), config.repeatWindowMs);
      const ttl = ttlSeconds(config, offense, requestedSeconds);
      logger.debug({ kind, driver, offense, ttlSeconds: ttl }, 'block TTL decided');
      return { ttlSeconds: ttl, offense };
    },

    async admitAutomaticBlock(): Promise<Admission> {
      return admitAutomaticBlock(breakerDeps);
    },

    async breaker() {
      return readBreaker(cases);
    },

    async closeBreaker(by) {
      return closeBreaker(breakerDeps, by);
    },

    async neverBlockList() {
      return (await fullList()).map(({ item }) => item);
    },
  };
}
