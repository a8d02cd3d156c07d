import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { RawRecord } from '../../../core/ingest/record.js';
import { formatAddress, normalizeIp, parseListen } from './address.js';
import { withoutTrailingLf } from './framing.js';
import { KernelDropCounter } from './kernel-drops.js';
import { BATCH_MAX_DELAY_MS, BATCH_MAX_RECORDS, listenError, timezoneFor, type ListenerRun } from './listener.js';

/**
 * Most records waiting for emit (batched or being emitted). UDP cannot push back on the sender,
 * so beyond this datagrams are dropped and counted instead of growing the heap: at 64 KiB per
 * datagram that is still at most ~640 MiB, at typical 200-byte messages ~2 MiB.
 */
export const UDP_MAX_BACKLOG_RECORDS = 10_000;
/** How often the kernel's receive-buffer drop counter is read. */
export const KERNEL_DROP_POLL_MS = 5000;

/**
 * Runs a UDP syslog listener (RFC 5426): one datagram is one record. Resolves after the abort
 * signal fired (or emit rejected) and everything received was handed to emit; rejects when the
 * socket cannot bind.
 */
export async function runUdp(run: ListenerRun): Promise<void> {
  const { config, context } = run;
  const { logger, metrics, signal } = context;
  const { host, port } = parseListen(config.listen);
  const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });

  await bind(socket, host, port).catch((error: unknown) => {
    socket.close();
    throw listenError(config, error);
  });
  const bound = socket.address();
  const listener = formatAddress(bound.address, bound.port);
  grantReceiveBuffer(socket, run);

  const drops = new KernelDropCounter(bound.address, bound.port);
  const scope = await drops.start();
  logger.info({ listener, protocol: 'udp', kernelDropCounter: scope }, 'syslog listener started');
  run.onListening({ host: bound.address, port: bound.port, listener });

  let batch: RawRecord[] = [];
  const queue: RawRecord[][] = [];
  let backlog = 0;
  let timer: NodeJS.Timeout | undefined;
  let pumping: Promise<void> | undefined;
  let droppedSinceWarn = 0;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    queue.push(batch);
    batch = [];
    pumping ??= pump().finally(() => (pumping = undefined));
  };

  // One emit at a time keeps datagrams in arrival order.
  const pump = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        await context.emit(next);
        backlog -= next.length;
      } catch (error) {
        // emit rejects only when the pipeline is stopping: what is still here cannot be handed
        // over, so it is counted, and the source stops.
        const lost = backlog + batch.length;
        metrics.dropped('pipeline_stopped', lost);
        logger.warn({ err: error, lost }, 'pipeline stopped accepting records; UDP listener stops');
        queue.length = 0;
        batch = [];
        backlog = 0;
        stop();
        return;
      }
    }
  };

  socket.on('message', (message: Buffer, remote: RemoteInfo) => {
    metrics.received(1, message.length);
    if (backlog >= UDP_MAX_BACKLOG_RECORDS) {
      metrics.dropped('backlog_full', 1);
      droppedSinceWarn += 1;
      return;
    }
    let end = withoutTrailingLf(message).length;
    const truncated = end > config.maxMessageBytes;
    if (truncated) {
      end = config.maxMessageBytes;
      metrics.truncated(1);
    }
    const ip = normalizeIp(remote.address);
    const record: RawRecord = {
      sourceId: config.id,
      transport: 'udp',
      data: end === message.length ? message : message.subarray(0, end),
      receivedAt: Date.now(),
      peer: formatAddress(ip, remote.port),
      listener,
      timezone: timezoneFor(config, ip),
      ...(truncated ? { truncated: true } : {}),
    };
    batch.push(record);
    backlog += 1;
    if (batch.length >= BATCH_MAX_RECORDS) flush();
    else timer ??= setTimeout(flush, BATCH_MAX_DELAY_MS);
  });

  const reportKernelDrops = async (): Promise<void> => {
    const count = await drops.poll();
    if (count > 0) metrics.dropped('kernel_rcvbuf', count);
    if (count > 0 || droppedSinceWarn > 0) {
      logger.warn(
        { kernelRcvbuf: count, backlogFull: droppedSinceWarn, kernelDropCounter: drops.scope },
        'UDP datagrams dropped: the receive buffer or the backlog waiting for the pipeline was full',
      );
    }
    droppedSinceWarn = 0;
  };
  const poller = setInterval(() => void reportKernelDrops(), KERNEL_DROP_POLL_MS);

  let stop!: () => void;
  const stopping = new Promise<void>((resolve) => (stop = resolve));
  let fatal: Error | undefined;
  socket.on('error', (error) => {
    fatal = listenError(config, error);
    stop();
  });
  const onAbort = (): void => stop();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stop();

  await stopping;
  signal.removeEventListener('abort', onAbort);
  clearInterval(poller);
  // Last look at the kernel's counter while the socket (and its /proc row) still exists.
  await reportKernelDrops();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  flush();
  await pumping;
  logger.info({ listener }, 'syslog listener stopped');
  if (fatal !== undefined) throw fatal;
}

function bind(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/**
 * Asks the kernel for the configured receive buffer and says so when it granted less: Linux caps
 * SO_RCVBUF at net.core.rmem_max (and reports twice the value it set, the extra half being its
 * bookkeeping; socket(7)), and a short buffer is the first cause of UDP loss under bursts.
 */
function grantReceiveBuffer(socket: Socket, { config, context }: ListenerRun): void {
  const requested = config.receiveBufferBytes;
  try {
    socket.setRecvBufferSize(requested);
  } catch (error) {
    context.logger.warn({ err: error, requested }, 'cannot set the UDP receive buffer size');
    return;
  }
  const reported = socket.getRecvBufferSize();
  const granted = process.platform === 'linux' ? Math.floor(reported / 2) : reported;
  if (granted < requested) {
    context.logger.warn(
      { requested, granted, hint: 'raise net.core.rmem_max (sysctl) to at least the requested size' },
      'the kernel granted a smaller UDP receive buffer than configured',
    );
  }
}
