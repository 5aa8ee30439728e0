#!/usr/bin/env node
// The `cloudmap-middy` command: `cloudmap-middy check <template> [options]` (see the package README).
import { main } from '../dist/cli.js'

process.exitCode = await main(process.argv.slice(2))
