// The local runner's Lambda environment on its own: what it reports of an environment's life.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { type EnvironmentOptions, LambdaEnvironment } from '../src/index.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const echo = join(fixtures, 'echo')

/** An environment running the handler `entry` exports as `handler`, its function named `name`. */
const start = (entry: string, name: string, options: Partial<EnvironmentOptions> = {}) =>
  LambdaEnvironment.start({
    entry,
    exportName: 'handler',
    functionName: name,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    timeoutMs: 30_000,
    env: { PATH: process.env.PATH ?? '' },
    log: () => undefined,
    ...options,
  })

describe('sam-local: LambdaEnvironment', () => {
  it.each([
    ['a TypeScript source', 'handler.ts'],
    ['a JavaScript bundle', 'handler.mjs'],
  ])(
    'It should run %s, reporting the end of init once, before the first invocation reaches the handler',
    async (_, file) => {
      const seen: string[] = []
      const environment = await start(join(echo, file), 'echo')
      try {
        environment.on('init', () => seen.push('init'))
        seen.push(JSON.stringify(await environment.invoke({ n: 1 })))
        seen.push(JSON.stringify(await environment.invoke({ n: 2 })))
      } finally {
        await environment.stop()
      }

      expect(seen).toEqual(['init', '{"echo":{"n":1}}', '{"echo":{"n":2}}'])
    },
    60_000,
  )

  it.each([
    ['PassThrough', undefined, '0'],
    ['Active', 'Active' as const, '1'],
  ])(
    'It should hand each invocation its X-Ray trace as the runtime client does, in _X_AMZN_TRACE_ID (none at init), sampled only when tracing is %s',
    async (_, tracing, sampled) => {
      const environment = await start(join(fixtures, 'trace/handler.mjs'), 'trace', tracing ? { tracing } : {})
      const traces: string[] = []
      let atInit: string | null = ''
      try {
        for (let n = 0; n < 2; n++) {
          const seen = (await environment.invoke({})) as { atInit: string | null; trace: string }
          traces.push(seen.trace)
          atInit = seen.atInit
        }
      } finally {
        await environment.stop()
      }

      expect(atInit).toBeNull()

      // Lambda's form, which the X-Ray SDK requires whole ("missing required information" without Parent).
      for (const trace of traces)
        expect(trace).toMatch(new RegExp(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=${sampled}$`))
      expect(traces[0]).not.toBe(traces[1])
    },
    60_000,
  )
})
