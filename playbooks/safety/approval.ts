/**
 * When automated response must ask a person first (reliability.md S9): actions with a wide blast
 * radius, and actions taken on evidence anyone could have forged.
 */
import { overlaps, parseAddress, type ParsedAddress } from '../actions/address.js';
import type { ActionId } from '../actions/types.js';
import { mappedIpv4, type SafetyConfig } from './never-block.js';

/**
 * Addresses that belong to an organisation's own or its provider's networks, not to the public
 * Internet: blocking one may cut off the organisation's own users, servers or a whole NAT pool.
 *
 * - 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16: private networks (RFC 1918).
 * - 100.64.0.0/10: shared address space behind carrier-grade NAT (RFC 6598); one address there
 *   may be many subscribers.
 * - 192.0.0.0/24: IETF protocol assignments (RFC 6890), e.g. DS-Lite's 192.0.0.0/29, used inside
 *   provider networks.
 * - 198.18.0.0/15: benchmarking (RFC 2544), found only on lab and internal networks.
 * - fc00::/7: unique local IPv6 (RFC 4193); fec0::/10: the deprecated site-local range (RFC 3879)
 *   that older networks still use.
 *
 * Not internal: the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 * 2001:db8::/32, RFC 5737 and 3849) never appear on a real network, and examples and tests use
 * them as the outside attacker, so they are treated as public. Loopback, link-local, multicast and
 * the unspecified addresses are on the never-block list and never reach approval. An IPv4-mapped
 * IPv6 address is judged by the IPv4 address it carries.
 */
export const INTERNAL_RANGES: readonly ParsedAddress[] = Object.freeze(
  ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '192.0.0.0/24', '198.18.0.0/15', 'fc00::/7', 'fec0::/10'].map((cidr) =>
    parseAddress(cidr),
  ),
);

/** Whether any address of the prefix is internal ({@link INTERNAL_RANGES}). */
export function isInternal(target: ParsedAddress): boolean {
  return [target, ...mappedIpv4(target)].some((form) => INTERNAL_RANGES.some((range) => overlaps(form, range)));
}

/** The actions that change what a device lets through or who may sign in. */
const ENFORCING: ReadonlySet<ActionId> = new Set(['block-ip', 'disable-account']);

/**
 * Why this step needs a person's approval under the safety policy, as stable codes; empty when it
 * does not. Pure and synchronous (the runner calls it when it builds a run):
 *
 * - `wide-prefix`: a block-ip prefix shorter than `approval.widerThanIpv4Prefix` (IPv4) or
 *   `widerThanIpv6Prefix` (IPv6); /24 and /64 themselves are not wide by default.
 * - `internal-address`: a block-ip prefix sharing any address with {@link INTERNAL_RANGES}, when
 *   `approval.internalAddresses`.
 * - `account`: every disable-account, when `approval.accounts`.
 * - `udp-evidence`: a block-ip or disable-account whose evidence arrived only over UDP (every
 *   transport is `udp`), when `approval.udpEvidence`: a UDP syslog line can be sent by anyone in
 *   the name of any host (RFC 5426 8.1; fail2ban warns of the same DoS), so a forged line must
 *   not be able to make Watchpost block a victim. Unknown transports do not count as UDP.
 *
 * Undo actions (unblock-ip, enable-account), notify and create-ticket never need it: they cannot
 * cut anyone off. An unparseable address gives no reason here; checkTarget refuses it.
 */
export function approvalReasons(
  config: SafetyConfig,
  action: ActionId,
  input: Readonly<Record<string, unknown>>,
  evidence: { readonly transports?: readonly string[] },
): string[] {
  if (!ENFORCING.has(action)) return [];
  const reasons: string[] = [];
  const policy = config.approval;
  if (action === 'block-ip') {
    const target = tryParse(input.address);
    if (target) {
      const widest = target.family === 4 ? policy.widerThanIpv4Prefix : policy.widerThanIpv6Prefix;
      if (target.prefix < widest) reasons.push('wide-prefix');
      if (policy.internalAddresses && isInternal(target)) reasons.push('internal-address');
    }
  } else if (policy.accounts) {
    reasons.push('account');
  }
  const transports = evidence.transports ?? [];
  if (policy.udpEvidence && transports.length > 0 && transports.every((transport) => transport.toLowerCase() === 'udp')) {
    reasons.push('udp-evidence');
  }
  return reasons;
}

function tryParse(value: unknown): ParsedAddress | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return parseAddress(value);
  } catch {
    return undefined;
  }
}
