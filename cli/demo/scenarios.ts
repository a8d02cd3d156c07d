/**
 * The attacks the demo plays in its first twenty seconds, as data: each is a few timed steps of
 * log lines that the shipped rules (rules/watchpost/) and playbooks (playbooks/) act on. The
 * attacker of a scenario gets an address of its own from a documentation range (RFC 5737), drawn
 * with the seed; `{attacker}` stands for it, `{name}` with a `cycle` for the step's n-th value,
 * anything else for the pools and times of render.ts.
 *
 * Sent over TCP, so the safety policy does not hold the blocks for approval as it does for
 * evidence that came only over UDP.
 */
import type { SenderId, SourceType } from './templates.js';

/** Lines sent `repeat` times, `every` ms apart, from `at` ms after the start. */
export interface AttackStep {
  readonly at: number;
  /** @defaultValue 1 */
  readonly repeat?: number;
  /** @defaultValue 0 */
  readonly every?: number;
  readonly sender: SenderId;
  readonly text: string;
  /** Values taken in turn by the repeats: `{port}` is `cycle.port[i % length]` in the i-th line. */
  readonly cycle?: Readonly<Record<string, readonly string[]>>;
}

/** One attack and what Watchpost should make of it. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly source: SourceType;
  /** The /24 the attacker's address is drawn from; none for an attack without a remote address. */
  readonly attackerNet?: '203.0.113' | '198.51.100';
  readonly steps: readonly AttackStep[];
  /** What to look for in the console (`{attacker}` is filled in). */
  readonly expect: string;
  /** Whether the shipped playbooks block the attacker in the blocklist feed. */
  readonly blocks: boolean;
}

