/**
 * Cloud Map without Cloud Map, for tests: `staticRegistry(table)` for a resolver of your
 * own, `useStaticRegistry(table)` to test a handler module as it is deployed, and `clearCache()` to
 * start each test with empty caches.
 *
 * @module @cloudmap-middy/core/testing
 */
export { clearCache } from '../resolver/cache.js'
export { type StaticRegistry, type StaticTable, staticRegistry } from './static-registry.js'
export { restoreDefaultRegistry, useStaticRegistry } from './use-static-registry.js'
