import { type CallEvent, callChannel } from '../channels.js'
import { tagPeer } from '../otel.js'
import type { Address } from '../types/address.js'
import type { Kind } from '../types/kinds.js'

/**
 * Who a bound instance calls: its address (the peer's namespace and service) and its kind.
 *
 * @internal
 */
export interface CallPeer {
  readonly label: string
  readonly address: Address
  readonly kind: Kind
}

/** `InvokeCommand` -> `Invoke`: the operation, as the SDK instrumentation names it. */
function operationOf(command: unknown): string {
  const name = (command as { constructor?: { name?: string } })?.constructor?.name ?? ''
  return name.endsWith('Command') ? name.slice(0, -'Command'.length) : name
}

/**
 * Sends `command` as the kinds' calls all do: with OpenTelemetry registered, the peer's
 * `service.peer.namespace` and `service.peer.name` go on the span the AWS SDK instrumentation
 * makes for the request (no span of its own); with a subscriber on `cloudmap-middy:call`, the
 * outcome is published. Neither costs more than a check otherwise.
 *
 * @internal
 */
export function sendObserved<C, T>(peer: CallPeer, command: C, send: (command: C) => Promise<T>): Promise<T> {
  const { namespace, service } = peer.address
  const tagged = tagPeer(command, namespace, service)
  // Always a promise: a stand-in client may answer or throw synchronously (aws-sdk-client-mock's
  // `callsFake(input => ({ ... }))`, as its documentation writes it), and the kinds chain `.catch`.
  const sending = tagged instanceof Promise ? tagged.then(send) : new Promise<T>((resolve) => resolve(send(tagged)))
  if (!callChannel.hasSubscribers) return sending
  const started = performance.now()
  const publish = (outcome: CallEvent['outcome'], error?: unknown) => {
    if (!callChannel.hasSubscribers) return
    const durationMs = Math.round(performance.now() - started)
    const { label, kind } = peer
    const event: CallEvent = { address: label, namespace, service, kind, operation: operationOf(command), outcome, durationMs }
    callChannel.publish(error === undefined ? event : { ...event, error })
  }
  return sending.then(
    (output) => {
      publish('ok')
      return output
    },
    (error: unknown) => {
      publish('error', error)
      throw error
    },
  )
}

/** An SDK client, as far as sending goes. */
interface Sending {
  send(command: unknown, ...options: unknown[]): Promise<unknown>
}

/**
 * The client a bound instance sends with: `client` itself for everything but `send`, which goes
 * through {@link sendObserved}.
 *
 * @internal
 */
export function observedClient<Client>(client: Client, peer: CallPeer): Client {
  const target = client as Client & Sending
  if (typeof target.send !== 'function') return client
  const observed = Object.create(target) as Client & Sending
  observed.send = (command, ...options) => sendObserved(peer, command, (tagged) => target.send(tagged, ...options))
  return observed
}
