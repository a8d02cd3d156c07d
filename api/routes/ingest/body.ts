import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';

/** A request body refused as a whole, with the HTTP status and a short code for the client. */
export class BodyError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** The request's `Content-Encoding` header. */
  readonly encoding?: string | undefined;
  /** The request's `Content-Length` header, when sent. */
  readonly declaredLength?: string | undefined;
  /** Cap on the body as received and, separately, as decoded. */
  readonly maxBytes: number;
}

/**
 * Reads a request body into memory, gunzipping it when `Content-Encoding: gzip`, with a hard cap
 * on both the bytes received and the bytes decoded. The decoded size is counted as the inflater
 * produces it and reading stops as soon as it passes the cap, so a gzip bomb (100 MB of zeros in
 * 100 KB) costs at most `maxBytes` of memory and inflation, never its full size.
 *
 * Rejects with {@link BodyError}: 413 past the cap, 415 for another encoding, 400 for a broken
 * gzip stream or an aborted upload. On a refusal the rest of the upload is discarded unread.
 */
export function readBody(stream: Readable, options: ReadBodyOptions): Promise<Buffer> {
  const { maxBytes } = options;
  const encoding = (options.encoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    return Promise.reject(new BodyError(415, 'unsupported_encoding', `Content-Encoding ${encoding} is not supported; send identity or gzip`));
  }
  if (options.declaredLength !== undefined && Number(options.declaredLength) > maxBytes) {
    return Promise.reject(new BodyError(413, 'body_too_large', `the body is larger than ${maxBytes} bytes`));
  }
  const gunzip: Gunzip | undefined = encoding === 'identity' ? undefined : createGunzip();
  const decoded: Readable = gunzip ?? stream;

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    let decodedBytes = 0;
    let settled = false;

    const detach = (): void => {
      stream.off('data', onReceived);
      stream.off('error', onStreamError);
      decoded.off('data', onDecoded);
      decoded.off('end', onEnd);
      if (gunzip) {
        gunzip.off('error', onGunzipError);
        stream.unpipe(gunzip);
        gunzip.destroy();
      }
    };
    const fail = (error: BodyError): void => {
      if (settled) return;
      settled = true;
      detach();
      chunks.length = 0;
      // Drain and discard the rest: the reply closes the connection (Fastify answers parser
      // errors with Connection: close), so this reads at most what is already in flight.
      stream.resume();
      reject(error);
    };
    function onReceived(chunk: Buffer): void {
      receivedBytes += chunk.length;
      if (receivedBytes > maxBytes) fail(new BodyError(413, 'body_too_large', `the body is larger than ${maxBytes} bytes`));
    }
    function onDecoded(chunk: Buffer): void {
      if (settled) return;
      decodedBytes += chunk.length;
      if (decodedBytes > maxBytes) {
        fail(new BodyError(413, 'body_too_large', `the decoded body is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(): void {
      if (settled) return;
      settled = true;
      detach();
      resolve(Buffer.concat(chunks, decodedBytes));
    }
    function onStreamError(error: Error): void {
      fail(new BodyError(400, 'body_aborted', `reading the body failed: ${error.message}`));
    }
    function onGunzipError(error: Error): void {
      fail(new BodyError(400, 'bad_gzip', `the body is not valid gzip: ${error.message}`));
    }

    // The raw count runs beside the pipe: both listeners see every chunk the socket delivers.
    stream.on('data', onReceived);
    stream.on('error', onStreamError);
    if (gunzip) {
      gunzip.on('error', onGunzipError);
      stream.pipe(gunzip);
    }
    decoded.on('data', onDecoded);
    decoded.on('end', onEnd);
  });
}
