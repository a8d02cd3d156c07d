import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY, deployTool, run } from './tools.js';

/**
 * The sender examples and helpers in deploy/ checked by the programs that read them: rsyslogd -N1,
 * syslog-ng --syntax-only and nginx -t (both unpacked by deploy/dev/compose.sh), logrotate (a dry
 * run and a forced rotation), and deploy/tls/make-certs.sh with openssl. FortiGate, Cisco ASA and
 * pfSense/OPNsense are documentation only: no such device is here.
 */

const SENDERS = join(DEPLOY, 'senders');
const MAKE_CERTS = join(DEPLOY, 'tls', 'make-certs.sh');
const RSYSLOGD = '/usr/sbin/rsyslogd';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'wp-senders-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Replaces each placeholder, failing when one is no longer in the file (the test would check nothing). */
function substitute(text: string, replacements: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) {
    if (!out.includes(from)) throw new Error(`placeholder ${from} not found`);
    out = out.replaceAll(from, to);
  }
  return out;
}

async function makeCerts(out: string, args: readonly string[]): Promise<Awaited<ReturnType<typeof run>>> {
  return run('/bin/bash', [MAKE_CERTS, '--out', out, ...args]);
}

describe('rsyslog snippets', () => {
  for (const file of ['rsyslog-udp.conf', 'rsyslog-tcp.conf', 'rsyslog-tls.conf']) {
    it(`${file}: rsyslogd -N1 accepts it`, async () => {
      const result = await run(RSYSLOGD, ['-N1', '-f', join(SENDERS, file)]);
      expect(result.stderr).not.toMatch(/error|warning/i);
      expect(result.code).toBe(0);
    });
  }

  it('rsyslogd -N1 refuses a misspelt parameter (the check can fail)', async () => {
    const broken = join(scratch, 'broken-rsyslog.conf');
    writeFileSync(broken, readFileSync(join(SENDERS, 'rsyslog-tcp.conf'), 'utf8').replace('queue.saveOnShutdown', 'queue.saveOnShutdwn'));
    const result = await run(RSYSLOGD, ['-N1', '-f', broken]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('queue.saveOnShutdwn');
  });

  it('the TCP and TLS snippets queue to disk, keep the queue across restarts and retry forever', () => {
    for (const file of ['rsyslog-tcp.conf', 'rsyslog-tls.conf']) {
      const text = readFileSync(join(SENDERS, file), 'utf8');
      expect(text).toMatch(/queue\.type="LinkedList"/);
      expect(text).toMatch(/queue\.filename="[a-z-]+"/);
      expect(text).toMatch(/queue\.saveOnShutdown="on"/);
      expect(text).toMatch(/action\.resumeRetryCount="-1"/);
    }
    expect(readFileSync(join(SENDERS, 'rsyslog-tls.conf'), 'utf8')).toMatch(/StreamDriverAuthMode="x509\/name"/);
  });
});

describe('syslog-ng and nginx examples', () => {
  it('syslog-ng --syntax-only accepts syslog-ng.conf (with certificates where it names them)', async () => {
    const certs = join(scratch, 'sng-tls');
    expect((await makeCerts(certs, ['--client', 'sng', 'localhost'])).code).toBe(0);
    const snippet = join(scratch, 'watchpost-sng.conf');
    writeFileSync(
      snippet,
      substitute(readFileSync(join(SENDERS, 'syslog-ng.conf'), 'utf8'), {
        '/etc/syslog-ng/watchpost/ca.crt': join(certs, 'ca.crt'),
        '/etc/syslog-ng/watchpost/client.crt': join(certs, 'client-sng.crt'),
        '/etc/syslog-ng/watchpost/client.key': join(certs, 'client-sng.key'),
      }),
    );
    // Debian's syslog-ng.conf declares the version and the source s_src the snippet reads.
    const main = join(scratch, 'syslog-ng-main.conf');
    writeFileSync(main, `@version: 3.38\nsource s_src { internal(); };\n@include "${snippet}"\n`);
    const result = await run(deployTool('syslog-ng'), ['--syntax-only', '-f', main]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    writeFileSync(snippet, readFileSync(snippet, 'utf8').replace('disk-buf-size(', 'disk-buffer-size('));
    const refused = await run(deployTool('syslog-ng'), ['--syntax-only', '-f', main]);
    expect(refused.code).not.toBe(0);
  });

  it('nginx -t accepts nginx.conf in the http context, both the /dev/log and the UDP forms', async () => {
    const prefix = join(scratch, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const snippet = join(prefix, 'watchpost-syslog.conf');
    writeFileSync(
      snippet,
      substitute(readFileSync(join(SENDERS, 'nginx.conf'), 'utf8'), {
        // nginx resolves the server name while reading its configuration; there is no DNS here.
        '# access_log syslog:server=watchpost.example.net': 'access_log syslog:server=127.0.0.1',
        '# error_log syslog:server=watchpost.example.net': 'error_log syslog:server=127.0.0.1',
        '/var/log/nginx/': `${prefix}/logs/`,
      }),
    );
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${prefix}/${kind};`).join(' ');
    const main = join(prefix, 'nginx.conf');
    writeFileSync(main, `pid ${prefix}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  ${temp}\n  include ${snippet};\n  server { listen 127.0.0.1:18089; }\n}\n`);
    const result = await run(deployTool('nginx'), ['-t', '-p', prefix, '-c', main, '-e', 'stderr']);
    expect(result.stderr).toContain('test is successful');
    expect(result.code).toBe(0);

    writeFileSync(snippet, `${readFileSync(snippet, 'utf8')}\naccess_log syslog:server=127.0.0.1,tag=nginx,severity=loud combined;\n`);
    const refused = await run(deployTool('nginx'), ['-t', '-p', prefix, '-c', main, '-e', 'stderr']);
    expect(refused.code).not.toBe(0);
  });
});

describe('logrotate snippet', () => {
  it('logrotate -d reads it without error, and a forced run rotates both kinds of file', async () => {
    const root = join(scratch, 'logrotate');
    mkdirSync(join(root, 'myapp'), { recursive: true });
    mkdirSync(join(root, 'watchpost'), { recursive: true });
    writeFileSync(join(root, 'myapp', 'app.log'), 'line 1\n');
    writeFileSync(join(root, 'watchpost', 'watchpost.log'), '{"msg":"watchpost started"}\n');
    const config = join(root, 'watchpost.logrotate');
    writeFileSync(
      config,
      substitute(readFileSync(join(DEPLOY, 'logrotate', 'watchpost'), 'utf8'), {
        '/var/log/myapp/': `${root}/myapp/`,
        '/var/log/watchpost/': `${root}/watchpost/`,
        // No watchpost user nor adm group here; root owns this scratch directory.
        'su watchpost watchpost': 'su root root',
        'create 0640 root adm': 'create 0640 root root',
      }),
    );
    const state = join(root, 'state');
    const dry = await run('/usr/sbin/logrotate', ['-d', '-s', state, config]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).not.toMatch(/^error:/m);
    expect(dry.stderr).toContain(`considering log ${root}/myapp/app.log`);

    const forced = await run('/usr/sbin/logrotate', ['-f', '-s', state, config]);
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    // create: renamed, and a new empty file; copytruncate: copied, the original emptied in place.
    expect(readFileSync(join(root, 'myapp', 'app.log.1'), 'utf8')).toBe('line 1\n');
    expect(statSync(join(root, 'myapp', 'app.log')).size).toBe(0);
    expect(readFileSync(join(root, 'watchpost', 'watchpost.log.1'), 'utf8')).toContain('watchpost started');
    expect(statSync(join(root, 'watchpost', 'watchpost.log')).size).toBe(0);
  });
});

describe('deploy/tls/make-certs.sh', () => {
  it('makes a CA, a server certificate with the given names and client certificates, with safe modes', async () => {
    const out = join(scratch, 'certs', 'tls');
    const result = await makeCerts(out, ['--client', 'web-1', '--client', 'fw-2', 'syslog.example.net', '192.0.2.10', '2001:db8::10']);
    expect(result.code).toBe(0);
    const ca = join(scratch, 'certs', 'tls-ca');
    const verify = await run('/usr/bin/openssl', ['verify', '-CAfile', join(out, 'ca.crt'), join(out, 'server.crt'), join(out, 'client-web-1.crt'), join(out, 'client-fw-2.crt')]);
    expect(verify.stdout).toContain('server.crt: OK');
    expect(verify.code).toBe(0);
    const server = await run('/usr/bin/openssl', ['x509', '-in', join(out, 'server.crt'), '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage,basicConstraints']);
    expect(server.stdout).toContain('CN = syslog.example.net');
    expect(server.stdout).toContain('DNS:syslog.example.net, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:10');
    expect(server.stdout).toContain('TLS Web Server Authentication');
    expect(server.stdout).toContain('CA:FALSE');
    const client = await run('/usr/bin/openssl', ['x509', '-in', join(out, 'client-web-1.crt'), '-noout', '-subject', '-ext', 'extendedKeyUsage']);
    expect(client.stdout).toContain('CN = web-1');
    expect(client.stdout).toContain('TLS Web Client Authentication');
    const mode = (path: string): number => statSync(path).mode & 0o777;
    for (const key of ['server.key', 'client-web-1.key', 'client-fw-2.key']) expect(mode(join(out, key))).toBe(0o600);
    expect(mode(join(ca, 'ca.key'))).toBe(0o600);
    expect(mode(ca)).toBe(0o700);
    expect(mode(join(out, 'server.crt'))).toBe(0o644);
    // The CA key never lands where the listener's files are mounted.
    expect(() => statSync(join(out, 'ca.key'))).toThrow();
  });

  it('never overwrites: a second run changes nothing, new clients are added, other names are refused', async () => {
    const out = join(scratch, 'again', 'tls');
    expect((await makeCerts(out, ['localhost'])).code).toBe(0);
    const before = readFileSync(join(out, 'server.crt'), 'utf8');
    const caBefore = readFileSync(join(out, 'ca.crt'), 'utf8');
    const again = await makeCerts(out, ['--client', 'late', 'localhost']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('server certificate kept');
    expect(readFileSync(join(out, 'server.crt'), 'utf8')).toBe(before);
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).toBe(caBefore);
    const verify = await run('/usr/bin/openssl', ['verify', '-CAfile', join(out, 'ca.crt'), join(out, 'client-late.crt')]);
    expect(verify.code).toBe(0);
    const other = await makeCerts(out, ['other.example.net']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('exists for other names');
    expect(readFileSync(join(out, 'server.crt'), 'utf8')).toBe(before);
  });

  it('refuses names that are neither DNS names nor addresses, before writing anything', async () => {
    for (const name of ['a;b', '$(id)', 'x y', '../etc', '-bad.example', '999.1.1.1']) {
      const out = join(scratch, 'refused', 'tls');
      const result = await makeCerts(out, [name]);
      expect(result.code, name).not.toBe(0);
      expect(() => statSync(join(scratch, 'refused')), name).toThrow();
    }
    const badClient = await makeCerts(join(scratch, 'refused', 'tls'), ['--client', 'a/b', 'localhost']);
    expect(badClient.code).not.toBe(0);
  });
});
