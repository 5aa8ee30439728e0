import { BlockList, isIP, isIPv4 } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import type { HostRules } from '../types/policy.js'

const HOST_LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?'
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`)

/** Lower case, without the brackets of an IPv6 literal or a final dot: the form rules and URLs are compared in. */
export function normalizeHost(host: string): string {
  const lower = host.toLowerCase()
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower
  return bare.endsWith('.') ? bare.slice(0, -1) : bare
}

/** True for a DNS host name (letters, digits, `_` and `-` in dot-separated labels), not an IP address. */
export function isHostName(text: string): boolean {
  return isIP(text) === 0 && HOST_NAME.test(normalizeHost(text))
}

function ipFamily(address: string): 'ipv4' | 'ipv6' | undefined {
  const family = isIP(address)
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined
}

/** The eight 16-bit groups of an IPv6 address (`isIPv6` true), a final dotted quad included. */
function ipv6Groups(address: string): number[] {
  const lastColon = address.lastIndexOf(':')
  const tail = address.slice(lastColon + 1)
  let text = address
  if (isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number]
    text = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)))
  const left = parse(head)
  const right = rest === undefined ? [] : parse(rest)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

// The IPv6 blocks that carry an IPv4 address in their last 32 bits, by their first six groups:
// IPv4-compatible (::/96), IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96) and
// NAT64 (64:ff9b::/96). A host reached through one is the IPv4 host.
const EMBEDDING_PREFIXES = ['0:0:0:0:0:0', '0:0:0:0:0:ffff', '0:0:0:0:ffff:0', '64:ff9b:0:0:0:0']

/** The IPv4 address embedded in an IPv6 one of the blocks above, as a dotted quad; otherwise the address as it is. */
function embeddedIPv4(address: string): string {
  if (ipFamily(address) !== 'ipv6') return address
  const groups = ipv6Groups(address)
  const prefix = groups.slice(0, 6).map((group) => group.toString(16))
  if (!EMBEDDING_PREFIXES.includes(prefix.join(':'))) return address
  const [high = 0, low = 0] = groups.slice(6)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

/**
 * Compiles `allowedHosts`.
 *
 * @throws {TypeError} naming the first entry that is neither a host name, `*.suffix`, an IP address nor a CIDR block.
 */
export function compileHostRules(list: readonly string[]): HostRules {
  if (!Array.isArray(list)) throw new TypeError('allowedHosts must be an array of host names, *.suffix patterns or CIDR blocks')
  const names = new Set<string>()
  const suffixes: string[] = []
  const addresses = new BlockList()
  for (const entry of list) {
    const bad = () =>
      new TypeError(`allowedHosts: ${JSON.stringify(entry)} is not a host name, a "*.suffix" pattern, an IP address or a CIDR block`)
    if (typeof entry !== 'string') throw bad()
    const rule = normalizeHost(entry.trim())
    const slash = rule.indexOf('/')
    if (slash !== -1) {
      const network = rule.slice(0, slash)
      const prefixText = rule.slice(slash + 1)
      const family = ipFamily(network)
      const prefix = Number(prefixText)
      if (!family || !/^\d{1,3}$/.test(prefixText) || prefix > (family === 'ipv4' ? 32 : 128)) throw bad()
      addresses.addSubnet(network, prefix, family)
    } else if (ipFamily(rule)) {
      addresses.addAddress(rule, ipFamily(rule))
    } else if (rule.startsWith('*.') && HOST_NAME.test(rule.slice(2))) {
      suffixes.push(rule.slice(1))
    } else if (HOST_NAME.test(rule)) {
      names.add(rule)
    } else throw bad()
  }
  return Object.freeze({ source: Object.freeze([...list]), names, suffixes: Object.freeze(suffixes), addresses })
}

/** Whether `host` (as a URL gives it: an IPv6 literal in brackets) is allowed by the rules. */
export function hostAllowed(rules: HostRules, host: string): boolean {
  const normal = normalizeHost(host)
  const family = ipFamily(normal)
  if (family) return rules.addresses.check(normal, family)
  return rules.names.has(normal) || rules.suffixes.some((suffix) => normal.endsWith(suffix))
}

// Link-local (IPv4 169.254/16, where the EC2 instance metadata service and the ECS task
// metadata endpoint answer, and IPv6 fe80::/10), the IPv6 instance metadata address, and
// the names that resolve to the metadata service inside EC2. An IPv6 address embedding an
// IPv4 one is checked as that IPv4 address (see embeddedIPv4). Built on first use: a module with no work at
// import, which a bundler drops from handlers that never check a host.
let alwaysRefusedAddresses: BlockList | undefined
const METADATA_NAMES = ['instance-data', 'instance-data.ec2.internal']

function refusedAddresses(): BlockList {
  if (!alwaysRefusedAddresses) {
    alwaysRefusedAddresses = new BlockList()
    alwaysRefusedAddresses.addSubnet('169.254.0.0', 16, 'ipv4')
    alwaysRefusedAddresses.addSubnet('fe80::', 10, 'ipv6')
    alwaysRefusedAddresses.addAddress('fd00:ec2::254', 'ipv6')
  }
  return alwaysRefusedAddresses
}

// The addresses that reach this machine: loopback (127/8, ::1) and "this host" (0/8 and ::,
// which Linux connects to the local host); IPv6 forms embedding one of the IPv4 ones are
// checked as IPv4 (see embeddedIPv4).
let thisMachineAddresses: BlockList | undefined

function thisMachine(): BlockList {
  if (!thisMachineAddresses) {
    thisMachineAddresses = new BlockList()
    thisMachineAddresses.addSubnet('127.0.0.0', 8, 'ipv4')
    thisMachineAddresses.addSubnet('0.0.0.0', 8, 'ipv4')
    thisMachineAddresses.addAddress('::1', 'ipv6')
    thisMachineAddresses.addAddress('::', 'ipv6')
  }
  return thisMachineAddresses
}

/** The addresses of this machine's own interfaces; none when the platform will not list them. */
function interfaceAddresses(): BlockList {
  const list = new BlockList()
  try {
    for (const address of Object.values(networkInterfaces()).flat()) {
      if (address) list.addAddress(address.address, address.family === 'IPv4' ? 'ipv4' : 'ipv6')
    }
  } catch {
    // A sandbox may refuse to list interfaces: loopback and "this host" are still refused.
  }
  return list
}

/**
 * True when `host` (normalised, an embedded IPv4 address taken out) names this machine: a
 * loopback or "this host" address in any spelling the URL parser accepts, an address of one
 * of its interfaces, `localhost`, a name under `.localhost` (which resolvers answer with
 * loopback, RFC 6761), or the machine's own host name (`os.hostname()`, which /etc/hosts maps
 * to this machine). No other name is resolved here.
 */
function isThisMachine(host: string): boolean {
  const family = ipFamily(host)
  if (!family) return host === 'localhost' || host.endsWith('.localhost') || host === normalizeHost(hostname())
  return thisMachine().check(host, family) || interfaceAddresses().check(host, family)
}

/** The same host: equal names, or equal addresses (`::ffff:a.b.c.d` equals `a.b.c.d`). */
function sameHost(a: string, b: string): boolean {
  const family = ipFamily(a)
  const other = ipFamily(b)
  if (!family || !other) return a === b
  const list = new BlockList()
  list.addAddress(a, family)
  return list.check(b, other)
}

/**
 * True when `host` and `port` reach the Lambda Runtime API at `runtimeApi` (`host:port`). The
 * Extensions and Telemetry APIs answer on the same address. `host` comes from a parsed URL,
 * so the numeric IPv4 forms (`2130706433`, `0x7f000001`, `127.1`) are already dotted
 * quads, and an embedded IPv4 address is taken out; when the Runtime API is on this machine,
 * every address of this machine, and the names `isThisMachine` lists, on its port are
 * refused, not only its own spelling.
 */
function isRuntimeApi(host: string, port: string, runtimeApi: string): boolean {
  if (!URL.canParse(`http://${runtimeApi}`)) return `${host}:${port}` === runtimeApi.toLowerCase()
  const api = new URL(`http://${runtimeApi}`)
  if ((api.port || '80') !== port) return false
  const apiHost = embeddedIPv4(normalizeHost(api.hostname))
  return sameHost(host, apiHost) || (isThisMachine(apiHost) && isThisMachine(host))
}

/**
 * Why a host is refused whatever `allowedHosts` says, or `undefined`. `host` is a URL's
 * hostname and `port` its port (the scheme's default port when the URL names none).
 * `runtimeApi` is the Lambda Runtime API's `host:port` (env `AWS_LAMBDA_RUNTIME_API`), which a
 * handler must never be pointed at, in any spelling of its address. Names are not resolved
 * here: only `localhost`, `*.localhost` and the machine's own host name are known to be this
 * machine; any other name is resolved when `fetch` connects, after this check, and
 * `allowedHosts` is what pins names.
 */
export function alwaysRefused(host: string, port: string, runtimeApi: string | undefined): string | undefined {
  const normal = embeddedIPv4(normalizeHost(host))
  const family = ipFamily(normal)
  if (family && refusedAddresses().check(normal, family)) return `${host} is a link-local or instance-metadata address`
  if (METADATA_NAMES.includes(normal)) return `${normal} is the instance-metadata service`
  if (runtimeApi !== undefined && runtimeApi !== '' && isRuntimeApi(normal, port, runtimeApi)) {
    return `${host}:${port} reaches the Lambda Runtime API (${runtimeApi}), where the Extensions API also answers`
  }
  return undefined
}
