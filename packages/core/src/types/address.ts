// An address in Cloud Map: where a dependency is registered.

/**
 * Where a dependency lives in Cloud Map.
 *
 * `instance` pins one instance id; `account` reads a namespace shared with this
 * account by another one (Cloud Map's `OwnerAccount`).
 */
export interface Address {
  /** The Cloud Map namespace name (`prod`, `example.com`). */
  readonly namespace: string
  /** The service name within the namespace (it may contain dots in the object form). */
  readonly service: string
  /** One instance id: the address then resolves to exactly that instance. */
  readonly instance?: string
  /** The 12-digit account that owns a namespace shared with this one (Cloud Map's `OwnerAccount`). */
  readonly account?: string
}

/** An address as text (`prod.scheduler->get-job`) or as an object. */
export type AddressInput = string | Address
