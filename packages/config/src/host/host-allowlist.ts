/**
 * Spec rule 2 at request time: the allowlist compiled once into lookups whose cost depends on the
 * host's length, not on the number of entries.
 * - exact names and IP literals: one Map lookup on the whole normalised name;
 * - `.x` / `*.x`: a trie of labels walked from the right, one Map lookup per label;
 * - networks: one BlockList per address family (so that an IPv4-mapped IPv6 host is never
 *   inside an IPv4 network, which BlockList alone would allow).
 */
import { BlockList } from 'node:net';
import type { AllowlistEntry } from './allowlist-entry.js';
import type { ParsedHost } from './host-syntax.js';

/** The ports an entry allows for one name: any, or a set. */
class PortRule {
  any = false;
  ports: Set<number> | undefined;

  add(port: number): void {
    if (port === 0) this.any = true;
    else (this.ports ??= new Set()).add(port);
  }

  /** `port` 0 (none sent) passes only an any-port rule: `example.com:8443` needs 8443. */
  allows(port: number): boolean {
    return this.any || (port !== 0 && this.ports !== undefined && this.ports.has(port));
  }
}

/** A label of the domain trie; `subdomains` holds the ports of `.x`/`*.x` entries ending here. */
interface LabelNode {
  children: Map<string, LabelNode> | undefined;
  subdomains: PortRule | undefined;
}

export class HostAllowlist {
  private anyHost = false;
  private readonly exact = new Map<string, PortRule>();
  private readonly domains: LabelNode = { children: undefined, subdomains: undefined };
  private hasDomains = false;
  private ipv4Networks: BlockList | undefined;
  private ipv6Networks: BlockList | undefined;

  constructor(entries: readonly AllowlistEntry[]) {
    for (const entry of entries) this.add(entry);
  }

  private add(entry: AllowlistEntry): void {
    switch (entry.kind) {
      case 'any':
        this.anyHost = true;
        return;
      case 'exact':
        this.addExact(entry.host, entry.port);
        return;
      case 'domain': {
        // `.example.com` is `example.com` itself (an exact entry) plus its subdomains.
        if (entry.apex) this.addExact(entry.domain, entry.port);
        let node = this.domains;
        const labels = entry.domain.split('.');
        for (let i = labels.length - 1; i >= 0; i--) {
          const label = labels[i] as string;
          node.children ??= new Map();
          let child = node.children.get(label);
          if (child === undefined) {
            child = { children: undefined, subdomains: undefined };
            node.children.set(label, child);
          }
          node = child;
        }
        (node.subdomains ??= new PortRule()).add(entry.port);
        this.hasDomains = true;
        return;
      }
      case 'network': {
        const { family, address, prefix } = entry.network;
        const list =
          family === 'ipv4' ? (this.ipv4Networks ??= new BlockList()) : (this.ipv6Networks ??= new BlockList());
        list.addSubnet(address, prefix, family);
        return;
      }
    }
  }

  private addExact(host: string, port: number): void {
    let rule = this.exact.get(host);
    if (rule === undefined) {
      rule = new PortRule();
      this.exact.set(host, rule);
    }
    rule.add(port);
  }

  /** Whether a valid, parsed host is allowed. */
  allows(host: ParsedHost): boolean {
    if (this.anyHost) return true;
    const rule = this.exact.get(host.name);
    if (rule !== undefined && rule.allows(host.port)) return true;
    switch (host.kind) {
      case 'name':
        return this.hasDomains && this.allowsSubdomain(host.name, host.port);
      case 'ipv4':
        return this.ipv4Networks !== undefined && this.ipv4Networks.check(host.name, 'ipv4');
      case 'ipv6':
        return this.ipv6Networks !== undefined && this.ipv6Networks.check(host.name.slice(1, -1), 'ipv6');
    }
  }

  /** Walks `name`'s labels from the right; a `.x`/`*.x` node matches when labels remain to its left. */
  private allowsSubdomain(name: string, port: number): boolean {
    let node = this.domains;
    let end = name.length;
    for (;;) {
      const dot = name.lastIndexOf('.', end - 1);
      // The leftmost label cannot end a match: a subdomain needs a label before the domain.
      if (dot < 0) return false;
      const child = node.children?.get(name.slice(dot + 1, end));
      if (child === undefined) return false;
      if (child.subdomains !== undefined && child.subdomains.allows(port)) return true;
      node = child;
      end = dot;
    }
  }

  /**
   * The ports on which entries allow this name, when only a ported entry lists it (so that a
   * rejection can say "listed for port 3000 only"). Rejection path only: it allocates.
   */
  portsListedFor(host: ParsedHost): number[] {
    const ports = new Set<number>(this.exact.get(host.name)?.ports ?? []);
    if (host.kind === 'name') {
      let node: LabelNode | undefined = this.domains;
      const labels = host.name.split('.');
      for (let i = labels.length - 1; i > 0 && node !== undefined; i--) {
        node = node.children?.get(labels[i] as string);
        for (const port of node?.subdomains?.ports ?? []) ports.add(port);
      }
    }
    return [...ports].sort((a, b) => a - b);
  }
}
