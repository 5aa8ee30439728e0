// The pricing example on this machine: two pricing hosts on loopback, the template
// provisioned into moto with their addresses, and quotes asked while one host dies.
//   pnpm --filter @cloudmap-middy/example-pricing demo
// With DEMO_REPORT=<file>, the outcome is also written there as JSON (the CI test reads it).
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@cloudmap-middy/moto-harness'
import { type LocalApp, startLocalApp, type Trace } from '@cloudmap-middy/sam-local'

const started = performance.now()
const trace: Trace = (source, message) => {
  const at = `${Math.round(performance.now() - started)}`.padStart(6)
  console.log(`${at} ms  ${source.padEnd(12)} ${message.replace(/^cloudmap-middy: /, 'cloud map: ')}`)
}
const step = (title: string) => console.log(`\n── ${title}`)

/** A pricing host: answers GET /prices/{sku} with a price and its own name. */
async function pricingHost(name: string, served: Record<string, number>): Promise<{ port: number; server: Server }> {
  const port = await freePort()
  const server = createServer((request, response) => {
    const sku = decodeURIComponent((request.url ?? '').split('/').pop() ?? '')
    served[name] = (served[name] ?? 0) + 1
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ sku, amount: 19.99, currency: 'EUR', host: name }))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  trace(name, `listening on 127.0.0.1:${port}`)
  return { port, server }
}

async function quotes(app: LocalApp, count: number) {
  const results = { ok: 0, failed: 0, byHost: {} as Record<string, number> }
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${app.apiUrl}/quotes/sku-${i}`)
    const body = (await response.json()) as { host?: string; firstTried?: string }
    if (response.status === 200 && body.host) {
      results.ok += 1
      results.byHost[body.host] = (results.byHost[body.host] ?? 0) + 1
    } else results.failed += 1
  }
  trace('client', `${count} quotes: ${results.ok} ok, ${results.failed} failed, served by ${JSON.stringify(results.byHost)}`)
  return results
}

async function main(): Promise<number> {
  const served: Record<string, number> = {}
  step('start two pricing hosts')
  const a = await pricingHost('pricing-a', served)
  const b = await pricingHost('pricing-b', served)

  step('provision template.yaml into moto, registering the hosts by IP and port')
  const templatePath = join(dirname(fileURLToPath(import.meta.url)), '..', 'template.yaml')
  const app = await startLocalApp({
    templatePath,
    trace,
    parameters: { PricingHostA: '127.0.0.1', PricingPortA: String(a.port), PricingHostB: '127.0.0.1', PricingPortB: String(b.port) },
  })
  const stopAll = async () => {
    await app.stop()
    for (const host of [a, b]) host.server.closeAllConnections()
    await Promise.all([a, b].map((host) => new Promise((resolve) => host.server.close(resolve))))
  }
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)))

  try {
    step('20 quotes with both hosts up')
    const healthy = await quotes(app, 20)

    step('pricing-a dies (its registration stays: Cloud Map does not know yet)')
    a.server.closeAllConnections()
    await new Promise((resolve) => a.server.close(resolve))
    trace('pricing-a', 'stopped: connections are refused')

    step('20 quotes with pricing-a down: GETs fail over to pricing-b')
    const degraded = await quotes(app, 20)

    const outcome = { healthy, degraded, registered: app.registered }
    step('outcome')
    console.log(JSON.stringify(outcome, null, 2))
    if (process.env.DEMO_REPORT) writeFileSync(process.env.DEMO_REPORT, JSON.stringify(outcome))
    const ok = healthy.failed === 0 && degraded.failed === 0 && degraded.byHost['pricing-a'] === undefined
    console.log(ok ? '\ndemo: the scenario passed' : '\ndemo: the scenario FAILED')
    return ok ? 0 : 1
  } finally {
    step('stop')
    await stopAll()
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`demo failed: ${error.stack ?? error.message}`)
    process.exit(1)
  },
)