/** Destination ports of the port scan: more than the fifteen the rule needs. */
const SCANNED_PORTS = ['21', '22', '23', '25', '53', '80', '110', '111', '135', '139', '143', '443', '445', '993', '995', '1433', '1723', '3306', '3389', '5432', '5900', '6379', '8080', '8443'];

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'ssh-brute-force',
    title: 'SSH brute force against the bastion host',
    source: 'auth',
    attackerNet: '203.0.113',
    steps: [
      {
        at: 2_000,
        repeat: 14,
        every: 650,
        sender: 'servers',
        text: '<38>1 {iso} bastion.corp.example.com sshd {pid} - - Failed password for {account} from {attacker} port {sport} ssh2',
        cycle: { account: ['root', 'root', 'invalid user admin', 'root', 'invalid user ubuntu', 'root'] },
      },
    ],
    expect: 'alert "SSH Brute Force From One Address" from {attacker}; the playbook block-ssh-brute-force blocks {attacker} (Response → Blocks, and the blocklist feed)',
    blocks: true,
  },
  {
    id: 'port-scan',
    title: 'Port scan of the web server',
    source: 'firewall',
    attackerNet: '198.51.100',
    steps: [
      {
        at: 3_000,
        repeat: 12,
        every: 350,
        sender: 'firewalls',
        text: '<134>{bsd} filterlog[41822]: 5,,,1000000103,em0,match,block,in,4,0x0,,241,{ipId},0,none,6,tcp,44,{attacker},203.0.113.10,{sport},{port},0,S,{sequence},,1024,,mss',
        cycle: { port: SCANNED_PORTS.slice(0, 12) },
      },
      {
        at: 3_175,
        repeat: 12,
        every: 350,
        sender: 'firewalls',
        text: '<164>{asa} fw-edge-1 : %ASA-4-106023: Deny tcp src outside:{attacker}/{sport} dst dmz:203.0.113.10/{port} by access-group "OUTSIDE_IN" [0x5f1e2d3c, 0x0]',
        cycle: { port: SCANNED_PORTS.slice(12) },
      },
    ],
    expect: 'alert "Port Scan Blocked By The Firewall" from {attacker}; the playbook block-port-scanner blocks {attacker}',
    blocks: true,
  },
  {
    id: 'antivirus',
    title: 'EICAR test file in a mail attachment and malware on a laptop',
    source: 'antivirus',
    steps: [
      {
        at: 5_000,
        sender: 'endpoints',
        text: '<30>{bsd} mail01 clamd[1873]: /var/spool/amavisd/tmp/amavis-{compactTime}-{pid}/parts/p003: Eicar-Test-Signature(44d88612fea8a8f36de82e1278abb02f:68) FOUND',
      },
      {
        at: 11_000,
        sender: 'endpoints',
        text: '<12>{bsd} LT-SALES-014.corp.example.com Microsoft-Windows-Windows_Defender[4]: Microsoft Defender Antivirus has detected malware or other potentially unwanted software.  For more information please see the following: https://go.microsoft.com/fwlink/?linkid=37020&name=Trojan:Win32/Wacatac.B!ml&threatid=2147735503&enterprise=1 \t Name: Trojan:Win32/Wacatac.B!ml \t ID: 2147735503 \t Severity: Severe \t Category: Trojan \t Path: file:_C:\\Users\\r.haas\\AppData\\Local\\Temp\\upd_4471.exe \t Detection Origin: Local machine \t Detection Type: Concrete \t Detection Source: Real-Time Protection \t User: CORP\\r.haas \t Process Name: C:\\Windows\\explorer.exe \t Security intelligence Version: AV: 1.421.123.0, AS: 1.421.123.0, NIS: 1.421.123.0 \t Engine Version: AM: 1.1.24090.11, NIS: 1.1.24090.11',
      },
    ],
    expect: 'alerts "Antivirus Malware Detection" on mail01 (EICAR) and LT-SALES-014 (Trojan:Win32/Wacatac.B!ml); the playbook notify-antivirus-detection runs',
    blocks: false,
  },
  {
    id: 'web-attack',
    title: 'Web scanner, SQL injection and path traversal against the shop',
    source: 'web',
    attackerNet: '203.0.113',
    steps: [
      {
        at: 6_000,
        repeat: 8,
        every: 400,
        sender: 'endpoints',
        text: '<190>{bsd} web-01 nginx: {attacker} - - [{clf}] "GET {probe} HTTP/1.1" 404 153 "-" "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:{nikto})"',
        cycle: { probe: ['/cgi-bin/test.cgi', '/admin/', '/phpmyadmin/', '/.env', '/backup.zip', '/wp-login.php', '/server-status', '/.git/config'], nikto: ['000003', '000011', '000024', '000042', '000057', '000063', '000078', '000091'] },
      },
      {
        at: 10_000,
        repeat: 3,
        every: 900,
        sender: 'endpoints',
        text: '<190>{bsd} web-01 nginx: {attacker} - - [{clf}] "GET {injection} HTTP/1.1" {status} {bytes} "-" "sqlmap/1.8.11#stable (https://sqlmap.org)"',
        cycle: {
          injection: ['/products.php?id=1%20UNION%20ALL%20SELECT%20NULL,username,password%20FROM%20users--', '/login.php?user=admin%27%20or%20%271%27%3D%271&pass=x', '/item?id=5+AND+SLEEP(5)'],
          status: ['200', '302', '504'],
        },
      },
      {
        at: 13_000,
        repeat: 2,
        every: 700,
        sender: 'endpoints',
        text: '<190>{bsd} web-01 nginx: {attacker} - - [{clf}] "GET {traversal} HTTP/1.1" {status} {bytes} "-" "curl/8.4.0"',
        cycle: { traversal: ['/download.php?file=../../../../etc/passwd', '/static/..%2f..%2f..%2fapp%2fconfig.yml'], status: ['200', '400'] },
      },
    ],
    expect: 'alerts "Web Vulnerability Scanner User Agent", "SQL Injection Attempt In Requested URL" and "Path Traversal Attempt In Requested URL" from {attacker}, in one incident',
    blocks: false,
  },
  {
    id: 'password-spraying',
    title: 'Password spraying over SSH, then a successful login',
    source: 'auth',
    attackerNet: '198.51.100',
    steps: [
      {
        at: 8_000,
        repeat: 6,
        every: 1_200,
        sender: 'servers',
        text: '<38>1 {iso} vpn-gw.corp.example.com sshd {pid} - - Failed password for {victim} from {attacker} port {sport} ssh2',
        cycle: { victim: ['a.martin', 'j.meyer', 'l.schmidt', 't.nguyen', 'k.weber', 'invalid user test'] },
      },
      {
        at: 17_000,
        sender: 'servers',
        text: '<38>1 {iso} vpn-gw.corp.example.com sshd {pid} - - Accepted password for j.meyer from {attacker} port {sport} ssh2',
      },
    ],
    expect: 'alerts "SSH Password Spraying From One Address" and "SSH Login After Repeated Failures" (j.meyer) from {attacker} in one incident; the playbook disable-account-after-spraying waits for an approver',
    blocks: false,
  },
];
