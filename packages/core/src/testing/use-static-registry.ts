import { clearCache } from '../resolver/cache.js'
import { setDefaultRegistry } from '../resolver/resolver.js'
import { type StaticRegistry, type StaticTable, staticRegistry } from './static-registry.js'

/**
 * Makes the process read Cloud Map from a table in memory: every resolver without a
 * `registry`, `client` or `clientConfig` of its own — the process default that `cloudMap()`
 * uses, and the ones `cloudMap({ ttlMs })` creates, whenever they were created — reads from a
 * `staticRegistry(table)`, which is returned so a test can change it or count its calls.
 * The cache is cleared.
 *
 * Call it before the handler module is imported (with ESM, a dynamic `await import()` after
 * it, or a setup file): the module's prefetch and invocations then use it, with no network
 * and no credentials. Called after the process already asked Cloud Map through those
 * resolvers (a handler module imported first prefetches at once), it throws an error that
 * says so and how to fix it, rather than let the test pass on requests to Cloud Map it does
 * not know of. Calling it again swaps the table. Resolvers with a registry or client of their
 * own keep it; an `awsClientCapture` is not one (a handler traced with Powertools Tracer is
 * tested as deployed). Undo it with {@link restoreDefaultRegistry}.
 *
 * @throws {Error} when the process already asked Cloud Map through the process-wide registry.
 *
 * @example
 * ```ts
 * import { useStaticRegistry, restoreDefaultRegistry } from '@cloudmap-middy/core/testing'
 *
 * const registry = useStaticRegistry({
 *   'prod.scheduler': { 'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' } },
 * })
 * const { handler } = await import('../src/handlers/jobs-api.js') // as deployed
 * // ... invoke handler, mock the Lambda client with aws-sdk-client-mock ...
 * restoreDefaultRegistry()
 * ```
 */
export function useStaticRegistry(table: StaticTable = {}): StaticRegistry {
  const registry = staticRegistry(table)
  setDefaultRegistry(registry)
  clearCache()
  return registry
}

/**
 * Undoes {@link useStaticRegistry}: resolvers without a registry of their own read Cloud Map
 * again, and the cache is cleared.
 *
 * @example
 * ```ts
 * afterAll(() => restoreDefaultRegistry())
 * ```
 */
export function restoreDefaultRegistry(): void {
  setDefaultRegistry(undefined)
  clearCache()
}
