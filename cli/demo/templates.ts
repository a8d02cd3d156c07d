/**
 * The demo's benign traffic, as data: log lines of a small company's firewalls, Linux servers,
 * mail gateway and web servers, written after the formats of real devices (the syslog header
 * each one sends included). `{name}` is a placeholder: the time ones (`{bsd}`, `{iso}`, ...) are
 * filled with the moment of sending, the others from the seeded pools of render.ts.
 *
 * The lines are chosen to raise nothing on their own: denies come from many addresses on a few
 * ports (below the scan thresholds), sudo to root is by the expected admins, a mistyped password
 * is rare. What the demo wants to be seen comes from scenarios.ts.
 */

/** A TCP connection to Watchpost, framed as the kind of sender it stands for does. */
export interface Sender {
  readonly id: SenderId;
  /** RFC 6587: octet counting (`LEN SP MSG`, rsyslog's forwarding of RFC 5424) or LF after each message. */
  readonly framing: 'octet-counting' | 'lf';
  readonly description: string;
}

export type SenderId = 'firewalls' | 'servers' | 'endpoints';

/** The senders, one TCP connection each. */
export const SENDERS: readonly Sender[] = [
  { id: 'firewalls', framing: 'lf', description: 'FortiGate, pfSense, Cisco ASA and ufw sending RFC 3164-style syslog, one message per line' },
  { id: 'servers', framing: 'octet-counting', description: 'an rsyslog relay forwarding RFC 5424 from Linux servers, octet-counted' },
  { id: 'endpoints', framing: 'lf', description: 'the mail gateway (ClamAV), web servers (nginx) and Windows endpoints (Defender) over RFC 3164' },
];

/** The source types the demo covers; each line counts under one. */
export type SourceType = 'firewall' | 'antivirus' | 'auth' | 'web';

/** One kind of benign line and how often it comes relative to the others. */
export interface BenignTemplate {
  readonly id: string;
  readonly source: SourceType;
  readonly sender: SenderId;
  readonly weight: number;
  readonly text: string;
}

