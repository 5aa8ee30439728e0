// The package as `require()` and CommonJS bundles get it (the "require" export condition):
// the same middleware without the top-level await of index.ts, which require() refuses
// (ERR_REQUIRE_ASYNC_MODULE) and esbuild cannot bundle to CommonJS. Without the Lambda
// extension, `after` awaits refreshes in flight, bounded, as before.
export { type CloudMapContext, type CloudMapOptions, cloudMap } from './cloud-map.js'
