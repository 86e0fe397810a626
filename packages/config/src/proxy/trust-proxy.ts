/**
 * Which connections may set `X-Forwarded-Host` (spec rule 3): the `trustProxy` setting, checked
 * and compiled once into a predicate on the connection's peer address.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { type IpNetwork, ipv4MappedNetwork, ipv4Mask, ipv4Number, parseIpNetwork } from '../host/ip-network.js';
import type { TrustProxy } from '../settings.js';
import { UpgateConfigError, type ConfigProblem } from '../upgate-config.error.js';

/**
 * Names a `trustProxy` list may use instead of addresses.
 * - `loopback`: 127.0.0.0/8 and ::1 (a proxy on the same machine).
 * - `private`: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918), fc00::/7 (IPv6 unique local)
 *   and the loopback ranges too. Link-local (169.254.0.0/16, fe80::/10) is not included.
 */
export const TRUST_PROXY_NAMES: Readonly<Record<'loopback' | 'private', readonly IpNetwork[]>> = {
  loopback: [
    { family: 'ipv4', address: '127.0.0.0', prefix: 8 },
    { family: 'ipv6', address: '::1', prefix: 128 },
  ],
  private: [
    { family: 'ipv4', address: '10.0.0.0', prefix: 8 },
    { family: 'ipv4', address: '172.16.0.0', prefix: 12 },
    { family: 'ipv4', address: '192.168.0.0', prefix: 16 },
    { family: 'ipv6', address: 'fc00::', prefix: 7 },
    { family: 'ipv4', address: '127.0.0.0', prefix: 8 },
    { family: 'ipv6', address: '::1', prefix: 128 },
  ],
};

type Read = { networks: readonly IpNetwork[] } | { message: string };

function readTrustProxyEntry(raw: string): Read {
  if (raw === '')
    return { message: 'is empty; write an address ("10.0.0.1"), a network ("10.0.0.0/8"), "loopback" or "private"' };
  if (raw.trim() !== raw) return { message: `has whitespace around it; write "${raw.trim()}"` };
  if (raw === 'loopback' || raw === 'private') return { networks: TRUST_PROXY_NAMES[raw] };
  const lower = raw.toLowerCase();
  if (lower === 'loopback' || lower === 'private')
    return { message: `names a range in the wrong case; write "${lower}"` };
  if (raw.includes('/')) {
    const read = parseIpNetwork(raw, false);
    return 'network' in read ? { networks: [asIpv4IfMapped(read.network)] } : read;
  }
  const address = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (isIPv4(address) && address === raw) return { networks: [{ family: 'ipv4', address, prefix: 32 }] };
  if (isIPv6(address)) {
    if (address.includes('%'))
      return { message: `has a zone id; write the address alone: "${address.slice(0, address.indexOf('%'))}"` };
    return { networks: [asIpv4IfMapped({ family: 'ipv6', address, prefix: 128 })] };
  }
  if (/^[0-9.]+$/.test(raw)) {
    return { message: 'is not an IPv4 address; write four octets 0-255 without leading zeros, such as "10.0.0.1"' };
  }
  if (/^[0-9.]+:[0-9]+$/.test(raw))
    return { message: `has a port; write the address alone: "${raw.slice(0, raw.indexOf(':'))}"` };
  return {
    message:
      'is not an address, a network or a range name; write "10.0.0.1", "10.0.0.0/8", "fd00::/8", "loopback" or "private"',
  };
}

/**
 * An entry written in IPv4-mapped form (`::ffff:10.0.0.1`, `[::ffff:10.0.0.1]`, `::ffff:10.0.0.0/104`)
 * is the IPv4 address or network it maps (spec rule 3): peers are compared that way too (Node reports
 * an IPv4 client of a dual-stack socket as `::ffff:10.0.0.1`, which the predicate reads as
 * `10.0.0.1`), so kept as IPv6 the entry would match no peer at all, not even the one it spells.
 */
function asIpv4IfMapped(network: IpNetwork): IpNetwork {
  return ipv4MappedNetwork(network) ?? network;
}

