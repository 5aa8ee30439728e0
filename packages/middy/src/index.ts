/**
 * The Middy middleware of cloudmap-middy: `cloudMap({ services })` resolves a handler's
 * dependencies through Cloud Map and hands them over, typed, as `context.services`.
 *
 * In Lambda, importing this module registers the library as an internal Lambda extension
 * (see `cloudMap()`); a `require()` of the package skips that and keeps the await.
 *
 * @module @cloudmap-middy/middy
 */
import { registerLambdaExtension } from '@cloudmap-middy/core/adapter'

export { type CloudMapContext, type CloudMapOptions, cloudMap } from './cloud-map.js'

// Lambda accepts an extension only before the runtime first asks for an invocation, which the
// Node.js runtime does right after `await import(handler)`: this await makes that import wait
// for the registration. Outside Lambda (no AWS_LAMBDA_RUNTIME_API) it awaits a settled promise.
await registerLambdaExtension()
