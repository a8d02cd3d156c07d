import { isIP } from 'node:net';
import type { EcsEvent, EventCategory, EventOutcome, EventType } from '../../../core/ecs/event.js';
import type { ParseContext, Parser, ParseResult } from '../parser.js';

/** Programs whose lines land in /var/log/auth.log (or /var/log/secure) and this parser reads. */
const PROGRAMS = ['sshd', 'sudo', 'su', 'useradd', 'groupadd', 'usermod', 'userdel', 'groupdel', 'groupmod', 'passwd', 'chpasswd', 'login', 'systemd-logind'] as const;
const PROGRAM_SET: ReadonlySet<string> = new Set(PROGRAMS);

/** What one message says, before it is merged into the base event. */
interface Finding {
  category?: EventCategory[];
  type?: EventType[];
  action?: string;
  outcome?: EventOutcome;
  user?: string;
  userId?: string;
  effectiveUser?: string;
  ip?: string;
  port?: number;
  group?: { id?: string; name?: string };
  command?: string;
  workingDirectory?: string;
}

// Each pattern is anchored and uses bounded, non-nested quantifiers over disjoint character classes
// so none can backtrack catastrophically.
const SSH_ACCEPTED = /^Accepted (\S+) for (\S+) from (\S+) port (\d{1,5})/;
const SSH_FAILED = /^Failed (\S+) for (invalid user )?(\S*) from (\S+) port (\d{1,5})/;
const SSH_INVALID = /^Invalid user (\S*) from (\S+)(?: port (\d{1,5}))?/;
const SSH_CLOSED = /^(?:Disconnected from|Connection closed by) (authenticating|invalid) user (\S*) (\S+) port (\d{1,5})/;
const SSH_CLOSED_ADDRESS = /^(?:Disconnected from|Connection closed by)(?: user (\S+))? (\S+) port (\d{1,5})/;
const SSH_RECEIVED_DISCONNECT = /^Received disconnect from (\S+) port (\d{1,5})/;
const SSH_MAX_ATTEMPTS = /^(?:error: )?maximum authentication attempts exceeded for (invalid user )?(\S*) from (\S+) port (\d{1,5})/;
const SSH_NO_IDENT = /^Did not receive identification string from (\S+)(?: port (\d{1,5}))?/;
const PAM_PREFIX = /^pam_unix\(([^:)]{1,64}):([a-z]{1,16})\): /;
const PAM_OPENED = /^session opened for user ([^\s(]+)(?:\(uid=(\d{1,10})\))? by ([^\s(]*)(?:\(uid=(\d{1,10})\))?/;
const PAM_CLOSED = /^session closed for user (\S+)/;
const PAM_PASSWORD_CHANGED = /^password changed for (\S+)/;
const SU_OK = /^(?:\(to (\S+)\) (\S+) on|Successful su for (\S+) by (\S+))/;
const SU_FAILED = /^(?:FAILED SU \(to (\S+)\) (\S+) on|FAILED su for (\S+) by (\S+))/;
const NEW_GROUP = /^new group: name=([^,\s]+), GID=(\d{1,10})/;
const NEW_USER = /^new user: name=([^,\s]+), UID=(\d{1,10}), GID=(\d{1,10})/;
const ADD_TO_GROUP = /^add '([^']{1,256})' to (?:shadow )?group '([^']{1,256})'/;
const DELETE_USER = /^delete user '([^']{1,256})'/;
const REMOVED_GROUP = /^(?:removed (?:shadow )?group '([^']{1,256})'|group '([^']{1,256})' removed)/;
const CHANGE_USER = /^(?:change|lock|unlock) user '([^']{1,256})'/;
const LOGIND_NEW = /^New session (\S+) of user ([^\s.]+)/;
const LOGIND_REMOVED = /^Removed session (\S+)\./;
const LOGIN_FAILED = /^FAILED LOGIN (?:\(\d{1,5}\) )?(?:\d{1,5} )?(?:on '[^']{0,64}' |FROM \S+ )?FOR '?([^\s,']+)/;

function int(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0 && value <= 65535 ? value : undefined;
}

function ipOrUndefined(text: string | undefined): string | undefined {
  return text !== undefined && isIP(text) !== 0 ? text : undefined;
}

/** `key=value` pairs of a pam_unix authentication failure (`logname= uid=0 ... rhost=1.2.3.4  user=root`). */
function pamPairs(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const token of text.split(' ')) {
    const eq = token.indexOf('=');
    if (eq > 0) pairs.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return pairs;
}

function parsePam(facility: string, kind: string, rest: string): Finding | undefined {
  if (kind === 'session') {
    let match = PAM_OPENED.exec(rest);
    if (match) {
      const by = match[3] ?? '';
      const opened: Finding = { category: ['session'], type: ['start'], action: 'logged-on', outcome: 'success' };
      // "for user X by (uid=0)" is a daemon (sshd, systemd) opening X's own session: X is the user.
      // Elastic leaves user.name empty there and puts X in user.effective; a rule on user.name
      // would then miss every SSH session, so this parser names X.
      if (by.length === 0) return { ...opened, user: match[1] as string };
      // "for user X by Y(uid=N)" is Y (uid N) becoming X (su, sudo), as Elastic reads it.
      return { ...opened, user: by, effectiveUser: match[1] as string, ...(match[4] === undefined ? {} : { userId: match[4] }) };
    }
    match = PAM_CLOSED.exec(rest);
    if (match) return { category: ['session'], type: ['end'], action: 'logged-off', outcome: 'success', user: match[1] as string };
    return undefined;
  }
  if (kind === 'auth' && rest.startsWith('authentication failure;')) {
    const pairs = pamPairs(rest);
    const user = pairs.get('user');
    const rhost = pairs.get('rhost');
    const ip = ipOrUndefined(rhost);
    return {
      category: ['authentication'],
      type: ['info'],
      action: facility === 'sshd' ? 'ssh_login' : 'authentication_failure',
      outcome: 'failure',
      ...(user ? { user } : {}),
      ...(ip ? { ip } : {}),
    };
  }
  if (kind === 'chauthtok') {
    const match = PAM_PASSWORD_CHANGED.exec(rest);
    if (match) return { category: ['iam'], type: ['user', 'change'], action: 'password-changed', outcome: 'success', user: match[1] as string };
  }
  return undefined;
}

function parseSshd(text: string): Finding | undefined {
  let match = SSH_ACCEPTED.exec(text);
  if (match) {
    return { category: ['authentication', 'session'], type: ['info'], action: 'ssh_login', outcome: 'success', user: match[2] as string, ip: match[3] as string, port: int(match[4]) as number };
  }
  match = SSH_FAILED.exec(text);
  if (match) {
    return { category: ['authentication'], type: ['info'], action: 'ssh_login', outcome: 'failure', user: match[3] as string, ip: match[4] as string, port: int(match[5]) as number };
  }
  match = SSH_INVALID.exec(text);
  if (match) {
    const port = int(match[3]);
    return { category: ['authentication'], type: ['info'], action: 'ssh_login', outcome: 'failure', user: match[1] as string, ip: match[2] as string, ...(port === undefined ? {} : { port }) };
  }
  match = SSH_MAX_ATTEMPTS.exec(text);
  if (match) {
    return { category: ['authentication'], type: ['info'], action: 'ssh_login', outcome: 'failure', user: match[2] as string, ip: match[3] as string, port: int(match[4]) as number };
  }
  match = SSH_CLOSED.exec(text);
  if (match) {
    // The client left before authenticating: the session never started, so the attempt failed.
    return { category: ['authentication'], type: ['end'], action: 'ssh_disconnect', outcome: 'failure', user: match[2] as string, ip: match[3] as string, port: int(match[4]) as number };
  }
  match = SSH_CLOSED_ADDRESS.exec(text);
  if (match && isIP(match[2] as string) !== 0) {
    return { category: ['session'], type: ['end'], action: 'ssh_disconnect', ...(match[1] ? { user: match[1] } : {}), ip: match[2] as string, port: int(match[3]) as number };
  }
  match = SSH_RECEIVED_DISCONNECT.exec(text);
  if (match) return { category: ['session'], type: ['end'], action: 'ssh_disconnect', ip: match[1] as string, port: int(match[2]) as number };
  match = SSH_NO_IDENT.exec(text);
  if (match) {
    // Elastic sets only the address here: a scan or a probe, not an authentication.
    const port = int(match[2]);
    return { ip: match[1] as string, ...(port === undefined ? {} : { port }) };
  }
  return undefined;
}

/** `user : [reason ; ]TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/ls` */
function parseSudo(text: string): Finding | undefined {
  const colon = text.indexOf(' : ');
  if (colon < 0) return undefined;
  const user = text.slice(0, colon).trim();
  if (user.length === 0 || user.includes(' ')) return undefined;
  const parts = text.slice(colon + 3).split(' ; ');
  const finding: Finding = { user, category: ['process'], type: ['start'], outcome: 'success' };
  let sawField = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq) : '';
    const value = eq > 0 ? part.slice(eq + 1) : '';
    if (key === 'COMMAND') {
      // A command may itself contain " ; ": everything after COMMAND= is the command.
      finding.command = [value, ...parts.slice(i + 1)].join(' ; ');
      sawField = true;
      break;
    }
    if (key === 'USER') finding.effectiveUser = value;
    else if (key === 'PWD') finding.workingDirectory = value;
    else if (key === 'TTY' || key === 'TSID' || key === 'ENV' || key === 'GROUP') {
      // Known fields without an ECS home the parser fills.
    } else if (i === 0) {
      // The reason before TTY= ("user NOT in sudoers", "3 incorrect password attempts") means sudo refused.
      finding.outcome = 'failure';
      finding.category = ['authentication'];
      finding.type = ['info'];
      continue;
    }
    sawField ||= key.length > 0;
  }
  return sawField ? finding : undefined;
}

