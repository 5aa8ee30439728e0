// DiscoverInstances at a Lambda init without the SDK. Importing @aws-sdk/client-servicediscovery
// and setting up its client is most of a cold start's wait for Cloud Map: the request itself is
// one signed JSON POST. At init, where Lambda gives the function its credentials in the
// environment and nothing traces, the registry sends that POST itself, so the request is on the
// wire while the call helpers' SDK modules load. Anything else (a configured client, another
// credential source, FIPS or dual-stack endpoints, another partition, a request in an
// invocation) goes through the SDK.
import { createHash, createHmac } from 'node:crypto'
import type { DiscoverInstancesRequest, DiscoverInstancesResponse } from '@aws-sdk/client-servicediscovery'
import { environmentEndpointUrl } from '../endpoints.js'
import { outsideInvocation } from '../tracing.js'
import type { DiscoveryQuery, RegistryCallOptions } from '../types/registry.js'

/** The regions of the `aws` partition, whose Cloud Map data plane is `data-servicediscovery.<region>.amazonaws.com`. */
const AWS_PARTITION_REGION = /^(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:central|(?:north|south)(?:east|west)?|east|west)-\d{1,2}$/
const TARGET = 'Route53AutoNaming_v20170314.DiscoverInstances'

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest()

/**
 * The headers of a DiscoverInstances POST of `body` to `/` on `host`, signed with Signature
 * Version 4 with the credentials in `env` (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`), as the SDK signs it.
 *
 * @internal
 */
export function signedHeaders(host: string, body: string, region: string, env: NodeJS.ProcessEnv, now: Date): Record<string, string> {
  const time = now.toISOString().replace(/[-:]|\.\d+/g, '')
  const day = time.slice(0, 8)
  // In the order Signature Version 4 lists them: by name.
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    host,
    'x-amz-date': time,
    ...(env.AWS_SESSION_TOKEN ? { 'x-amz-security-token': env.AWS_SESSION_TOKEN } : {}),
    'x-amz-target': TARGET,
  }
  const names = Object.keys(headers).join(';')
  const scope = `${day}/${region}/servicediscovery/aws4_request`
  const canonical = `POST\n/\n\n${Object.entries(headers)
    .map(([name, value]) => `${name}:${value.trim()}\n`)
    .join('')}\n${names}\n${sha256(body)}`
  let key: string | Buffer = `AWS4${env.AWS_SECRET_ACCESS_KEY}`
  for (const part of scope.split('/')) key = hmac(key, part)
  const signature = hmac(key, `AWS4-HMAC-SHA256\n${time}\n${scope}\n${sha256(canonical)}`).toString('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${env.AWS_ACCESS_KEY_ID}/${scope}, SignedHeaders=${names}, Signature=${signature}`
  return headers
}

/**
 * The DiscoverInstances request for `query`, as the SDK's command takes it and as its JSON body
 * carries it (members left `undefined` are not sent).
 *
 * @internal
 */
export function discoverInput(query: DiscoveryQuery): DiscoverInstancesRequest {
  return {
    NamespaceName: query.namespace,
    ServiceName: query.service,
    HealthStatus: query.healthStatus,
    QueryParameters: query.queryParameters,
    OptionalParameters: query.optionalParameters,
    MaxResults: query.maxResults,
    OwnerAccount: query.account,
  }
}

/**
 * Where the SDK's default client would send DiscoverInstances in the environment `env`, when it
 * would sign with the credentials in it and nothing else steers it; else `undefined`.
 *
 * @internal
 */
export function directEndpoint(env: NodeJS.ProcessEnv): URL | undefined {
  const region = env.AWS_REGION
  const flag = (name: string) => ['true', '1'].includes(env[name] ?? '')
  // The SDK's credential chain reads the environment first, unless AWS_PROFILE names a profile.
  if (!region || !env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY || env.AWS_PROFILE) return undefined
  if (flag('AWS_USE_FIPS_ENDPOINT') || flag('AWS_USE_DUALSTACK_ENDPOINT') || flag('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS')) return undefined
  // A custom endpoint (moto, a VPC endpoint) is used as the SDK uses it with `disableHostPrefix`.
  const custom = environmentEndpointUrl('SERVICEDISCOVERY', false, env)
  if (custom === undefined)
    return AWS_PARTITION_REGION.test(region) ? new URL(`https://data-servicediscovery.${region}.amazonaws.com/`) : undefined
  const url = URL.canParse(custom) ? new URL(custom) : undefined
  return url && /^https?:$/.test(url.protocol) && url.pathname === '/' && !url.search && !url.username && !url.password ? url : undefined
}

/**
 * Sends DiscoverInstances for `query` without the SDK, when this is a Lambda init (outside an
 * invocation) and the SDK's default client would sign with the environment's credentials;
 * `undefined` otherwise. Rejects with an error shaped as the SDK's (`name` the error type,
 * `$metadata.httpStatusCode`, which `isTransient` reads) for an error answer, or with the network's error.
 *
 * @internal
 */
export function discoverDirect(query: DiscoveryQuery, options: RegistryCallOptions): Promise<DiscoverInstancesResponse> | undefined {
  const env = process.env
  const url = outsideInvocation() ? directEndpoint(env) : undefined
  if (!url) return undefined
  const body = JSON.stringify(discoverInput(query))
  const headers = signedHeaders(url.host, body, env.AWS_REGION as string, env, new Date())
  options.onSetup?.()
  return (url.protocol === 'https:' ? import('node:https') : import('node:http')).then(
    ({ request }) =>
      new Promise((resolve, reject) => {
        const sent = request(
          url,
          {
            method: 'POST',
            // Not traced: there is no trace at init (a patched https.request hands this one straight to Node.js).
            headers: { ...headers, 'content-length': Buffer.byteLength(body), 'X-Amzn-Trace-Id': 'Sampled=0' },
            agent: false,
            ...(options.signal ? { signal: options.signal } : {}),
          },
          (response) => {
            const chunks: Buffer[] = []
            response.on('data', (chunk: Buffer) => chunks.push(chunk))
            response.on('error', reject)
            response.on('end', () => {
              const status = response.statusCode ?? 0
              let answer: { Instances?: unknown; __type?: unknown; message?: unknown; Message?: unknown } | undefined
              try {
                answer = JSON.parse(Buffer.concat(chunks).toString('utf8'))
              } catch {}
              if (status === 200 && answer && (answer.Instances === undefined || Array.isArray(answer.Instances)))
                return resolve(answer as DiscoverInstancesResponse)
              // An error answer of the JSON protocol: `__type` ("prefix#Name:details" at most) or the header.
              const type = String(answer?.__type ?? response.headers['x-amzn-errortype'] ?? '')
                .split(':')[0]
                ?.split('#')
                .pop()
              reject(
                Object.assign(new Error(String(answer?.message ?? answer?.Message ?? `Cloud Map answered HTTP ${status}`)), {
                  name: type || `Http${status}`,
                  $metadata: { httpStatusCode: status },
                }),
              )
            })
          },
        )
        sent.on('error', reject)
        sent.end(body)
        options.onSent?.()
      }),
  )
}
