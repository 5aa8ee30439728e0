// What errors and logs may show of untrusted or secret text: never a credential, never a payload.

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/|\/\/|\\\\)[^/?#\\]*@/i
const MAX_SHOWN = 200

/**
 * A URL (or text meant to be one) as it may be shown: userinfo (`user:pass@`) replaced
 * by `***@`, and cut at 200 characters. Works on text that does not parse as a URL too,
 * as that is exactly what error messages quote.
 *
 * @example
 * ```ts
 * redactUrl('https://admin:s3cret@api.example.com/v1') // 'https://***@api.example.com/v1'
 * ```
 */
export function redactUrl(text: string): string {
  const redacted = String(text).replace(USERINFO, '$1***@')
  return redacted.length > MAX_SHOWN ? `${redacted.slice(0, MAX_SHOWN)}…` : redacted
}

/**
 * A URL (or a path) as it may be shown when its query may hold a secret: {@link redactUrl}
 * of the text before its query or fragment.
 *
 * @example
 * ```ts
 * redactUrlWithoutQuery('https://api.example.com/v1/orders?token=s3cret') // 'https://api.example.com/v1/orders'
 * ```
 */
export function redactUrlWithoutQuery(text: string): string {
  return redactUrl(String(text).split(/[?#]/, 1)[0] ?? '')
}

/**
 * Describes a value by its size instead of quoting it, for bodies and payloads that
 * may hold secrets: `1234 bytes`.
 */
export function describeSize(text: string): string {
  const bytes = Buffer.byteLength(text, 'utf8')
  return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`
}
