import type { AwsClientCapture } from './calls.js'

/** Cloud Map's health filter for DiscoverInstances. */
export type HealthStatusFilter = 'HEALTHY' | 'UNHEALTHY' | 'ALL' | 'HEALTHY_OR_ELSE_ALL'

/** What to ask the registry for: one service, optionally narrowed by attributes. */
export interface DiscoveryQuery {
  /** The namespace name. */
  readonly namespace: string
  /** The service name. */
  readonly service: string
  /** Only instances whose attributes equal all of these. */
  readonly queryParameters?: Readonly<Record<string, string>>
  /** Preferred attributes: used when at least one instance matches them all. */
  readonly optionalParameters?: Readonly<Record<string, string>>
  /** Which instances by health (Cloud Map `HealthStatus`). */
  readonly healthStatus?: HealthStatusFilter
  /** At most this many instances (Cloud Map `MaxResults`). */
  readonly maxResults?: number
  /** Owner of a namespace shared with this account. */
  readonly account?: string
}

/** One registered instance as the registry returned it. */
export interface RegisteredInstance {
  /** The Cloud Map instance id. */
  readonly instanceId: string
  /** `HEALTHY`, `UNHEALTHY` or `UNKNOWN`, when the registry reports it. */
  readonly healthStatus?: string
  /** The registered attributes, as Cloud Map holds them: strings. */
  readonly attributes: Readonly<Record<string, string>>
}

/** The instances of a service, with Cloud Map's revision number when it gives one. */
export interface Discovery {
  /** The instances that matched the query, in the registry's order. */
  readonly instances: readonly RegisteredInstance[]
  /** Cloud Map's `InstancesRevision`: it changes when an instance is registered, deregistered or changed. */
  readonly revision?: number
}

/** Per-call options: a signal aborts the request (timeouts, remaining Lambda time). */
export interface RegistryCallOptions {
  /** Aborts the request. */
  readonly signal?: AbortSignal
  /**
   * Given by the resolver so that its `requestTimeoutMs` bounds the request on the wire, not
   * the client's setup before it. A registry whose client sets up before it sends (credentials,
   * endpoint rules, modules loaded on first use: `cloudMapRegistry` does) calls `onSetup` when
   * the call starts and `onSent` when the request is handed to the HTTP handler. A registry that
   * calls neither is timed from the call.
   */
  readonly onSetup?: () => void
  /** See `onSetup`. */
  readonly onSent?: () => void
  /**
   * The resolver's `awsClientCapture`: a registry sending with an SDK client it created applies
   * it (`cloudMapRegistry` does, in an invocation; an injected client is used as it is).
   */
  readonly awsClientCapture?: AwsClientCapture | undefined
}

/**
 * Where instances come from. `cloudMapRegistry()` talks to AWS Cloud Map;
 * `staticRegistry()` (from `@cloudmap-middy/core/testing`) serves a fixed table.
 *
 * A registry reports a missing namespace or service by throwing
 * `ServiceNotFoundError`; any other error is classified by the resolver
 * (transient errors are served stale, others are not).
 *
 * @example
 * ```ts
 * const registry: Registry = {
 *   discover: async (query) => ({ instances: [{ instanceId: 'a', attributes: { type: 'http', url: 'http://localhost:3000' } }] }),
 *   revision: async () => undefined,
 * }
 * ```
 */
export interface Registry {
  /**
   * The instances of one service (Cloud Map's DiscoverInstances).
   *
   * @throws {ServiceNotFoundError} when the namespace or the service does not exist.
   */
  discover(query: DiscoveryQuery, options?: RegistryCallOptions): Promise<Discovery>
  /** The service's current revision, or `undefined` when the registry has no revisions. */
  revision(query: DiscoveryQuery, options?: RegistryCallOptions): Promise<number | undefined>
}
