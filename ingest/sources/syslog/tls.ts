import { readFileSync } from 'node:fs';
import { createSecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import type { SyslogTlsConfig } from '../../../core/config/ingest.js';
import { UserError } from '../../../core/errors.js';

/** The server options of a TLS listener and the check each accepted connection must pass. */
export interface TlsSettings {
  readonly options: TlsOptions;
  /**
   * Decides on a connection whose handshake completed: undefined to accept it, else the reason
   * to refuse it (safe to log: never the certificate itself).
   */
  check(socket: TLSSocket): string | undefined;
}

/**
 * Loads the certificate and key and derives the server options from the config (RFC 5425:
 * TLS 1.2+, the server authenticates with its certificate, clients optionally with theirs,
 * checked by CA path validation or by fingerprint). Reads the files now, so a listener with a
 * missing or bad file fails when it starts, not at the first connection.
 *
 * Client authentication:
 * - `none`: no client certificate is asked for.
 * - `required`: a client must present a certificate that chains to `caFile` or whose SHA-256
 *   fingerprint is in `allowedFingerprints`. With only a CA, OpenSSL refuses others during the
 *   handshake; with fingerprints, the handshake accepts any certificate and {@link TlsSettings.check}
 *   refuses the ones that match neither.
 * - `optional`: a certificate is asked for; a client without one is accepted, a client whose
 *   certificate matches neither is refused (a wrong certificate is not "no certificate").
 *
 * @throws UserError WATCHPOST_ERR_SOURCE_CONFIG when a file cannot be read or does not load, or
 *   when `required` names neither a CA nor a fingerprint.
 */
export function loadTlsSettings(config: Readonly<SyslogTlsConfig>, sourceId: string): TlsSettings {
  const cert = readPem(config.certFile, 'certFile', sourceId);
  const key = readPem(config.keyFile, 'keyFile', sourceId);
  const ca = config.caFile === undefined ? undefined : readPem(config.caFile, 'caFile', sourceId);
  const allowed = new Set(config.allowedFingerprints.map((fingerprint) => fingerprint.toUpperCase()));

  if (config.clientAuth === 'required' && ca === undefined && allowed.size === 0) {
    throw new UserError('WATCHPOST_ERR_SOURCE_CONFIG', `syslog listener ${sourceId}: tls.clientAuth "required" needs tls.caFile or tls.allowedFingerprints`, {
      details: { source: sourceId },
    });
  }

  const requestCert = config.clientAuth !== 'none';
  // Only a CA-only `required` listener lets OpenSSL refuse during the handshake; fingerprints and
  // `optional` need to see the certificate (or its absence) first.
  const rejectUnauthorized = config.clientAuth === 'required' && allowed.size === 0;
  const options: TlsOptions = {
    cert,
    key,
    minVersion: config.minVersion,
    requestCert,
    rejectUnauthorized,
    // Without our own CA, Node would verify client certificates against the public roots: a
    // certificate from any public CA must not count as "authorized", so give an explicit CA or
    // none that matters (and ignore `authorized` below).
    ...(ca === undefined ? {} : { ca }),
  };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_SOURCE_CONFIG', `syslog listener ${sourceId}: the TLS certificate, key or CA does not load: ${(error as Error).message}`, {
      cause: error,
      details: { source: sourceId, certFile: config.certFile, keyFile: config.keyFile },
    });
  }

  const check = (socket: TLSSocket): string | undefined => {
    if (!requestCert) return undefined;
    const peer = socket.getPeerCertificate();
    const presented = peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
    if (!presented) return config.clientAuth === 'optional' ? undefined : 'no client certificate';
    if (ca !== undefined && socket.authorized) return undefined;
    if (allowed.has(peer.fingerprint256.toUpperCase())) return undefined;
    const why = socket.authorizationError instanceof Error ? socket.authorizationError.message : String(socket.authorizationError ?? 'not verified');
    return `client certificate not trusted (${ca === undefined ? 'no CA configured' : why}) and its fingerprint is not allowed`;
  };
  return { options, check };
}

function readPem(path: string, key: string, sourceId: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_SOURCE_CONFIG', `syslog listener ${sourceId}: cannot read tls.${key} ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { source: sourceId, [key]: path },
    });
  }
}
