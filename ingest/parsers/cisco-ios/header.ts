/**
 * The `%FACILITY-SEVERITY-MNEMONIC:` header of Cisco IOS, IOS-XE and NX-OS messages, found by a
 * hand-written scanner rather than a regular expression because the router calls it from
 * `matches` for every line no program routes: it looks at each `%` in the first
 * {@link MAX_HEADER_OFFSET} characters and allocates only for a complete header.
 */

/** Where the header may start: after a relay's host, a sequence number and a timestamp. */
export const MAX_HEADER_OFFSET = 160;
const MAX_PART = 48;
/** `IP-TCP` in `%IP-TCP-3-BADAUTH`: a facility may itself contain hyphens, a few at most. */
const MAX_FACILITY_PARTS = 3;

/** A parsed header; positions are offsets into the scanned text. */
export interface IosHeader {
  /** Offset of the `%`. */
  readonly start: number;
  readonly facility: string;
  readonly severity: number;
  readonly mnemonic: string;
  /** Offset of the message text after `: `. */
  readonly body: number;
}

function isUpper(code: number): boolean {
  return code >= 65 && code <= 90;
}

function isPartChar(code: number): boolean {
  return isUpper(code) || (code >= 48 && code <= 57) || code === 95;
}

/** The end of an upper-case part (`SEC_LOGIN`, `SSH2_SESSION`) starting at `pos`, or -1. */
function partEnd(text: string, pos: number): number {
  if (!isUpper(text.charCodeAt(pos))) return -1;
  let end = pos + 1;
  while (end < text.length && end - pos <= MAX_PART && isPartChar(text.charCodeAt(end))) end++;
  return end - pos > MAX_PART ? -1 : end;
}

/**
 * The end of the header at `at` (the `%`), with the offsets of its parts, or undefined. The
 * severity is the first part that is a single digit 0-7; the mnemonic after it must start with a
 * letter, which leaves out ASA, FTD, PIX and FWSM messages (`%ASA-6-302013`: numeric ids).
 */
function headerAt(text: string, at: number): IosHeader | undefined {
  let pos = at + 1;
  let parts = 0;
  for (;;) {
    const end = partEnd(text, pos);
    if (end < 0 || text.charCodeAt(end) !== 45) return undefined;
    parts++;
    pos = end + 1;
    const digit = text.charCodeAt(pos);
    if (digit >= 48 && digit <= 55 && text.charCodeAt(pos + 1) === 45) break;
    if (parts >= MAX_FACILITY_PARTS) return undefined;
  }
  const severityAt = pos;
  const mnemonicEnd = partEnd(text, pos + 2);
  if (mnemonicEnd < 0 || text.charCodeAt(mnemonicEnd) !== 58) return undefined;
  const facility = text.slice(at + 1, severityAt - 1);
  if (facility === 'ASA' || facility === 'FTD') return undefined;
  let body = mnemonicEnd + 1;
  if (text.charCodeAt(body) === 32) body++;
  return { start: at, facility, severity: text.charCodeAt(severityAt) - 48, mnemonic: text.slice(severityAt + 2, mnemonicEnd), body };
}

/** The first IOS header in `text`, starting at a `%` at the start or after a space or colon. */
export function findHeader(text: string): IosHeader | undefined {
  let at = text.indexOf('%');
  while (at >= 0 && at <= MAX_HEADER_OFFSET) {
    const before = at === 0 ? 32 : text.charCodeAt(at - 1);
    if ((before === 32 || before === 58) && isUpper(text.charCodeAt(at + 1))) {
      const header = headerAt(text, at);
      if (header !== undefined) return header;
    }
    at = text.indexOf('%', at + 1);
  }
  return undefined;
}