export const BENIGN_TEMPLATES: readonly BenignTemplate[] = [
  // Firewalls: outbound sessions, inbound web, DNS, and the background noise of the internet.
  {
    id: 'fortigate-outbound',
    source: 'firewall',
    sender: 'firewalls',
    weight: 14,
    text: '<189>date={fortiDate} time={fortiTime} devname="FGT-HQ-01" devid="FG100FTK22001234" eventtime={epochNs} tz="+0000" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip={lanIp} srcport={sport} srcintf="internal" srcintfrole="lan" dstip={remoteIp} dstport=443 dstintf="wan1" dstintfrole="wan" sessionid={session} proto=6 action="close" policyid=12 policytype="policy" service="HTTPS" trandisp="snat" transip=203.0.113.2 transport={sport} duration={duration} sentbyte={bytes} rcvdbyte={bytes} sentpkt={packets} rcvdpkt={packets} appcat="unscanned"',
  },
  {
    id: 'pfsense-dns-pass',
    source: 'firewall',
    sender: 'firewalls',
    weight: 8,
    text: '<134>{bsd} filterlog[41822]: 81,,,1700412988,igb0.30,match,pass,out,4,0x0,,64,{ipId},0,DF,17,udp,71,{lanIp},{resolverIp},{sport},53,51',
  },
  {
    id: 'asa-built-outbound',
    source: 'firewall',
    sender: 'firewalls',
    weight: 6,
    text: '<166>{asa} fw-edge-1 : %ASA-6-302013: Built outbound TCP connection {session} for outside:{remoteIp}/443 ({remoteIp}/443) to inside:{lanIp}/{sport} (203.0.113.3/{sport})',
  },
  {
    id: 'ufw-allow-https',
    source: 'firewall',
    sender: 'firewalls',
    weight: 8,
    text: '<4>{bsd} web-01 kernel: [{uptime}] [UFW ALLOW] IN=eth0 OUT= MAC=52:54:00:1a:2b:3c:52:54:00:9f:8e:7d:08:00 SRC={visitorIp} DST=203.0.113.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID={ipId} DF PROTO=TCP SPT={sport} DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0',
  },
  {
    id: 'fortigate-deny-noise',
    source: 'firewall',
    sender: 'firewalls',
    weight: 3,
    text: '<188>date={fortiDate} time={fortiTime} devname="FGT-HQ-01" devid="FG100FTK22001234" eventtime={epochNs} tz="+0000" logid="0000000013" type="traffic" subtype="forward" level="warning" vd="root" srcip={noiseIp} srcport={sport} srcintf="wan1" srcintfrole="wan" dstip=203.0.113.2 dstport={noisePort} dstintf="internal" dstintfrole="lan" sessionid={session} proto=6 action="deny" policyid=0 policytype="policy" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned"',
  },
  {
    id: 'ufw-block-noise',
    source: 'firewall',
    sender: 'firewalls',
    weight: 3,
    text: '<4>{bsd} web-01 kernel: [{uptime}] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:1a:2b:3c:52:54:00:9f:8e:7d:08:00 SRC={noiseIp} DST=203.0.113.10 LEN=44 TOS=0x00 PREC=0x00 TTL=241 ID={ipId} PROTO=TCP SPT={sport} DPT={noisePort} WINDOW=1024 RES=0x00 SYN URGP=0',
  },
  // Linux servers through the rsyslog relay: key logins of the admins, sessions, sudo by ansible.
  {
    id: 'sshd-accepted-publickey',
    source: 'auth',
    sender: 'servers',
    weight: 4,
    text: '<38>1 {iso} {server} sshd {pid} - - Accepted publickey for {opsUser} from {adminIp} port {sport} ssh2: ED25519 SHA256:{fingerprint}',
  },
  {
    id: 'sshd-session-opened',
    source: 'auth',
    sender: 'servers',
    weight: 3,
    text: '<86>1 {iso} {server} sshd {pid} - - pam_unix(sshd:session): session opened for user {opsUser}(uid={uid}) by (uid=0)',
  },
  {
    id: 'sshd-disconnect',
    source: 'auth',
    sender: 'servers',
    weight: 3,
    text: '<38>1 {iso} {server} sshd {pid} - - Received disconnect from {adminIp} port {sport}:11: disconnected by user',
  },
  {
    id: 'sudo-ansible',
    source: 'auth',
    sender: 'servers',
    weight: 2,
    text: '<85>1 {iso} {server} sudo - - - ansible : TTY=unknown ; PWD=/home/ansible ; USER=root ; COMMAND={adminCommand}',
  },
  {
    id: 'sshd-typo',
    source: 'auth',
    sender: 'servers',
    weight: 1,
    text: '<38>1 {iso} {server} sshd {pid} - - Failed password for {staffUser} from {lanIp} port {sport} ssh2',
  },
  // Antivirus: signature updates and self-checks on the mail gateway.
  {
    id: 'freshclam-updated',
    source: 'antivirus',
    sender: 'endpoints',
    weight: 1,
    text: '<30>{bsd} mail01 freshclam[{pid}]: daily.cld updated (version: {avVersion}, sigs: 2071234, f-level: 90, builder: raynman)',
  },
  {
    id: 'freshclam-up-to-date',
    source: 'antivirus',
    sender: 'endpoints',
    weight: 1,
    text: '<30>{bsd} mail01 freshclam[{pid}]: main.cvd database is up-to-date (version: 62, sigs: 6647427, f-level: 90, builder: sigmgr)',
  },
  {
    id: 'clamd-selfcheck',
    source: 'antivirus',
    sender: 'endpoints',
    weight: 2,
    text: '<30>{bsd} mail01 clamd[1873]: SelfCheck: Database status OK.',
  },
  // Web: visitors of the shop on nginx.
  {
    id: 'nginx-page',
    source: 'web',
    sender: 'endpoints',
    weight: 22,
    text: '<190>{bsd} web-01 nginx: {visitorIp} - - [{clf}] "GET {page} HTTP/1.1" 200 {bytes} "https://shop.example.com/" "{browser}"',
  },
  {
    id: 'nginx-asset',
    source: 'web',
    sender: 'endpoints',
    weight: 12,
    text: '<190>{bsd} web-01 nginx: {visitorIp} - - [{clf}] "GET {asset} HTTP/2.0" 304 0 "https://shop.example.com/" "{browser}"',
  },
  {
    id: 'nginx-api-post',
    source: 'web',
    sender: 'endpoints',
    weight: 4,
    text: '<190>{bsd} web-01 nginx: {visitorIp} - - [{clf}] "POST /api/cart HTTP/1.1" 201 {bytes} "https://shop.example.com/cart" "{browser}"',
  },
  {
    id: 'nginx-healthz',
    source: 'web',
    sender: 'endpoints',
    weight: 2,
    text: '<190>{bsd} web-01 nginx: 10.10.30.5 - - [{clf}] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31"',
  },
];
