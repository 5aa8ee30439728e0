/**
 * The endpoint URL the AWS SDK takes from the environment for a service: env
 * `AWS_ENDPOINT_URL_<SERVICE>` (`AWS_ENDPOINT_URL_SQS`), else `AWS_ENDPOINT_URL`; an empty
 * value counts as unset. With `honourIgnore`, none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
 * is `true` or `1`, as the SDK reads it. `env`: the environment to read, `process.env` by default.
 *
 * @internal
 */
export function environmentEndpointUrl(service: string, honourIgnore: boolean, env = process.env): string | undefined {
  if (honourIgnore && ['true', '1'].includes(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined
}

/**
 * The origin (`http://127.0.0.1:5000`) of the endpoint the SDK takes from the environment for
 * a service (see {@link environmentEndpointUrl}, `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
 * honoured), or `undefined` when there is none or it is not a URL.
 *
 * @internal
 */
export function environmentEndpoint(service: string): string | undefined {
  return originOf(environmentEndpointUrl(service, true))
}

/**
 * The origin of an endpoint: a URL text, a URL, an `Endpoint` (`protocol`, `hostname`,
 * `port`) or an `EndpointV2` (`url`); `undefined` for anything else.
 *
 * @internal
 */
export function originOf(endpoint: unknown): string | undefined {
  if (typeof endpoint === 'string') return URL.canParse(endpoint) ? new URL(endpoint).origin : undefined
  if (endpoint instanceof URL) return endpoint.origin
  if (typeof endpoint !== 'object' || endpoint === null) return undefined
  const { url, protocol, hostname, port } = endpoint as { url?: unknown; protocol?: unknown; hostname?: unknown; port?: unknown }
  if (url instanceof URL) return url.origin
  if (typeof protocol !== 'string' || typeof hostname !== 'string') return undefined
  const text = `${protocol.endsWith(':') ? protocol : `${protocol}:`}//${hostname}${port === undefined ? '' : `:${port}`}`
  return URL.canParse(text) ? new URL(text).origin : undefined
}
