import type { Logger } from '@cloudmap-middy/core'

/** A logger that counts warnings instead of printing them (stale serving warns on purpose). */
export function countingLogger(): Logger & { readonly warnings: () => number } {
  let warnings = 0
  return {
    warn: () => {
      warnings += 1
    },
    warnings: () => warnings,
  }
}
