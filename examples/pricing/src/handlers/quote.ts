import { http } from '@cloudmap-middy/core'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { z } from 'zod'

const namespace = process.env.CLOUDMAP_NAMESPACE ?? 'dev-shop'

// The pricing hosts, as ECS or EC2 register them: AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT.
const pricing = http(`${namespace}.pricing`, { attributes: z.object({ zone: z.string() }), timeoutMs: 2_000 })

const Price = z.object({ sku: z.string(), amount: z.number(), currency: z.string(), host: z.string() })

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

/**
 * GET /quotes/{sku}: asks the pricing service. `fetch` starts at one discovered host and,
 * for a GET, moves on to the next one when a host refuses the connection, times out or
 * answers 5xx.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrorHandler())
  .use(cloudMap({ services: { pricing } }))
  .handler(async (event, context) => {
    const sku = event.pathParameters?.sku ?? ''
    const response = await context.services.pricing.fetch(`/prices/${encodeURIComponent(sku)}`)
    if (!response.ok) return json(502, { message: `pricing answered ${response.status}` })
    const price = Price.parse(await response.json())
    const first = context.services.pricing.instanceId
    if (price.host !== first) console.log(`${first} did not answer: ${sku} was priced by ${price.host}`)
    return json(200, { ...price, firstTried: context.services.pricing.instanceId })
  })
