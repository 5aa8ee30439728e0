// The local runner's Lambda environment on its own: what it reports of an environment's life.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { LambdaEnvironment } from '../src/index.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const echo = join(fixtures, 'echo')

describe('sam-local: LambdaEnvironment', () => {
  it.each([
    ['a TypeScript source', 'handler.ts'],
    ['a JavaScript bundle', 'handler.mjs'],
  ])(
    'It should run %s, reporting the end of init once, before the first invocation reaches the handler',
    async (_, file) => {
      const seen: string[] = []
      const environment = await LambdaEnvironment.start({
        entry: join(echo, file),
        exportName: 'handler',
        functionName: 'echo',
        arn: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
        timeoutMs: 30_000,
        env: { PATH: process.env.PATH ?? '' },
        log: () => undefined,
      })
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

  it("It should put each invocation's trace header in _X_AMZN_TRACE_ID, as the runtime interface client does, and none at init", async () => {
    const environment = await LambdaEnvironment.start({
      entry: join(fixtures, 'trace/handler.mjs'),
      exportName: 'handler',
      functionName: 'trace',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:trace',
      timeoutMs: 30_000,
      env: { PATH: process.env.PATH ?? '' },
      log: () => undefined,
    })
    try {
      const first = (await environment.invoke({})) as { atInit: string | null; inInvocation: string }
      const second = (await environment.invoke({})) as { inInvocation: string }

      expect(first.atInit).toBeNull()
      expect(first.inInvocation).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=0$/)
      expect(second.inInvocation).toMatch(/^Root=1-/)
      expect(second.inInvocation).not.toBe(first.inInvocation)
    } finally {
      await environment.stop()
    }
  }, 60_000)
})
