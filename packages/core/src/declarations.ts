// What a handler module declares as it loads, for tooling: `cloudmap-middy check` installs a
// recorder, the dependency factories and a framework's middleware report to it. A subpath of
// its own (`@cloudmap-middy/core/declarations`): a handler author never calls it.
// `BindContext` is here too: what a tool gives a declared dependency's `bind()`.

import type { AnyDependency } from './types/dependency.js'
import type { Resolver } from './types/resolver.js'

export type { BindContext } from './types/dependency.js'

/**
 * What a handler module declares as it loads, as the deploy-time check
 * (`cloudmap-middy check`) records it: each dependency (`lambda()`, `queue()`, ...), each
 * resolver created, and each set of services given to a middleware with the resolver that
 * will resolve them.
 */
export type Declaration =
  | {
      /** A dependency was declared. */
      readonly type: 'dependency'
      /** The dependency, as its factory returned it. */
      readonly dependency: AnyDependency
    }
  | {
      /** A resolver was created (`createResolver()`, the process-wide one included). */
      readonly type: 'resolver'
      /** The resolver: a dependency given to no middleware is checked against each one the module creates. */
      readonly resolver: Resolver
    }
  | {
      /** A set of services was handed to a middleware (`cloudMap()`). */
      readonly type: 'services'
      /** Who was given them, for messages: `cloudMap()`. */
      readonly by: string
      /** The services by name, as given. */
      readonly services: Readonly<Record<string, AnyDependency>>
      /** The resolver that will resolve them (its target policy is the one their targets must pass). */
      readonly resolver: Resolver
    }

/** Where the recorder is kept: one global slot, so every copy of this package in a process reports to it. */
const RECORDER = Symbol.for('cloudmap-middy.declarations')

type Recorder = (declaration: Declaration) => void

function recorder(): Recorder | undefined {
  const value = (globalThis as { [RECORDER]?: unknown })[RECORDER]
  return typeof value === 'function' ? (value as Recorder) : undefined
}

/**
 * True while a recorder is installed, i.e. while `cloudmap-middy check` loads a handler
 * module: a middleware then makes no Cloud Map call (it does not prefetch).
 *
 * @example
 * ```ts
 * if (!isRecordingDeclarations()) void services.prefetch(resolver)
 * ```
 */
export function isRecordingDeclarations(): boolean {
  return recorder() !== undefined
}

/**
 * Reports a declaration to the installed recorder, if any (none outside the check: then
 * it does nothing). Called by the dependency factories and by `cloudMap()`; a middleware of
 * another framework calls it with its services the same way.
 *
 * @example
 * ```ts
 * recordDeclaration({ type: 'services', by: 'myMiddleware()', services, resolver })
 * ```
 */
export function recordDeclaration(declaration: Declaration): void {
  recorder()?.(declaration)
}

/**
 * Installs `record` as the recorder of every declaration made in this process (by any copy
 * of this package), until the function it returns is called. For tools that load handler
 * modules to see what they declare, as the check does.
 *
 * @example
 * ```ts
 * const declarations: Declaration[] = []
 * const stop = recordDeclarations((declaration) => declarations.push(declaration))
 * await import('./handler.js')
 * stop()
 * ```
 */
export function recordDeclarations(record: (declaration: Declaration) => void): () => void {
  const slot = globalThis as { [RECORDER]?: unknown }
  const previous = slot[RECORDER]
  slot[RECORDER] = record
  return () => {
    if (slot[RECORDER] === record) slot[RECORDER] = previous
  }
}
