#!/usr/bin/env node
// The `cloudmap-middy` command: `cloudmap-middy check <template> [options]` (see the package README).
let cli
try {
  cli = await import('../dist/cli.js')
} catch (error) {
  // In a clone of the repository before its build: say so, rather than a module-resolution stack.
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('cli.js')) {
    process.stderr.write('cloudmap-middy: @cloudmap-middy/check is not built (dist/cli.js is missing): run `pnpm build` first\n')
    process.exit(2)
  }
  throw error
}
process.exitCode = await cli.main(process.argv.slice(2))
