/**
 * The lab of the kernel-backed block drivers' tests (nftables, ipset): an attacker and a victim
 * network namespace with a TCP service in the victim, the driver under test built the way the
 * registry builds it, and its sets emptied after each test. Registers its own vitest hooks.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import { WatchpostError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import type { Driver, DriverContext, DriverType } from '../../playbooks/actions/types.js';
import { createNetnsPair, type NetnsPair, type TcpService } from './netns.js';

/** What a driver test uses of its lab. */
export interface DriverLab {
  /** The namespaces (throws before they exist). */
  lab(): NetnsPair;
  /** The TCP service in the victim namespace. */
  service(): TcpService;
  /** The driver instance `<name>-test` acting in the victim namespace. */
  driver(): Driver;
  /** Another instance, from untyped settings as the config gives them (defaults applied by the driver). */
  build(id: string, settings: Record<string, unknown>): Driver;
  /** A call context with a 20 s deadline. */
  context(): DriverContext;
  /** The WatchpostError a promise rejects with (fails the test when it resolves or rejects otherwise). */
  rejection(promise: Promise<unknown>): Promise<WatchpostError>;
}

/**
 * Sets up the lab for `type`: namespaces named after `name`, the driver `<name>-test`, and
 * `flush(victimNamespace)` after each test so every test starts from empty sets.
 */
export function driverLab(type: DriverType, name: string, flush: (victimNs: string) => Promise<void>): DriverLab {
  const logger = silentLogger();
  const dependencies = { logger, clock: SYSTEM_CLOCK };
  let pair: NetnsPair | undefined;
  let service: TcpService | undefined;
  let driver: Driver | undefined;
  const build = (id: string, settings: Record<string, unknown>): Driver => type.create({ id, settings, credentials: {} }, dependencies);
  const lab = (): NetnsPair => {
    if (!pair) throw new Error('the namespaces were not created');
    return pair;
  };

  beforeAll(async () => {
    pair = await createNetnsPair(name);
    service = await pair.lab.tcpService(pair.victim.ns);
    driver = build(`${name}-test`, { netns: pair.victim.ns });
  });
  afterAll(async () => {
    await pair?.lab.destroy();
  });
  afterEach(async () => {
    if (pair) await flush(pair.victim.ns);
  });

  return {
    lab,
    service: () => service ?? (lab(), (undefined as never)),
    driver: () => driver ?? (lab(), (undefined as never)),
    build,
    context: () => ({ signal: AbortSignal.timeout(20_000), logger, clock: SYSTEM_CLOCK, idempotencyKey: `run-1.block.${name}-test` }),
    async rejection(promise) {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WatchpostError);
      return error as WatchpostError;
    },
  };
}
