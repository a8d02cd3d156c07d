import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { RawRecord } from '../../../core/ingest/record.js';
import type { Logger } from '../../../core/log.js';
import { formatAddress, normalizeIp, parseListen } from './address.js';
import { FrameDecoder, type Frame } from './framing.js';
import { BATCH_MAX_BYTES, BATCH_MAX_DELAY_MS, BATCH_MAX_RECORDS, listenError, timezoneFor, type ListenerRun } from './listener.js';
import type { TlsSettings } from './tls.js';

/** Least interval between two warnings about refused connections (they can come in floods). */
const REFUSED_WARN_INTERVAL_MS = 10_000;

/**
 * Runs a TCP (RFC 6587) or, given TLS settings, a TLS (RFC 5425) syslog listener. Resolves after
 * the abort signal fired (or emit rejected), every connection was flushed and closed and the port
 * released; rejects when the server cannot listen.
 */
export async function runStream(run: ListenerRun, tls?: TlsSettings): Promise<void> {
  const { config, context } = run;
  const { logger, metrics, signal } = context;
  const { host, port } = parseListen(config.listen);
  const connections = new Set<Connection>();
  const rawSockets = new Set<Socket>();
  const refusals = new RefusalLog(logger);
  let stopping = false;
  let listener = config.listen;

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));

  const accept = (socket: Socket): void => {
    if (stopping) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, run, listener, stop);
    connections.add(connection);
    metrics.connection('opened');
    void connection.done.then(() => {
      connections.delete(connection);
      metrics.connection('closed');
    });
  };

  let server: Server;
  if (tls) {
    server = createTlsServer(tls.options, (socket: TLSSocket) => {
      const reason = tls.check(socket);
      if (reason === undefined) return accept(socket);
      metrics.connection('refused');
      refusals.warn({ peer: peerOf(socket), reason }, 'TLS client refused');
      socket.destroy();
    });
    server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      metrics.connection('refused');
      refusals.warn({ peer: peerOf(socket), reason: error.code ?? error.message }, 'TLS handshake failed; client refused');
    });
  } else {
    server = createNetServer(accept);
  }
  // Track the raw sockets too: a TLS connection still in its handshake is not ours yet, but
  // must not hold the listener open after an abort.
  server.on('connection', (socket: Socket) => {
    // Reading the address caches it in the socket, for peerOf() after a reset.
    if (socket.remoteAddress === undefined) logger.debug('connection without a peer address');
    rawSockets.add(socket);
    socket.once('close', () => rawSockets.delete(socket));
  });
  server.maxConnections = config.maxConnections;
  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    metrics.connection('refused');
    refusals.warn(
      { peer: data?.remoteAddress ? formatAddress(data.remoteAddress, data.remotePort ?? 0) : undefined, reason: 'maxConnections', maxConnections: config.maxConnections },
      'connection refused: too many connections',
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    throw listenError(config, error);
  });
  const address = server.address();
  if (address !== null && typeof address === 'object') {
    listener = formatAddress(address.address, address.port);
    run.onListening({ host: address.address, port: address.port, listener });
  }
  logger.info({ listener, protocol: config.protocol, maxConnections: config.maxConnections }, 'syslog listener started');

  let fatal: Error | undefined;
  server.on('error', (error) => {
    fatal = listenError(config, error);
    stop();
  });
  const onAbort = (): void => stop();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stop();

  await stopped;
  stopping = true;
  signal.removeEventListener('abort', onAbort);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([...connections].map((connection) => connection.finish('stop')));
  for (const socket of rawSockets) socket.destroy();
  await closed;
  logger.info({ listener }, 'syslog listener stopped');
  if (fatal !== undefined) throw fatal;
}

/**
 * The sender of a socket, also after it was reset: a TLSSocket whose handshake failed because the
 * peer reset the connection no longer knows its address, but the TCP socket it wraps (`_parent`,
 * not a public API) still does, as the 'connection' listener read and cached it.
 */
function peerOf(socket: Socket): string {
  const parent = (socket as Socket & { _parent?: Socket | null })._parent;
  for (const candidate of [socket, parent]) {
    if (candidate?.remoteAddress !== undefined) return formatAddress(candidate.remoteAddress, candidate.remotePort ?? 0);
  }
  return 'unknown';
}

/** Warns about refused connections at most once per interval, with how many were refused. */
class RefusalLog {
  readonly #logger: Logger;
  #lastWarn = 0;
  #suppressed = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  warn(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.#lastWarn < REFUSED_WARN_INTERVAL_MS) {
      this.#suppressed += 1;
      this.#logger.debug(fields, message);
      return;
    }
    this.#logger.warn({ ...fields, ...(this.#suppressed > 0 ? { alsoRefusedSinceLastWarning: this.#suppressed } : {}) }, message);
    this.#lastWarn = now;
    this.#suppressed = 0;
  }
}

/**
 * One sender's connection: frames its bytes and hands them to emit in batches, pausing the
 * socket while a batch is being emitted, so the kernel's receive window fills and TCP slows the
 * sender down instead of the heap growing. Everything read from the socket is emitted.
 */
