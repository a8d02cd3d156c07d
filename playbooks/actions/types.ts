/**
 * The action contract (DESIGN.md, Action): what a playbook step asks for (an action, with a
 * typed input) and who carries it out (a driver instance configured in `response.drivers`).
 *
 * An action is an id and an input schema; its effect is done by drivers, each a type (nftables,
 * ldap, smtp, ...) that declares the actions it serves, a settings schema and a credentials schema
 * whose values are secrets: never logged, never returned by the API, never put in results.
 *
 * Drivers are idempotent: executing `block-ip` for an address already blocked succeeds with
 * `changed: false`, and `unblock-ip` for one not blocked likewise. The runner relies on this: a
 * job is delivered at least once (a worker killed mid-action runs the step again).
 *
 * Drivers never pass untrusted text to a shell: programs run with `execFile` and an argument
 * array, and every input is validated against the action's schema (and, for addresses and
 * account names, parsed) before a driver sees it.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';

/** The actions Watchpost knows. Each has an input schema in `definitions.ts`. */
export type ActionId = 'block-ip' | 'unblock-ip' | 'disable-account' | 'enable-account' | 'notify' | 'create-ticket';

/** An action: what a step asks for. */
export interface ActionDefinition<I extends TSchema = TSchema> {
  readonly id: ActionId;
  readonly description: string;
  /** The input a driver receives, after templating and safety (the runner sets TTLs). */
  readonly input: I;
  /** The action that undoes this one, for actions whose effect is kept as a BlockState. */
  readonly undoneBy?: ActionId;
  /** The kind of BlockState the action creates, when it creates one. */
  readonly blockKind?: 'ip' | 'account';
}

/** What a driver gets besides the input. */
export interface DriverContext {
  /** Aborted at the step's timeout or when the worker stops: stop promptly. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly clock: Clock;
  /**
   * Stable across retries of this step on this driver instance (`<runId>.<stepId>.<driver>`):
   * send it as the idempotency key or correlation id where the remote API takes one.
   */
  readonly idempotencyKey: string;
}

/** What one execution did. */
export interface ExecuteResult {
  /** False when the target already was in the asked state (a retry, a duplicate). */
  readonly changed: boolean;
  /**
   * What the device or service answered (a ticket number and URL, a message id, an HTTP status),
   * stored on the run and shown in the console: no secrets.
   */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What a check of the effect found. */
export interface VerifyResult {
  /** True when the effect of the action holds now (the address is in the set; the account is locked). */
  readonly holds: boolean;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/**
 * A configured driver instance. Errors: throw an OperationalError
 * (WATCHPOST_ERR_DRIVER_UNAVAILABLE) when retrying may help, a UserError
 * (WATCHPOST_ERR_DRIVER_REJECTED) when it cannot.
 */
export interface Driver {
  /** The instance id from the config (`response.drivers[].id`). */
  readonly id: string;
  /** The driver type (`nftables`). */
  readonly type: string;
  /** The actions this instance serves. */
  readonly actions: readonly ActionId[];
  /** Carries out `action` with an input that passed the action's schema. Idempotent. */
  execute(action: ActionId, input: unknown, context: DriverContext): Promise<ExecuteResult>;
  /**
   * Checks that the effect of `action` holds (after block-ip: blocked; after unblock-ip: not
   * blocked). Absent when the driver cannot observe the effect (a webhook, a notification).
   */
  verify?(action: ActionId, input: unknown, context: DriverContext): Promise<VerifyResult>;
  /** Releases connections. Idempotent. */
  close?(): Promise<void>;
}

/** What a driver type may use besides its config. */
export interface DriverDependencies {
  readonly logger: Logger;
  readonly clock: Clock;
}

/** A driver type: builds instances from validated settings and resolved credentials. */
export interface DriverType<S extends TSchema = TSchema, C extends TSchema = TSchema> {
  readonly type: string;
  readonly description: string;
  readonly actions: readonly ActionId[];
  readonly settings: S;
  /** Every field is a secret. */
  readonly credentials: C;
  /**
   * Builds an instance. Called with settings and credentials that passed the schemas (defaults
   * applied, secrets resolved from env/file). May throw a UserError (WATCHPOST_ERR_DRIVER_CONFIG)
   * for what the schemas cannot say. Must not touch the network or run programs: that happens
   * on first use, so `watchpost validate` can build every driver offline.
   */
  create(config: DriverConfig<Static<S>, Static<C>>, dependencies: DriverDependencies): Driver;
}

/** One instance's config as {@link DriverType.create} receives it. */
export interface DriverConfig<S = Record<string, unknown>, C = Record<string, string>> {
  readonly id: string;
  readonly settings: S;
  readonly credentials: C;
}
