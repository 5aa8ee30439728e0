import { CallRefusedError } from '../errors.js'
import { isTransient } from '../transient.js'

/**
 * The rejection handler of one kind of call: an error the AWS service answered (the SDK marks it
 * with `$fault`) that is not transient becomes a `CallRefusedError` naming the dependency and
 * the target; anything else (throttling, network, an abort, our own errors) is rethrown as it is.
 *
 * @internal
 */
export function refused(address: string, service: string, operation: string, target: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof Error && (error as { $fault?: unknown }).$fault !== undefined && !isTransient(error)) {
      throw new CallRefusedError(address, service, operation, target, error)
    }
    throw error
  }
}
