// The local runner's Lambda emulation with the library's extension: a TTL-expiry invocation's
// response does not wait for its Cloud Map refresh, and the process freezes only once the
// refresh has completed, with no request half-sent.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type GateProxy, startGateProxy } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { LambdaEnvironment, type LocalApp, startLocalApp } from '../src/index.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/refresh/template.yaml')
const handler = join(dirname(fixture), 'handler.ts')
const isDiscovery = (target: string | string[] | undefined) => String(target).endsWith('.DiscoverInstances')

let proxy: GateProxy
let app: LocalApp
let holding = false
let answered = false
/** For each refresh request held: whether the invocation's answer had come back before it arrived. */
const afterAnswer: boolean[] = []
const lines: string[] = []

beforeAll(async () => {
  proxy = await startGateProxy(undefined, {
    hold: (request) => {
      const held = holding && isDiscovery(request.headers['x-amz-target'])
      if (held) afterAnswer.push(answered)
      return held
    },
  })
  app = await startLocalApp({
    templatePath: fixture,
    parameters: { CloudMapEndpoint: proxy.endpoint },
    trace: (source, message) => lines.push(`${source}: ${message}`),
  })
  proxy.setTarget(app.moto.endpoint)
}, 120_000)

afterAll(async () => {
  await app?.stop()
  await proxy?.close()
})

describe('sam-local: a function in its Lambda environment, with the library as an extension', () => {
  it('It should answer a TTL-expiry invocation before its refresh starts, and freeze only after the refresh, with no request open', async () => {
    const fn = app.functions.get('ReadFunction')
    if (!fn) throw new Error('no ReadFunction')
    const { environment } = fn
    const frozen = () => new Promise<void>((resolve) => (environment.frozen ? resolve() : environment.once('freeze', () => resolve())))
    expect(await fn.invoke({})).toEqual({ table: 'settings-table' })
    await frozen()
    holding = true

    // The entry has expired (TTL 1 ms): served stale, refreshed through the proxy, which holds the request.
    const answer = await fn.invoke({}).then((value) => {
      answered = true
      return value
    })
    // The refresh cannot complete before release(): the answer came before it.
    await proxy.holding()
    const heldAfterAnswer = proxy.held
    const frozenWhileHeld = environment.frozen
    let openAtFreeze = -1
    environment.once('freeze', () => {
      openAtFreeze = proxy.open
    })
    proxy.release()
    await frozen()

    expect(answer).toEqual({ table: 'settings-table' })
    expect(heldAfterAnswer).toBe(1)
    // The refresh starts once the response is posted: its request reaches Cloud Map after the answer.
    expect(afterAnswer).toEqual([true])
    expect(frozenWhileHeld).toBe(false)
    expect(openAtFreeze).toBe(0)
    expect(environment.extensions).toEqual(['cloudmap-middy'])
    expect(lines).toContain('read-settings: extension cloudmap-middy registered (INVOKE)')
  }, 60_000)

  it('It should not freeze an environment before its first invocation while the prefetch of its init is in flight', async () => {
    const atInit = await startGateProxy(app.moto.endpoint, { hold: (request) => isDiscovery(request.headers['x-amz-target']) })
    const environment = await LambdaEnvironment.start({
      entry: handler,
      exportName: 'handler',
      functionName: 'read-settings-ahead',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:read-settings-ahead',
      timeoutMs: 10_000,
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SERVICEDISCOVERY: atInit.endpoint,
      },
      log: () => undefined,
    })
    try {
      const initDone = new Promise<void>((resolve) => environment.once('init', () => resolve()))
      // The prefetch's request is held at the proxy, and the runtime has asked for its first invocation.
      await atInit.holding()
      await initDone
      const frozenWhileHeld = environment.frozen
      let openAtFreeze = -1
      const frozen = new Promise<void>((resolve) =>
        environment.once('freeze', () => {
          openAtFreeze = atInit.open
          resolve()
        }),
      )
      atInit.release()
      await frozen

      expect(frozenWhileHeld).toBe(false)
      expect(openAtFreeze).toBe(0)
      expect(await environment.invoke({})).toEqual({ table: 'settings-table' })
    } finally {
      await environment.stop()
      await atInit.close()
    }
  }, 60_000)
})
