import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { SyslogListenerConfigSchema, type SyslogListenerConfig } from '../../../core/config/ingest.js';
import type { RawRecord } from '../../../core/ingest/record.js';
import { pino } from 'pino';
import type { SourceContext, SourceMetrics } from '../../source.js';

/**
 * Test support for the syslog source (imported by its tests only): a SourceContext that collects
 * what is emitted, a config with the schema's defaults, and certificates made with openssl.
 */

/** A listener config as the loader would produce it: defaults filled, validated. */
export function testConfig(partial: Partial<SyslogListenerConfig> & Pick<SyslogListenerConfig, 'protocol'>): SyslogListenerConfig {
  const input = { id: `syslog-${partial.protocol}`, listen: '127.0.0.1:0', ...partial };
  const config = Value.Default(SyslogListenerConfigSchema, Value.Clone(input));
  if (!Value.Check(SyslogListenerConfigSchema, config)) {
    throw new Error(`bad test config: ${JSON.stringify([...Value.Errors(SyslogListenerConfigSchema, config)].map((e) => `${e.path} ${e.message}`))}`);
  }
  return config;
}

/** Counters of a {@link TestContext}. */
export interface TestMetrics extends SourceMetrics {
  readonly counts: {
    received: number;
    receivedBytes: number;
    truncated: number;
    dropped: Record<string, number>;
    connections: Record<'opened' | 'closed' | 'refused', number>;
  };
}

/** A SourceContext whose emit keeps the records (or only counts them) and can be made slow. */
export interface TestContext extends SourceContext {
  readonly records: RawRecord[];
  readonly metrics: TestMetrics;
  readonly controller: AbortController;
  /** Every log record the source wrote (debug and up), parsed. */
  readonly logs: Record<string, unknown>[];
  /** Batches emitted so far. */
  batches: number;
  /** Bytes of the largest batch emitted. */
  maxBatchBytes: number;
  /** Most bytes counted as received but not yet emitted at once (what the source held). */
  maxHeldBytes: number;
  /** Milliseconds each emit waits before it resolves. */
  emitDelayMs: number;
  /** When set, emitted records are passed here instead of being kept. */
  onRecord: ((record: RawRecord) => void) | undefined;
  /** Resolves once at least `count` records were emitted. */
  waitFor(count: number, timeoutMs?: number): Promise<RawRecord[]>;
}

/** Creates a {@link TestContext}. */
export function createTestContext(): TestContext {
  const controller = new AbortController();
  const counts: TestMetrics['counts'] = { received: 0, receivedBytes: 0, truncated: 0, dropped: {}, connections: { opened: 0, closed: 0, refused: 0 } };
  let emitted = 0;
  let emittedBytes = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const context: TestContext = {
    logger,
    logs,
    signal: controller.signal,
    controller,
    stateDir: tmpdir(),
    records: [],
    batches: 0,
    maxBatchBytes: 0,
    maxHeldBytes: 0,
    emitDelayMs: 0,
    onRecord: undefined,
    metrics: {
      counts,
      received(count, bytes) {
        counts.received += count;
        counts.receivedBytes += bytes;
        context.maxHeldBytes = Math.max(context.maxHeldBytes, counts.receivedBytes - emittedBytes);
      },
      dropped(reason, count) {
        counts.dropped[reason] = (counts.dropped[reason] ?? 0) + count;
      },
      truncated(count) {
        counts.truncated += count;
      },
      connection(event) {
        counts.connections[event] += 1;
      },
    },
    async emit(batch) {
      if (context.emitDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, context.emitDelayMs));
      context.batches += 1;
      let bytes = 0;
      for (const record of batch) bytes += record.data.length;
      context.maxBatchBytes = Math.max(context.maxBatchBytes, bytes);
      emittedBytes += bytes;
      for (const record of batch) {
        if (context.onRecord) context.onRecord(record);
        else context.records.push(record);
      }
      emitted += batch.length;
      for (const waiter of waiters.filter((w) => emitted >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    waitFor(count, timeoutMs = 10_000) {
      if (emitted >= count) return Promise.resolve(context.records);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} records (have ${emitted})`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(context.records);
          },
        });
      });
    },
  };
  return context;
}

/** Texts of the records, as UTF-8. */
export function texts(records: readonly RawRecord[]): string[] {
  return records.map((record) => record.data.toString('utf8'));
}

/** PEM files for TLS tests, made by the openssl CLI. */
export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Signed by the CA. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Self-signed: trusted by nobody unless its fingerprint is allowed. */
  readonly rogueCert: string;
  readonly rogueKey: string;
  /** SHA-256 fingerprint (AA:BB:...) of the rogue certificate. */
  readonly rogueFingerprint: string;
}

/** Makes a CA, a server certificate for 127.0.0.1/localhost, a client certificate and a self-signed one. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-syslog-tls-'));
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const key = (name: string): void => void openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));

  key('ca.key');
  openssl('req', '-x509', '-new', '-key', file('ca.key'), '-subj', '/CN=Watchpost Test CA', '-days', '2', '-out', file('ca.pem'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  const signed = (name: string, cn: string, extensions: string): void => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${cn}`, '-out', file(`${name}.csr`));
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.pem`));
  };
  signed('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', 'sender.example', 'subjectAltName=DNS:sender.example\nextendedKeyUsage=clientAuth\n');

  key('rogue.key');
  openssl('req', '-x509', '-new', '-key', file('rogue.key'), '-subj', '/CN=rogue.example', '-days', '2', '-out', file('rogue.pem'));
  const fingerprint = openssl('x509', '-in', file('rogue.pem'), '-noout', '-fingerprint', '-sha256').trim().split('=')[1] ?? '';

  return {
    dir,
    caCert: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    rogueCert: file('rogue.pem'),
    rogueKey: file('rogue.key'),
    rogueFingerprint: fingerprint.toUpperCase(),
  };
}

/** Reads a file of the certificate set. */
export function pem(path: string): Buffer {
  return readFileSync(path);
}