class Connection {
  /** Resolves when the connection is closed and everything it read was emitted. */
  readonly done: Promise<void>;
  readonly #socket: Socket;
  readonly #run: ListenerRun;
  readonly #decoder: FrameDecoder;
  readonly #peer: string;
  readonly #listener: string;
  readonly #timezone: string;
  readonly #stopSource: () => void;
  #batch: RawRecord[] = [];
  #batchBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #emitting: Promise<void> | undefined;
  #finishing: Promise<void> | undefined;
  #failed = false;

  constructor(socket: Socket, run: ListenerRun, listener: string, stopSource: () => void) {
    this.#socket = socket;
    this.#run = run;
    this.#decoder = new FrameDecoder(run.config.maxMessageBytes);
    const ip = normalizeIp(socket.remoteAddress ?? '');
    this.#peer = formatAddress(ip, socket.remotePort ?? 0);
    this.#listener = listener;
    this.#timezone = timezoneFor(run.config, ip);
    this.#stopSource = stopSource;

    socket.on('data', this.#onData);
    socket.on('end', () => void this.finish('end'));
    socket.on('close', () => void this.finish('close'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      run.context.logger.debug({ peer: this.#peer, err: error }, 'syslog connection error');
    });
    if (run.config.idleTimeoutMs > 0) {
      socket.setTimeout(run.config.idleTimeoutMs);
      socket.on('timeout', this.#onTimeout);
    }
    this.done = new Promise((resolve) => socket.once('close', resolve)).then(() => this.finish('close'));
    run.context.logger.debug({ peer: this.#peer }, 'syslog connection opened');
  }

  /**
   * Stops reading, emits everything read (including an unfinished frame) and closes the
   * connection. Idempotent.
   */
  finish(reason: 'end' | 'close' | 'idle' | 'stop'): Promise<void> {
    this.#finishing ??= this.#finish(reason);
    return this.#finishing;
  }

  async #finish(reason: string): Promise<void> {
    const socket = this.#socket;
    socket.pause();
    await this.#emitting;
    if (!socket.destroyed) {
      // Bytes Node already read from the kernel but has not delivered while paused are "read":
      // take them too. read() would also fire 'data', so stop listening first.
      socket.off('data', this.#onData);
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) this.#addFrames(this.#decoder.push(chunk));
    }
    this.#addFrames(this.#decoder.end());
    await this.#flush();
    socket.destroy();
    const { logger } = this.#run.context;
    logger.debug({ peer: this.#peer, reason, framing: this.#decoder.mode, fallback: this.#decoder.fallback }, 'syslog connection closed');
  }

  #onData = (chunk: Buffer): void => {
    const before = this.#decoder.fallback;
    this.#addFrames(this.#decoder.push(chunk));
    if (before === undefined && this.#decoder.fallback !== undefined) {
      this.#run.context.logger.warn(
        { peer: this.#peer, reason: this.#decoder.fallback },
        'octet-counted syslog connection sent a bogus length; reading it as LF-framed from here on',
      );
    }
    if (this.#batch.length >= BATCH_MAX_RECORDS || this.#batchBytes >= BATCH_MAX_BYTES) void this.#flush();
    else if (this.#batch.length > 0) this.#timer ??= setTimeout(() => void this.#flush(), BATCH_MAX_DELAY_MS);
  };

  #onTimeout = (): void => {
    // Idle while waiting on emit is the pipeline's slowness, not the sender's silence.
    if (this.#emitting) {
      this.#socket.setTimeout(this.#run.config.idleTimeoutMs);
      return;
    }
    void this.finish('idle');
  };

  #addFrames(frames: readonly Frame[]): void {
    if (frames.length === 0) return;
    const { config, context } = this.#run;
    const receivedAt = Date.now();
    let bytes = 0;
    let truncated = 0;
    for (const frame of frames) {
      bytes += frame.data.length;
      if (frame.truncated) truncated += 1;
      this.#batch.push({
        sourceId: config.id,
        transport: config.protocol === 'tls' ? 'tls' : 'tcp',
        data: frame.data,
        receivedAt,
        peer: this.#peer,
        listener: this.#listener,
        timezone: this.#timezone,
        ...(frame.truncated ? { truncated: true } : {}),
      });
    }
    this.#batchBytes += bytes;
    context.metrics.received(frames.length, bytes);
    if (truncated > 0) context.metrics.truncated(truncated);
  }

  /** Emits the batch with the socket paused; one emit at a time keeps the connection's order. */
  #flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#emitting) return this.#emitting;
    if (this.#batch.length === 0) return Promise.resolve();
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#socket.pause();
    this.#emitting = this.#emit(batch).finally(() => {
      this.#emitting = undefined;
      if (this.#finishing !== undefined || this.#failed) return;
      this.#socket.resume();
      if (this.#batch.length > 0) this.#timer ??= setTimeout(() => void this.#flush(), BATCH_MAX_DELAY_MS);
    });
    return this.#emitting;
  }

  async #emit(batch: RawRecord[]): Promise<void> {
    if (this.#failed) {
      this.#run.context.metrics.dropped('pipeline_stopped', batch.length);
      return;
    }
    try {
      await this.#run.context.emit(batch);
    } catch (error) {
      // emit rejects only when the pipeline is stopping: count what cannot be handed over and
      // stop the source.
      this.#failed = true;
      this.#run.context.metrics.dropped('pipeline_stopped', batch.length);
      this.#run.context.logger.warn({ err: error, lost: batch.length, peer: this.#peer }, 'pipeline stopped accepting records; syslog listener stops');
      this.#stopSource();
    }
  }
}
