/**
 * The Middy middleware of cloudmap-middy: `cloudMap({ services })` resolves a handler's
 * dependencies through Cloud Map and hands them over, typed, as `context.services`.
 *
 * @module @cloudmap-middy/middy
 */
export { type CloudMapContext, type CloudMapOptions, cloudMap } from './cloud-map.js'
