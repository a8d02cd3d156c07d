import { SyslogListenerConfigSchema, type SyslogListenerConfig } from '../../../core/config/ingest.js';
import { UserError } from '../../../core/errors.js';
import type { Source, SourceContext, SourceDefinition } from '../../source.js';
import { parseListen } from './address.js';
import type { SyslogListenerAddress } from './listener.js';
import { runStream } from './tcp.js';
import { loadTlsSettings, type TlsSettings } from './tls.js';
import { runUdp } from './udp.js';

export type { SyslogListenerAddress } from './listener.js';

/** A syslog listener: a {@link Source} that also tells where it listens. */
export interface SyslogSource extends Source {
  /**
   * Resolves with the address actually bound (the real port when the config asked for port 0)
   * once `run()` is listening; rejects with run()'s error if it fails before that. Never settles
   * if `run()` is never called.
   */
  readonly ready: Promise<SyslogListenerAddress>;
}

/** The syslog source kind, whose `create` returns a {@link SyslogSource}. */
export interface SyslogSourceDefinition extends SourceDefinition<SyslogListenerConfig> {
  create(config: Readonly<SyslogListenerConfig>, context: SourceContext): SyslogSource;
}

/**
 * The syslog source: one listener per config entry, over UDP (RFC 5426), TCP (RFC 6587, octet
 * counting or LF framing, detected per connection) or TLS (RFC 5425, optional client
 * certificates). It frames messages and never parses them.
 *
 * Settings that cannot work (a listen address that does not parse, a TLS file that cannot be
 * read) are found in `create` and make `run()` reject with a UserError
 * (WATCHPOST_ERR_SOURCE_CONFIG); a bind failure rejects with an OperationalError
 * (WATCHPOST_ERR_SOURCE_LISTEN), which the supervisor retries.
 */
export const syslogSource: SyslogSourceDefinition = {
  id: 'syslog',
  description: 'Syslog listener over UDP, TCP or TLS (RFC 5426, RFC 6587, RFC 5425).',
  configSchema: SyslogListenerConfigSchema,
  create(config, context) {
    let setup: { tls?: TlsSettings } | undefined;
    let setupError: unknown;
    try {
      parseListen(config.listen);
      setup = config.protocol === 'tls' ? { tls: loadTlsSettings(config.tls ?? missingTls(config.id), config.id) } : {};
    } catch (error) {
      setupError = error;
    }

    let onListening!: (address: SyslogListenerAddress) => void;
    let onFailed!: (error: unknown) => void;
    const ready = new Promise<SyslogListenerAddress>((resolve, reject) => {
      onListening = resolve;
      onFailed = reject;
    });
    // Callers that only await run() must not see ready's rejection as unhandled.
    ready.catch(() => undefined);

    return {
      ready,
      async run() {
        try {
          if (setup === undefined) throw setupError;
          const run = { config, context, onListening };
          if (config.protocol === 'udp') await runUdp(run);
          else await runStream(run, setup.tls);
        } catch (error) {
          onFailed(error);
          throw error;
        }
      },
    };
  },
};

function missingTls(sourceId: string): never {
  throw new UserError('WATCHPOST_ERR_SOURCE_CONFIG', `syslog listener ${sourceId}: protocol "tls" needs a tls section (certFile, keyFile)`, {
    details: { source: sourceId },
  });
}

/** A started listener: where it listens, and its run() promise. */
export interface StartedSyslogListener {
  readonly address: SyslogListenerAddress;
  /** run()'s promise: resolves after the context's signal aborts and the port is released. */
  readonly done: Promise<void>;
}

/**
 * Creates and runs a syslog listener and waits until it listens: the way to learn the port when
 * the config asks for port 0 (tests, benchmarks). Rejects as run() would if it cannot start.
 */
export async function startSyslogListener(config: Readonly<SyslogListenerConfig>, context: SourceContext): Promise<StartedSyslogListener> {
  const source = syslogSource.create(config, context);
  const done = source.run();
  // If run() fails, ready rejects with the same error; done's rejection is then reported there.
  done.catch(() => undefined);
  const address = await source.ready;
  return { address, done };
}
