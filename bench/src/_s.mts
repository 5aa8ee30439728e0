import { bundleHandler } from './lib/bundle.js'
import { build } from 'esbuild'
import { join } from 'node:path'
const r = await build({ entryPoints: [join(process.cwd(), 'fixtures/instance-handler.ts')], bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node20', external: ['@aws-sdk/*', '@opentelemetry/api'], write: false, metafile: true, nodePaths: [join(process.cwd(), 'node_modules')], absWorkingDir: join(process.cwd(), '..'), logLevel: 'silent' })
const out = Object.values(r.metafile.outputs)[0]
const rows = Object.entries(out.inputs).filter(([p]) => p.includes('packages/')).map(([p, v]) => [p.replace(/.*packages\//, ''), v.bytesInOutput]).sort((a, b) => b[1] - a[1])
let total = 0; for (const [, b] of rows) total += b
console.log('total', (total / 1024).toFixed(1))
for (const [p, b] of rows) console.log(String(b).padStart(6), p)
