// The local runner's Lambda environment on its own: what it reports of an environment's life.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { LambdaEnvironment } from '../src/index.js'

const echo = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/echo')

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
})
