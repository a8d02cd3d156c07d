/**
 * rsyslog as the shipper of a host's log to Watchpost over TLS (RFC 5425), for the attack range:
 * `rsyslogd -n` in the foreground with its own config, pid file and work directory, reading one
 * log file with imfile and forwarding every line with omfwd through the GnuTLS driver, as an
 * administrator configures a sender. It verifies Watchpost's certificate against the CA and the
 * name `localhost` (x509/name) and presents a client certificate of its own.
 *
 * Needs /usr/sbin/rsyslogd with imfile and lmnsd_gtls (deploy/dev/test-tools.sh installs them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's rsyslogd is installed. */
export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** Options of {@link startRsyslogFileForwarder}. */
export interface FileForwarderOptions {
  /** The log file to read from its beginning and follow. */
  readonly file: string;
  /** The program name the lines are sent under (the log file itself carries none), e.g. `sshd`. */
  readonly tag: string;
  /** The syslog facility of the forwarded lines. @defaultValue "auth" */
  readonly facility?: string;
  /** Watchpost's TLS syslog listener. */
  readonly target: { readonly host: string; readonly port: number };
  /** The CA that signed Watchpost's certificate, and the client certificate and key rsyslog presents. */
  readonly tls: {
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
    /** The name Watchpost's certificate must carry. @defaultValue "localhost" */
    readonly permittedPeer?: string;
  };
}

/** A running rsyslogd. */
export interface RsyslogForwarder {
  /** What rsyslogd wrote on stdout and stderr (its own errors: TLS failures, unreadable files). */
  output(): string;
  /** Stops rsyslogd (SIGTERM, SIGKILL after 5 s) and removes its directory. Never throws. */
  stop(): Promise<void>;
}

/**
 * Starts rsyslogd following `options.file` and resolves once it wrote its pid file (its config
 * is loaded and its inputs run). Lines already in the file are forwarded too: imfile starts a
 * file it has no state for at its beginning.
 */
export async function startRsyslogFileForwarder(options: FileForwarderOptions): Promise<RsyslogForwarder> {
  const dir = mkdtempSync(join(tmpdir(), 'wpt-rsyslog-'));
  const { tls } = options;
  const q = (value: string): string => JSON.stringify(value);
  // RFC 5424 as RSYSLOG_SyslogProtocol23Format writes it (the program name in APP-NAME, a full
  // timestamp with offset), octet-counted as RFC 5425 asks for TLS — but with the message
  // stripped of carriage returns: a log written for a terminal (sshd -E) ends lines with CR LF,
  // and imfile splits at LF only.
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory=${q(dir)}
       DefaultNetstreamDriverCAFile=${q(tls.caFile)}
       DefaultNetstreamDriverCertFile=${q(tls.certFile)}
       DefaultNetstreamDriverKeyFile=${q(tls.keyFile)})
module(load="imfile" mode="inotify")
template(name="rfc5424" type="list") {
  constant(value="<") property(name="pri") constant(value=">1 ")
  property(name="timestamp" dateFormat="rfc3339") constant(value=" ")
  property(name="hostname") constant(value=" ")
  property(name="app-name") constant(value=" ")
  property(name="procid") constant(value=" ")
  property(name="msgid") constant(value=" ")
  property(name="structured-data") constant(value=" ")
  property(name="$!msg")
}
input(type="imfile" File=${q(options.file)} Tag=${q(`${options.tag}:`)} Facility=${q(options.facility ?? 'auth')} Severity="info"
      freshStartTail="off" ruleset="forward")
ruleset(name="forward") {
  set $!msg = replace($msg, "\\r", "");
  action(type="omfwd" target=${q(options.target.host)} port=${q(String(options.target.port))} protocol="tcp"
         TCP_Framing="octet-counted" template="rfc5424"
         StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers=${q(tls.permittedPeer ?? 'localhost')}
         action.resumeRetryCount="-1" action.resumeInterval="1")
}
`,
  );
  const pidFile = join(dir, 'rsyslogd.pid');
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', pidFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`rsyslogd did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { output: () => output, stop };
}
