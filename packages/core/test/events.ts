// Waiting on the event itself, never on the wall clock: a test that sleeps N ms is flaky on a busy machine.
import { setImmediate as nextTurn } from 'node:timers/promises'

/** A promise and the function that resolves it: a mocked call waits on it until the test opens it. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/**
 * Resolves once `condition()` holds, checking it after each turn of the event loop (no timer); throws naming `what`
 * after `turns` turns, so a condition that never holds fails the test at once rather than at its timeout.
 */
export async function until(condition: () => boolean, what: string, turns = 1_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (condition()) return
    await nextTurn()
  }
  if (!condition()) throw new Error(`waited ${turns} turns of the event loop for ${what}`)
}

/** Resolves after `count` turns of the event loop (no timer): what was scheduled with setImmediate meanwhile has run. */
export async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await nextTurn()
}
