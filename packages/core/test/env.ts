/**
 * Runs `run` with the environment variables `vars` set (an `undefined` value unsets one), and
 * puts every one of them back as it was once `run` has finished, whether it returned or threw.
 * Awaits `run`, so the variables hold for the whole of an async body.
 */
export async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, run: () => T | Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]))
  const apply = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
  apply(vars)
  try {
    return await run()
  } finally {
    apply(before)
  }
}
