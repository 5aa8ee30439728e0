// Preloaded (`--import`) for a TypeScript handler where Node.js runs module hooks in the module's own
// thread (22.15 and later): the permission model allows no loader worker and no esbuild process, so
// types are stripped by Node.js itself (`stripTypeScriptTypes`, enums and namespaces transformed).
import { readFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { fileURLToPath } from 'node:url'

interface Hooks {
  registerHooks(hooks: {
    resolve(specifier: string, context: unknown, next: (specifier: string, context: unknown) => { url: string }): { url: string }
    load(
      url: string,
      context: unknown,
      next: (url: string, context: unknown) => unknown,
    ): { format: string; source: string; shortCircuit: true } | unknown
  }): void
  stripTypeScriptTypes(source: string, options: { mode: 'transform'; sourceUrl: string }): string
}
const { registerHooks, stripTypeScriptTypes } = nodeModule as unknown as Hooks

const TYPESCRIPT = /\.[cm]?ts$/

/** What TypeScript's own resolution tries for a relative specifier that is not there: `./x.js` is `./x.ts`, `./x` is `./x.ts` or `./x/index.ts`. */
function candidates(specifier: string): string[] {
  const js = /\.([cm]?)js$/.exec(specifier)
  if (js) return [`${specifier.slice(0, -js[0].length)}.${js[1]}ts`]
  return /\.[a-z]+$/i.test(specifier) ? [] : [`${specifier}.ts`, `${specifier}/index.ts`]
}

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context)
    } catch (error) {
      if (!/^\.{1,2}\//.test(specifier) && !specifier.startsWith('file:')) throw error
      for (const candidate of candidates(specifier)) {
        try {
          return next(candidate, context)
        } catch {}
      }
      throw error
    }
  },
  load(url, context, next) {
    if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return next(url, context)
    const source = stripTypeScriptTypes(readFileSync(fileURLToPath(url), 'utf8'), { mode: 'transform', sourceUrl: url })
    return { format: url.endsWith('.cts') ? 'commonjs' : 'module', source, shortCircuit: true }
  },
})