function parseAccounts(text: string): Finding | undefined {
  let match = NEW_GROUP.exec(text);
  if (match) return { category: ['iam'], type: ['group', 'creation'], action: 'added-group', outcome: 'success', group: { name: match[1] as string, id: match[2] as string } };
  match = NEW_USER.exec(text);
  if (match) return { category: ['iam'], type: ['user', 'creation'], action: 'added-user', outcome: 'success', user: match[1] as string, userId: match[2] as string, group: { id: match[3] as string } };
  match = ADD_TO_GROUP.exec(text);
  if (match) return { category: ['iam'], type: ['user', 'change'], action: 'added-user-to-group', outcome: 'success', user: match[1] as string, group: { name: match[2] as string } };
  match = DELETE_USER.exec(text);
  if (match) return { category: ['iam'], type: ['user', 'deletion'], action: 'deleted-user', outcome: 'success', user: match[1] as string };
  match = REMOVED_GROUP.exec(text);
  if (match) return { category: ['iam'], type: ['group', 'deletion'], action: 'deleted-group', outcome: 'success', group: { name: (match[1] ?? match[2]) as string } };
  match = CHANGE_USER.exec(text);
  if (match) return { category: ['iam'], type: ['user', 'change'], action: 'modified-user-account', outcome: 'success', user: match[1] as string };
  return undefined;
}

