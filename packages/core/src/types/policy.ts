// The target policy's contract: the allowlists every registry-derived target is checked against.
import type { BlockList } from 'node:net'

/**
 * A compiled `allowedHosts` list: exact host names, `*.suffix` wildcards, IP addresses
 * and IPv4/IPv6 CIDR blocks.
 */
export interface HostRules {
  /** The list as given, for error messages. */
  readonly source: readonly string[]
  readonly names: ReadonlySet<string>
  /** Suffixes of `*.suffix` rules, with their leading dot (`.example.com`). */
  readonly suffixes: readonly string[]
  readonly addresses: BlockList
}

/** The allowlists a resolver is created with: see {@link createTargetPolicy}. */
export interface TargetPolicyOptions {
  /** 12-digit account ids an ARN or queue URL from the registry may point to. Default: any. */
  readonly allowedAccounts?: readonly string[]
  /** Regions an ARN or queue URL from the registry may point to. Default: any. */
  readonly allowedRegions?: readonly string[]
  /**
   * Hosts an HTTP base URL from the registry may point to: exact names (`api.example.com`),
   * `*.suffix` wildcards (`*.internal.example.com`: any name below it, not itself), IP
   * addresses and IPv4/IPv6 CIDR blocks (`10.0.0.0/8`, `fd00::/8`). Default: any host but
   * the ones always refused (link-local, instance metadata, the Lambda Runtime API). Names are
   * not resolved before these checks: a name is resolved when `fetch` connects, so this list
   * is the way to pin the hosts a name may be. Redirects are checked against it too.
   */
  readonly allowedHosts?: readonly string[]
}

/** What the dependency kinds check every registry-derived target against, before any call. */
export interface TargetPolicy {
  readonly allowedAccounts?: ReadonlySet<string>
  readonly allowedRegions?: ReadonlySet<string>
  readonly allowedHosts?: HostRules
}
