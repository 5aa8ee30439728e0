/**
 * A fake wall clock: `Date.now()` returns the simulated time while installed.
 * Timers keep running on real time, so promises and the registry's latency still
 * work; only what the resolver reads as "now" (TTL, stale age, backoff) moves.
 */
export interface FakeClock {
  now: number
  restore(): void
}

export function installFakeClock(start = 1_700_000_000_000): FakeClock {
  const original = Date.now
  const clock: FakeClock = {
    now: start,
    restore() {
      Date.now = original
    },
  }
  Date.now = () => clock.now
  return clock
}
