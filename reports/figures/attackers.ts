/**
 * The top attacking addresses as the report shows them: with their country and ASN (when a
 * lookup is configured) and whether a block of the week covered them.
 */
import { BlockList, isIP } from 'node:net';
import type { BlockState } from '../../core/cases/types.js';
import type { Logger } from '../../core/log.js';
import type { AttackerFigure } from '../../core/reports/types.js';
import type { IpInfo, IpInfoLookup } from '../ip-info.js';
import type { AttackerTally } from './alerts.js';

/** The addresses and networks the week's blocks put in force at some point (failed ones never were). */
function blockedSet(blocks: readonly BlockState[]): BlockList {
  const set = new BlockList();
  for (const block of blocks) {
    if (block.kind !== 'ip' || block.state === 'failed') continue;
    const [address, prefix] = block.target.split('/') as [string, string | undefined];
    const family = isIP(address);
    if (family === 0) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) continue;
    set.addSubnet(address, bits, type);
  }
  return set;
}

function isBlocked(set: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && set.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Country and ASN of the addresses. A lookup that fails (its data missing or unreadable) leaves
 * the figures without them rather than failing the whole report.
 */
async function lookUp(ipInfo: IpInfoLookup | undefined, ips: readonly string[], log: Logger | undefined): Promise<ReadonlyMap<string, IpInfo>> {
  if (ipInfo === undefined || ips.length === 0) return new Map();
  try {
    return await ipInfo(ips);
  } catch (error) {
    log?.warn({ err: error, addresses: ips.length }, 'country and ASN lookup failed: the report lists its attackers without them');
    return new Map();
  }
}

/** The attackers of the week with their lookups and block flags, in the order given. */
export async function describeAttackers(
  attackers: readonly AttackerTally[],
  weekBlocks: readonly BlockState[],
  ipInfo: IpInfoLookup | undefined,
  log?: Logger,
): Promise<AttackerFigure[]> {
  const blocked = blockedSet(weekBlocks);
  const info = await lookUp(
    ipInfo,
    attackers.map((attacker) => attacker.ip),
    log,
  );
  return attackers.map((attacker) => {
    const found = info.get(attacker.ip);
    return {
      ip: attacker.ip,
      alerts: attacker.alerts,
      matches: attacker.matches,
      ...(found?.country !== undefined ? { country: found.country } : {}),
      ...(found?.countryName !== undefined ? { countryName: found.countryName } : {}),
      ...(found?.asn !== undefined ? { asn: found.asn } : {}),
      ...(found?.asOrganization !== undefined ? { asOrganization: found.asOrganization } : {}),
      blocked: isBlocked(blocked, attacker.ip),
    };
  });
}
