/**
 * The demo's syslog connections: one TCP connection per sender, each framed as that kind of
 * device frames (RFC 6587 octet counting or a LF after each message). Writes wait for the socket
 * to drain, so a slow receiver slows the demo instead of filling its memory.
 */
import { connect, type Socket } from 'node:net';
import type { Sender, SenderId } from './templates.js';

/** Where the syslog listener is. */
export interface SyslogTarget {
  readonly host: string;
  readonly port: number;
}

/** The open connections. */
export interface SyslogConnections {
  /** Sends one message on the sender's connection; resolves once the socket takes more. */
  send(sender: SenderId, message: string): Promise<void>;
  /** Called once when a connection fails or the receiver closes it. */
  onFailure(listener: (message: string) => void): void;
  /** Ends every connection (flushing what was written), destroying those that do not close in time. */
  close(): Promise<void>;
}

/** The bytes of one message as the sender frames it. */
export function frame(framing: Sender['framing'], message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  if (framing === 'lf') return Buffer.concat([body, Buffer.from('\n')]);
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

function open(target: SyslogTarget, timeoutMs: number): Promise<Socket | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error.code ?? error.message);
    });
  });
}

/**
 * Opens one connection per sender; a string (why, e.g. `ECONNREFUSED`) when any cannot be opened,
 * after closing those that were.
 */
export async function openConnections(target: SyslogTarget, senders: readonly Sender[], timeoutMs = 5000): Promise<SyslogConnections | string> {
  const sockets = new Map<SenderId, { socket: Socket; sender: Sender }>();
  for (const sender of senders) {
    const opened = await open(target, timeoutMs);
    if (typeof opened === 'string') {
      for (const { socket } of sockets.values()) socket.destroy();
      return opened;
    }
    opened.setNoDelay(true);
    sockets.set(sender.id, { socket: opened, sender });
  }
  let closing = false;
  let failed = false;
  const listeners: ((message: string) => void)[] = [];
  const fail = (message: string): void => {
    if (closing || failed) return;
    failed = true;
    for (const listener of listeners) listener(message);
  };
  for (const { socket, sender } of sockets.values()) {
    socket.on('error', (error: NodeJS.ErrnoException) => fail(`the ${sender.id} connection failed (${error.code ?? error.message})`));
    socket.on('close', () => fail(`the receiver closed the ${sender.id} connection`));
    // The receiver sends nothing; reading keeps a half-closed socket from lingering unnoticed.
    socket.resume();
  }
  return {
    async send(id, message) {
      const entry = sockets.get(id);
      if (!entry || entry.socket.destroyed) return;
      if (entry.socket.write(frame(entry.sender.framing, message))) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          entry.socket.off('drain', done);
          entry.socket.off('close', done);
          resolve();
        };
        entry.socket.once('drain', done);
        entry.socket.once('close', done);
      });
    },
    onFailure(listener) {
      listeners.push(listener);
    },
    async close() {
      closing = true;
      await Promise.all(
        [...sockets.values()].map(
          ({ socket }) =>
            new Promise<void>((resolve) => {
              if (socket.destroyed) return resolve();
              const timer = setTimeout(() => socket.destroy(), 5000);
              socket.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              socket.end();
            }),
        ),
      );
    },
  };
}
