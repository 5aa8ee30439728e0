// Preloaded (`--import`) into the process a handler module is checked in, before the module: every
// way out to the network fails at once, in this process, whatever the OS grants. Each replaced
// function is defined read-only and non-configurable, so the module cannot put the original back.
import dgram from 'node:dgram'
import dns from 'node:dns'
import http2 from 'node:http2'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'
import tls from 'node:tls'

const NO_NETWORK = 'cloudmap-middy check: no network while a handler module is checked'

/** The error every refused call gets, as a closed port would give it. */
function refusal(): Error {
  return Object.assign(new Error(NO_NETWORK), { code: 'ECONNREFUSED' })
}

/** Replaces `object[key]` by `value`, for good. */
function seal(object: object, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: false, configurable: false, enumerable: false })
}

/** A function that throws the refusal. */
const thrower = () =>
  function refused(): never {
    throw refusal()
  }

// TCP, TLS (its sockets are net.Sockets), HTTP/1 and HTTP/2 (they connect through net and tls),
// undici's fetch (the same): a connection attempt destroys its socket with the refusal.
seal(net.Socket.prototype, 'connect', function refuse(this: net.Socket) {
  process.nextTick(() => this.destroy(refusal()))
  return this
})
// No listener either: nothing may reach the module from outside.
seal(net.Server.prototype, 'listen', thrower())
for (const key of ['connect', 'createConnection'] as const) seal(net, key, thrower())
seal(tls, 'connect', thrower())
seal(http2, 'connect', thrower())
// UDP.
for (const key of ['bind', 'send', 'connect'] as const) seal(dgram.Socket.prototype, key, thrower())
seal(dgram, 'createSocket', thrower())
// DNS: lookups and every resolver, callback and promise forms.
for (const target of [dns, dns.promises, dns.Resolver.prototype, dns.promises.Resolver.prototype]) {
  for (const key of Object.getOwnPropertyNames(target)) {
    if (/^(lookup|resolve|reverse|setServers)/.test(key) && typeof (target as Record<string, unknown>)[key] === 'function') {
      const promise = target === dns.promises || target === dns.promises.Resolver.prototype
      seal(
        target,
        key,
        promise
          ? () => Promise.reject(refusal())
          : (...args: unknown[]) => {
              const callback = args.at(-1)
              if (typeof callback !== 'function') throw refusal()
              process.nextTick(() => callback(refusal()))
              return undefined
            },
      )
    }
  }
}
// The web APIs that open connections of their own.
for (const key of ['fetch', 'WebSocket', 'EventSource']) {
  if (key in globalThis) seal(globalThis, key, thrower())
}
// What reaches the sockets under the modules above (also denied by the permission model), and other
// processes (a signal to the check's own process).
seal(process, 'binding', thrower())
seal(process, 'dlopen', thrower())
// process.kill calls process._kill (the binding itself) at each call: both are sealed, so a signal
// reaches no other process (a SIGSTOP to the check would stop its timeout; SIGKILL, end it).
const toOther = () => Object.assign(new Error('cloudmap-middy check: no signal to another process'), { code: 'EPERM' })
const raw = process as unknown as { _kill: (pid: number, signal: number) => number }
const rawKill = raw._kill.bind(process)
seal(process, '_kill', (pid: number, signal: number) => {
  if (pid !== process.pid) throw toOther()
  return rawKill(pid, signal)
})
const kill = process.kill.bind(process)
seal(process, 'kill', (pid: number, signal?: string | number) => {
  if (pid !== process.pid) throw toOther()
  return kill(pid, signal)
})
// `import { connect } from 'node:net'` reads the patched functions too.
syncBuiltinESMExports()
