/**
 * The part of oidc-provider (a devDependency that ships no types) the OIDC tests use: a
 * provider built from a configuration, served through node:http.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** An account as `findAccount` returns it. */
  export interface ProviderAccount {
    readonly accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>>;
  }

  /** The configuration keys the tests set; the provider takes many more. */
  export interface ProviderConfiguration {
    readonly clients?: readonly Record<string, unknown>[];
    readonly claims?: Record<string, readonly string[]>;
    readonly findAccount?: (context: unknown, id: string) => Promise<ProviderAccount | undefined>;
    readonly features?: Record<string, unknown>;
    readonly cookies?: { readonly keys: readonly string[] };
    readonly ttl?: Record<string, number>;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration);
    /** A request listener for node:http. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
