/**
 * IP addresses and networks at configuration time: parsing, the host-bits check and the canonical
 * text of a network address for error messages. Request-time matching uses `node:net` BlockList.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

/** A network in canonical text, ready for `BlockList.addSubnet(address, prefix, family)`. */
export interface IpNetwork {
  readonly family: IpFamily;
  /** Canonical text without brackets: `10.0.0.0`, `fd00::`. */
  readonly address: string;
  readonly prefix: number;
}

/** The four octets of a valid IPv4 address. */
function ipv4Octets(address: string): number[] {
  return address.split('.').map(Number);
}

/** The eight 16-bit groups of a valid IPv6 address. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  // A trailing dotted quad (`::ffff:10.0.0.1`) stands for two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = ipv4Octets(tail) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const toGroups = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const [head, rest] = text.split('::');
  const headGroups = toGroups(head);
  const restGroups = toGroups(rest);
  const zeros: number[] = new Array<number>(8 - headGroups.length - restGroups.length).fill(0);
  return [...headGroups, ...zeros, ...restGroups];
}

/** Canonical IPv6 text (RFC 5952): lower case, no leading zeros, the longest run of zeros as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}

/** Clears the host bits of `parts` (octets or groups of `bits` each) past `prefix`. */
function maskParts(parts: readonly number[], bits: number, prefix: number): number[] {
  return parts.map((part, i) => {
    const keep = Math.min(Math.max(prefix - i * bits, 0), bits);
    const mask = keep === 0 ? 0 : (((1 << bits) - 1) >> (bits - keep)) << (bits - keep);
    return part & mask;
  });
}

/** A prefix length as written: digits without leading zeros, within the family's range. */
function parsePrefix(text: string, max: number): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(text)) return undefined;
  const prefix = Number(text);
  return prefix <= max ? prefix : undefined;
}

export type NetworkResult = { network: IpNetwork } | { message: string };

/**
 * Reads `address/prefix` (IPv4, or IPv6 with or without brackets when `bracketsRequired` is false).
 * Messages follow our config style: what is wrong, then the form it should take.
 */
export function parseIpNetwork(text: string, bracketsRequired: boolean): NetworkResult {
  const slash = text.lastIndexOf('/');
  let address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const bracketed = address.startsWith('[') && address.endsWith(']');
  if (bracketed) address = address.slice(1, -1);
  if (isIPv4(address) && !bracketed) {
    const prefix = parsePrefix(prefixText, 32);
    if (prefix === undefined) return { message: `has prefix "/${prefixText}"; an IPv4 prefix is 0-32: "10.0.0.0/8"` };
    const octets = ipv4Octets(address);
    const network = maskParts(octets, 8, prefix).join('.');
    if (network !== address) {
      return { message: `has host bits set; write the network address: "${network}/${prefix}"` };
    }
    return { network: { family: 'ipv4', address, prefix } };
  }
  if (isIPv6(address)) {
    const groups = ipv6Groups(address);
    const canonical = formatIpv6(groups);
    const written = (a: string, p: number | string): string =>
      bracketsRequired || bracketed ? `[${a}]/${p}` : `${a}/${p}`;
    if (bracketsRequired && !bracketed) {
      return { message: `is an IPv6 network without brackets; write "${written(canonical, prefixText)}"` };
    }
    const prefix = parsePrefix(prefixText, 128);
    if (prefix === undefined) {
      return { message: `has prefix "/${prefixText}"; an IPv6 prefix is 0-128: "${written('fd00::', 8)}"` };
    }
    const network = formatIpv6(maskParts(groups, 16, prefix));
    if (network !== canonical) {
      return { message: `has host bits set; write the network address: "${written(network, prefix)}"` };
    }
    return { network: { family: 'ipv6', address: canonical, prefix } };
  }
  if (address.includes('%')) return { message: 'has a zone id ("%"); a network takes none' };
  return {
    message: bracketed
      ? `is not an IPv6 network; write an address and a prefix: "[fd00::]/8"`
      : `is not an IP network; write an address and a prefix: "10.0.0.0/8" or "[fd00::]/8"`,
  };
}

/**
 * The IPv4 network that an IPv4-mapped IPv6 network stands for (`::ffff:10.0.0.0/104` is
 * `10.0.0.0/8`, `::ffff:127.0.0.1/128` is `127.0.0.1/32`), or undefined for any other network,
 * a mapped one with a prefix shorter than the mapped range's /96 included.
 */
export function ipv4MappedNetwork(network: IpNetwork): IpNetwork | undefined {
  if (network.family !== 'ipv6' || network.prefix < 96) return undefined;
  const groups = ipv6Groups(network.address);
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  const high = groups[6] as number;
  const low = groups[7] as number;
  const address = `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  return { family: 'ipv4', address, prefix: network.prefix - 96 };
}

/** Canonical IPv6 text of a valid IPv6 address (used to suggest a form, not for matching). */
export function canonicalIpv6(address: string): string {
  return formatIpv6(ipv6Groups(address));
}

/**
 * The 32-bit value of a dotted-quad IPv4 address read from `start` to the end of `text` (four
 * octets 0-255 without leading zeros), or -1. Allocation-free, for per-request checks.
 */
export function ipv4Number(text: string, start = 0): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 0x30);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return value * 256 + octet;
}

/** The network mask of an IPv4 prefix, as an unsigned 32-bit number. */
export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}
