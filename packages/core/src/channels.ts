// The library's node:diagnostics_channel channels: created once at module load, published to only
// when `hasSubscribers` (no payload is built for nobody).
import { channel } from 'node:diagnostics_channel'

/**
 * The `node:diagnostics_channel` channels the library publishes on, by name. Subscribe with
 * `subscribe(CHANNELS.discoveryEnd, listener)` from `node:diagnostics_channel`: no option to set,
 * and nothing is built or published while nobody listens. The payloads are
 * {@link DiscoveryStartEvent}, {@link DiscoveryEndEvent}, {@link DiscoveryErrorEvent},
 * {@link RefreshEvent}, {@link StaleEvent}, {@link InstanceDroppedEvent} and {@link CallEvent}.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel'
 * import { CHANNELS, type DiscoveryEndEvent } from '@cloudmap-middy/core'
 *
 * subscribe(CHANNELS.discoveryEnd, (message) => {
 *   const { address, durationMs, instances } = message as DiscoveryEndEvent
 *   console.log(`${address}: ${instances} instances in ${durationMs} ms`)
 * })
 * ```
 */
export const CHANNELS = {
  /** A DiscoverInstances request starts: {@link DiscoveryStartEvent}. */
  discoveryStart: 'cloudmap-middy:discovery:start',
  /** A DiscoverInstances request answered: {@link DiscoveryEndEvent}. */
  discoveryEnd: 'cloudmap-middy:discovery:end',
  /** A DiscoverInstances request failed (a not-registered answer included): {@link DiscoveryErrorEvent}. */
  discoveryError: 'cloudmap-middy:discovery:error',
  /** A refresh attempt of a cache entry ended, whatever its outcome: {@link RefreshEvent}. */
  refresh: 'cloudmap-middy:refresh',
  /** A dependency was served an answer older than its TTL: {@link StaleEvent}. */
  stale: 'cloudmap-middy:stale',
  /** An instance was dropped from an answer (invalid attributes, wrong type, refused target): {@link InstanceDroppedEvent}. */
  instanceDropped: 'cloudmap-middy:instance:dropped',
  /** A call helper's SDK request ended (`send`, `publish`, `request`, ...): {@link CallEvent}. */
  call: 'cloudmap-middy:call',
} as const

/**
 * Why a cache entry is asked of Cloud Map: nothing cached (`miss`), expired and not servable
 * (`expired`), served stale while it revalidates (`stale`), or a call found its target gone (`gone`).
 */
export type RefreshReason = 'miss' | 'expired' | 'stale' | 'gone'

/** Payload of `cloudmap-middy:discovery:start`. */
export interface DiscoveryStartEvent {
  /** `namespace.service`, as the cache asks for it (a pinned instance is picked from the service's answer). */
  readonly address: string
  /** The Cloud Map namespace. */
  readonly namespace: string
  /** The Cloud Map service. */
  readonly service: string
  /** Why it is asked: nothing cached, expired, or served stale while it revalidates. */
  readonly reason: RefreshReason
}

/** Payload of `cloudmap-middy:discovery:end`. */
export interface DiscoveryEndEvent extends DiscoveryStartEvent {
  /** How long the request took, in milliseconds. */
  readonly durationMs: number
  /** How many instances Cloud Map answered. */
  readonly instances: number
}

/** Payload of `cloudmap-middy:discovery:error`. */
export interface DiscoveryErrorEvent extends DiscoveryStartEvent {
  /** How long the request took until it failed, in milliseconds. */
  readonly durationMs: number
  /** What the request threw (`ServiceNotFoundError` when nothing is registered there). */
  readonly error: unknown
  /** Throttling, network, 5xx or timeout: served stale or retried. */
  readonly transient: boolean
  /** Cloud Map throttled the request. */
  readonly throttled: boolean
}

/** Payload of `cloudmap-middy:refresh`: one attempt to refresh a cache entry (a revision check, a DiscoverInstances, or both). */
export interface RefreshEvent extends DiscoveryStartEvent {
  /** The entry's attempt: 1, then one more per consecutive failure. */
  readonly attempt: number
  /** `changed`: a new answer; `unchanged`: the revision was the same; `not-registered`; `failed`. */
  readonly outcome: 'changed' | 'unchanged' | 'not-registered' | 'failed'
  /** How long the attempt took, in milliseconds. */
  readonly durationMs: number
  /** The failure, when `outcome` is `failed` or `not-registered`. */
  readonly error?: unknown
}

/** Payload of `cloudmap-middy:stale`. */
export interface StaleEvent {
  /** The dependency's address. */
  readonly address: string
  /** How old the answer served is, in milliseconds. */
  readonly ageMs: number
  /** `revalidating`: a refresh runs or starts now; `refresh-failed`: the last refresh failed and backoff holds the next one. */
  readonly reason: 'revalidating' | 'refresh-failed'
}

/** Payload of `cloudmap-middy:instance:dropped`. */
export interface InstanceDroppedEvent {
  /** The dependency's address. */
  readonly address: string
  /** The dropped instance's id. */
  readonly instanceId: string
  /** Why it was dropped (`AttributeValidationError`, `InstanceTypeMismatchError`, `DisallowedTargetError`, ...). */
  readonly error: Error
}

/** Payload of `cloudmap-middy:call`. */
export interface CallEvent {
  /** The dependency's address. */
  readonly address: string
  /** The Cloud Map namespace of the dependency. */
  readonly namespace: string
  /** The Cloud Map service of the dependency. */
  readonly service: string
  /** The dependency's kind (`lambda`, `queue`, `topic`, `stateMachine`, `eventBus`). */
  readonly kind: string
  /** The SDK operation (`Invoke`, `SendMessage`, `PublishBatch`, ...). */
  readonly operation: string
  /** `ok`: the SDK answered; `error`: the request threw. */
  readonly outcome: 'ok' | 'error'
  /** How long the request took, in milliseconds. */
  readonly durationMs: number
  /** What the request threw, when `outcome` is `error`. */
  readonly error?: unknown
}

/** @internal */
export const discoveryStartChannel = /* @__PURE__ */ channel(CHANNELS.discoveryStart)
/** @internal */
export const discoveryEndChannel = /* @__PURE__ */ channel(CHANNELS.discoveryEnd)
/** @internal */
export const discoveryErrorChannel = /* @__PURE__ */ channel(CHANNELS.discoveryError)
/** @internal */
export const refreshChannel = /* @__PURE__ */ channel(CHANNELS.refresh)
/** @internal */
export const staleChannel = /* @__PURE__ */ channel(CHANNELS.stale)
/** @internal */
export const instanceDroppedChannel = /* @__PURE__ */ channel(CHANNELS.instanceDropped)
/** @internal */
export const callChannel = /* @__PURE__ */ channel(CHANNELS.call)