function parseSu(text: string): Finding | undefined {
  let match = SU_FAILED.exec(text);
  if (match) return { category: ['authentication'], type: ['info'], action: 'su', outcome: 'failure', effectiveUser: (match[1] ?? match[3]) as string, user: (match[2] ?? match[4]) as string };
  match = SU_OK.exec(text);
  if (match) return { category: ['authentication'], type: ['info'], action: 'su', outcome: 'success', effectiveUser: (match[1] ?? match[3]) as string, user: (match[2] ?? match[4]) as string };
  return undefined;
}

function parseMessage(program: string, text: string): Finding | undefined {
  const pam = PAM_PREFIX.exec(text);
  if (pam) return parsePam(pam[1] as string, pam[2] as string, text.slice(pam[0].length));
  switch (program) {
    case 'sshd':
      return parseSshd(text);
    case 'sudo':
      return parseSudo(text);
    case 'su':
      return parseSu(text);
    case 'systemd-logind': {
      let match = LOGIND_NEW.exec(text);
      if (match) return { category: ['session'], type: ['start'], action: 'logged-on', outcome: 'success', user: match[2] as string };
      match = LOGIND_REMOVED.exec(text);
      if (match) return { category: ['session'], type: ['end'], action: 'logged-off', outcome: 'success' };
      return undefined;
    }
    case 'login': {
      const match = LOGIN_FAILED.exec(text);
      return match ? { category: ['authentication'], type: ['info'], action: 'logged-on', outcome: 'failure', user: match[1] as string } : undefined;
    }
    default:
      return parseAccounts(text);
  }
}

/** Program and pid of a header-less `sshd[123]: ...` line (a file that is not syslog-framed). */
function splitTag(text: string): { program: string; pid?: number; rest: string } | undefined {
  const colon = text.indexOf(': ');
  if (colon <= 0 || colon > 64) return undefined;
  const tag = text.slice(0, colon);
  const bracket = tag.indexOf('[');
  const program = bracket < 0 ? tag : tag.slice(0, bracket);
  if (program.length === 0 || program.includes(' ')) return undefined;
  const pid = bracket < 0 ? undefined : Number(tag.slice(bracket + 1, -1));
  return { program, ...(pid !== undefined && Number.isInteger(pid) && pid >= 0 ? { pid } : {}), rest: text.slice(colon + 2) };
}

