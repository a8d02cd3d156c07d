/**
 * Reading local accounts the way the shadow suite stores them: /etc/passwd for the uid,
 * /etc/shadow for the lock (a password field starting with `!`) and the expiry date (days since
 * 1970-01-01; empty means never). Only local files: an account that NSS serves from LDAP or sssd
 * is not one usermod can change, so it is "no such local account" here.
 */
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../../../core/errors.js';

/**
 * A login name a Linux driver accepts: what useradd's default NAME_REGEX allows plus upper case
 * and dots, at most 32 characters (the utmp limit), never starting with `-` so it cannot be
 * read as an option by usermod, pkill or loginctl.
 */
export const LINUX_ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** The largest passwd or shadow file read. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const DAY_MS = 24 * 3600 * 1000;

/** One account's line of /etc/passwd and /etc/shadow, the fields the driver needs. */
export interface LocalAccount {
  readonly name: string;
  readonly uid: number;
}

/** The state of an account in /etc/shadow. */
export interface ShadowState {
  /** The password field starts with `!`: no password login. */
  readonly locked: boolean;
  /** Nothing but `!`s: unlocking would leave no password at all (usermod -U refuses). */
  readonly lockedWithoutPassword: boolean;
  /** The expiry day (days since 1970-01-01), or undefined for never. */
  readonly expireDay: number | undefined;
}

/** Whether an account with this shadow state expired on or before `nowMs`. */
export function isExpired(state: ShadowState, nowMs: number): boolean {
  return state.expireDay !== undefined && state.expireDay * DAY_MS <= nowMs;
}

/** Throws a UserError (WATCHPOST_ERR_ACTION_INPUT) unless `name` is a login name {@link LINUX_ACCOUNT_NAME} accepts. */
export function checkAccountName(driverId: string, name: string): void {
  if (!LINUX_ACCOUNT_NAME.test(name)) {
    throw new UserError('WATCHPOST_ERR_ACTION_INPUT', `driver ${driverId}: ${JSON.stringify(name.slice(0, 64))} is not a local login name (letters, digits, _ . -, at most 32, not starting with -)`);
  }
}

/** Finds `name` in the text of a passwd file. */
export function findPasswdEntry(text: string, name: string): LocalAccount | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 7) continue;
    const uid = fields[2] ?? '';
    if (!/^\d{1,10}$/.test(uid)) return undefined;
    return { name, uid: Number(uid) };
  }
  return undefined;
}

/** Finds `name` in the text of a shadow file. */
export function findShadowState(text: string, name: string): ShadowState | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] !== name || fields.length < 8) continue;
    const password = fields[1] ?? '';
    const expire = (fields[7] ?? '').trim();
    return {
      locked: password.startsWith('!'),
      lockedWithoutPassword: /^!+$/.test(password),
      expireDay: /^-?\d{1,10}$/.test(expire) && Number(expire) >= 0 ? Number(expire) : undefined,
    };
  }
  return undefined;
}

/** Reads a small system file; a missing or oversized one is a configuration problem. */
export async function readSystemFile(driverId: string, path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