/**
 * Checks one entry of a `trustProxy` list: an IPv4 or IPv6 address (`10.0.0.1`, `::1` or `[::1]`),
 * a network (`10.0.0.0/8`, `fd00::/8` or `[fd00::]/8`, without host bits set), or one of the names
 * `loopback` and `private` (see `TRUST_PROXY_NAMES`). An IPv4-mapped address or network is
 * accepted and stands for its IPv4 form.
 * @returns undefined when it is fine, otherwise what is wrong and the form to write.
 */
export function checkTrustProxyEntry(raw: string): string | undefined {
  const read = readTrustProxyEntry(raw);
  return 'message' in read ? read.message : undefined;
}

/** The problems of every entry of a `trustProxy` setting, named `trustProxy[i]`. */
export function trustProxyProblems(setting: TrustProxy): ConfigProblem[] {
  if (typeof setting === 'boolean') return [];
  const problems: ConfigProblem[] = [];
  setting.forEach((raw, i) => {
    const message = checkTrustProxyEntry(raw);
    if (message !== undefined) problems.push({ setting: `trustProxy[${i}]`, value: JSON.stringify(raw), message });
  });
  return problems;
}

/** Whether `text` starts with `::ffff:` in any case: an IPv4 peer on a dual-stack socket. */
function isIpv4MappedPrefix(text: string): boolean {
  if (text.length < 14 || text.charCodeAt(0) !== 0x3a || text.charCodeAt(1) !== 0x3a || text.charCodeAt(6) !== 0x3a)
    return false;
  for (let i = 2; i < 6; i++) if ((text.charCodeAt(i) | 0x20) !== 0x66) return false;
  return true;
}

/**
 * Compiles a `trustProxy` setting into a predicate on the connection's peer address
 * (`req.socket.remoteAddress`). `true` trusts every peer, `false` none; a list trusts a peer inside
 * one of its entries. An IPv4 peer on a dual-stack socket (`::ffff:10.0.0.1`) counts as its IPv4
 * address; an unknown peer (undefined) is never trusted by a list.
 * @throws UpgateConfigError naming every invalid entry (`trustProxy[i]`).
 */
export function compileTrustProxy(setting: TrustProxy): (peerAddress: string | undefined) => boolean {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  const problems = trustProxyProblems(setting);
  if (problems.length > 0) throw new UpgateConfigError(problems);

  // IPv4 networks as numbers (checked without allocation on every request that carries
  // X-Forwarded-Host); IPv6 through BlockList. The IPv4-mapped form is unwrapped here rather than
  // left to BlockList, whose cross-family matching is an implementation detail.
  const networks: number[] = [];
  const masks: number[] = [];
  let ipv6: BlockList | undefined;
  for (const raw of setting) {
    const read = readTrustProxyEntry(raw);
    if ('message' in read) continue; // unreachable: checked above
    for (const { family, address, prefix } of read.networks) {
      if (family === 'ipv4') {
        networks.push(ipv4Number(address));
        masks.push(ipv4Mask(prefix));
      } else (ipv6 ??= new BlockList()).addSubnet(address, prefix, 'ipv6');
    }
  }
  const trustsIpv4 = (address: number): boolean => {
    for (let i = 0; i < networks.length; i++) {
      if ((address & (masks[i] as number)) >>> 0 === networks[i]) return true;
    }
    return false;
  };
  // A proxy connects from the same few addresses: remember the last answer.
  let lastPeer = '';
  let lastAnswer = false;
  return (peerAddress) => {
    if (peerAddress === undefined || peerAddress === '') return false;
    if (peerAddress === lastPeer) return lastAnswer;
    let answer: boolean;
    const v4 = ipv4Number(peerAddress, isIpv4MappedPrefix(peerAddress) ? 7 : 0);
    if (v4 >= 0) answer = trustsIpv4(v4);
    else answer = ipv6 !== undefined && isIPv6(peerAddress) && ipv6.check(peerAddress, 'ipv6');
    lastPeer = peerAddress;
    lastAnswer = answer;
    return answer;
  };
}