function pushUnique(list: string[], value: string | undefined): void {
  if (value !== undefined && value.length > 0 && !list.includes(value)) list.push(value);
}

function build(context: ParseContext, program: string, pid: number | undefined, finding: Finding | undefined): EcsEvent {
  const base = context.base;
  // Object.assign over spreads: the base comes in several shapes, which makes spread's inline cache
  // megamorphic and was most of the parse time.
  const event: EcsEvent = Object.assign({}, base);
  const meta: NonNullable<EcsEvent['event']> = Object.assign({}, base.event);
  meta.kind = 'event';
  meta.dataset = 'system.auth';
  meta.module = 'system';
  event.event = meta;
  event.process = Object.assign({}, base.process);
  event.process.name = program;
  if (pid !== undefined) event.process.pid = pid;
  const related: { ip: string[]; user: string[]; hosts: string[] } = { ip: [], user: [], hosts: [] };
  pushUnique(related.hosts, base.host?.hostname);
  if (finding) {
    if (finding.category) meta.category = finding.category;
    if (finding.type) meta.type = finding.type;
    if (finding.action) meta.action = finding.action;
    if (finding.outcome) meta.outcome = finding.outcome;
    const user: NonNullable<EcsEvent['user']> = {};
    if (finding.user !== undefined && finding.user.length > 0) user.name = finding.user;
    if (finding.userId !== undefined) user.id = finding.userId;
    if (finding.effectiveUser !== undefined && finding.effectiveUser.length > 0) user.effective = { name: finding.effectiveUser };
    if (Object.keys(user).length > 0) event.user = user;
    pushUnique(related.user, finding.user);
    pushUnique(related.user, finding.effectiveUser);
    if (finding.group) event.group = finding.group;
    if (finding.ip !== undefined) {
      const ip = ipOrUndefined(finding.ip);
      event.source = { address: finding.ip, ...(ip ? { ip } : { domain: finding.ip }), ...(finding.port === undefined ? {} : { port: finding.port }) };
      pushUnique(related.ip, ip);
    }
    if (finding.command !== undefined) event.process.command_line = finding.command;
    if (finding.workingDirectory !== undefined) event.process.working_directory = finding.workingDirectory;
  }
  const relatedOut: NonNullable<EcsEvent['related']> = {};
  if (related.ip.length > 0) relatedOut.ip = related.ip;
  if (related.user.length > 0) relatedOut.user = related.user;
  if (related.hosts.length > 0) relatedOut.hosts = related.hosts;
  if (Object.keys(relatedOut).length > 0) event.related = relatedOut;
  return event;
}

/**
 * Linux authentication logs (/var/log/auth.log, /var/log/secure): sshd logins and disconnects,
 * sudo and su, pam_unix sessions and failures, account management (useradd, groupadd, usermod,
 * userdel, groupdel, passwd) and systemd-logind sessions, mapped as Elastic's `system.auth`
 * pipeline does. A line from one of these programs that says nothing security-relevant still
 * parses (dataset and process set, no category), since it is ordinary auth.log traffic.
 */
export const linuxAuthParser: Parser = {
  id: 'linux-auth',
  description: 'Linux auth.log / secure: sshd, sudo, su, PAM, user and group management (Elastic system.auth)',
  programs: PROGRAMS,
  timeResolution:
    'The syslog header carries the time: RFC 5424 with its offset; RFC 3164 (no year, no zone) read in the source\'s configured zone, the year being the one that puts the line at most a month after it was received.',
  matches(context: ParseContext): boolean {
    const program = context.syslog?.appName;
    if (program !== undefined && PROGRAM_SET.has(program.toLowerCase())) return true;
    // Any program's PAM lines (systemd-user, cron, login) belong to the auth log.
    return context.text.startsWith('pam_unix(');
  },
  parse(context: ParseContext): ParseResult {
    let program = context.syslog?.appName?.toLowerCase();
    let pid = context.base.process?.pid;
    // Messages with an empty structured-data field may start with padding (`- -  moe : TTY=`).
    let text = context.text.trimStart();
    if (program === undefined) {
      const tag = splitTag(text);
      if (!tag) return { failure: 'no_program' };
      program = tag.program.toLowerCase();
      pid = tag.pid;
      text = tag.rest;
    }
    const finding = parseMessage(program, text);
    if (finding) return { event: build(context, context.base.process?.name ?? program, pid, finding) };
    if (PROGRAM_SET.has(program)) return { event: build(context, context.base.process?.name ?? program, pid, undefined) };
    return { failure: 'no_match' };
  },
};
