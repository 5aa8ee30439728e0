import { MotoResources, type MotoServer, startMoto } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll } from '@jest/globals'
import type { Context } from 'aws-lambda'

/** The moto server of one test file: started before its tests, stopped by PID after them. */
export interface MotoFixture {
  readonly server: MotoServer
  readonly aws: MotoResources
}

/** Starts a fresh moto server for this test file (a reset per file) and stops it afterwards. */
export function useMoto(): MotoFixture {
  const fixture = {} as { server: MotoServer; aws: MotoResources }
  beforeAll(async () => {
    fixture.server = await startMoto()
    await fixture.server.reset()
    fixture.aws = new MotoResources(fixture.server.endpoint)
  }, 30_000)
  afterAll(async () => {
    await fixture.server?.stop()
  })
  return fixture
}

/** A Lambda context with the time left that a test wants; `services` stands for what the middleware adds. */
export function lambdaContext(remainingMs = 10_000): Context & { services: never } {
  const deadline = Date.now() + remainingMs
  return {
    functionName: 'integration',
    awsRequestId: 'req',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context & { services: never }
}

export const quietLogger = {
  warnings: [] as string[],
  warn(message: string) {
    this.warnings.push(message)
  },
}
