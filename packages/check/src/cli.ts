// `cloudmap-middy check <template> …`: parses the command line, runs the check, prints the
// report (text, or JSON with --json) and answers the exit code: 0 all good, 1 a ✗, 2 bad usage.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { check } from './check.js'
import { IsolationError } from './isolation.js'
import { TemplateError } from './model.js'
import { formatJson, formatReport, printable } from './report.js'

const USAGE = `Usage: cloudmap-middy check <template> [options]

Proves before a deploy that every dependency each function's handler declares is registered
in the template, of the type its kind needs, valid for its attributes schema, inside its
target policy, and permitted by the function's role.

  <template>                 a SAM template.yaml, a template the CDK synthesized (cdk.out/*.template.json),
                             or the one sls package wrote (.serverless/cloudformation-template-update-stack.json)
  --param Name=Value         a template parameter (repeat); also AWS::Region, AWS::AccountId
  --handler Function=path    the handler module of a function (logical id or FunctionName),
                             optionally path#export; needed for CDK functions (repeat)
  --skip Function            do not check this function (repeat)
  --calls [Function/]name=call[,call]
                             the calls a dependency (by its name in cloudMap's services) is
                             checked for, instead of its kind's defaults: jobs=receive (repeat)
  --live                     also resolve every dependency against Cloud Map now
                             (the AWS environment is used: AWS_REGION, AWS_ENDPOINT_URL, credentials)
  --json                     print the report as JSON
  --timeout-ms N             how long a handler module may take to load (default 30000); then its
                             process group gets SIGTERM, and SIGKILL one second later
  --require-isolation        load no handler module unless every isolation layer applies
                             (permission model, socket guard, network namespace): exit 2 naming
                             the missing one
  -h, --help                 this text

Exit code: 0 when every check passes, 1 when one fails, 2 when the check cannot run (bad usage,
a template it cannot read). Region and account: --param AWS::Region / AWS::AccountId, else
AWS_REGION (or us-east-1) and 123456789012. Colour only on a terminal, never with NO_COLOR set,
always with FORCE_COLOR (not 0). --version prints the version.`

/** `Name=Value` pairs into a record; a pair without `=` is a usage error. */
function pairs(option: string, values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const value of values ?? []) {
    const cut = value.indexOf('=')
    if (cut <= 0) throw new TemplateError(`${option} ${value}: expected Name=Value`)
    out[value.slice(0, cut)] = value.slice(cut + 1)
  }
  return out
}

/** `--calls [Function/]name=call,call` into a record by key. */
function callLists(values: readonly string[] | undefined): Record<string, readonly string[]> {
  return Object.fromEntries(
    Object.entries(pairs('--calls', values)).map(([key, list]) => {
      const calls = list.split(',').map((call) => call.trim())
      if (calls.some((call) => call === '')) throw new TemplateError(`--calls ${key}=${list}: expected call names separated by commas`)
      return [key, calls]
    }),
  )
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Should the report be coloured? Only on a terminal, never with `NO_COLOR`, always with `FORCE_COLOR` (not `0`). */
function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR !== undefined) return process.env.FORCE_COLOR !== '0'
  return stream.isTTY === true
}

/**
 * The command line: `cloudmap-middy check <template> [--param Name=Value]… [--handler Fn=path]…
 * [--skip Fn]… [--json] [--live]`. Prints the report and resolves to the exit code: 0 when
 * every check passes, 1 when one fails, 2 for bad usage or a template that cannot be read.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['check', 'template.yaml', '--param', 'Stage=prod'])
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    // parseArgs says how to pass a value that looks like an option: the first sentence is the point.
    const message = (error as Error).message.split(/\. (?=To specify)/)[0] ?? ''
    process.stderr.write(`cloudmap-middy: ${printable(message)} (see cloudmap-middy --help)\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`)
    return 0
  }
  const [command, template, ...rest] = positionals
  if (command !== 'check' || template === undefined || rest.length > 0) {
    const problem =
      command === undefined
        ? 'no command'
        : command !== 'check'
          ? `unknown command "${command}"`
          : template === undefined
            ? 'no template'
            : `unexpected ${rest.join(' ')}`
    process.stderr.write(`cloudmap-middy: ${printable(problem)} (see cloudmap-middy --help)\n`)
    return 2
  }
  try {
    const timeoutMs = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms'])
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
      throw new TemplateError(`--timeout-ms ${values['timeout-ms']}: expected a whole number of milliseconds`)
    }
    const report = await check(template, {
      parameters: pairs('--param', values.param),
      handlers: pairs('--handler', values.handler),
      skip: values.skip ?? [],
      calls: callLists(values.calls),
      live: values.live ?? false,
      requireIsolation: values['require-isolation'] ?? false,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    })
    process.stdout.write(values.json ? `${formatJson(report)}\n` : formatReport(report, { color: useColor(process.stdout) }))
    return report.ok ? 0 : 1
  } catch (error) {
    // The check could not run: a usage or template error names what to fix; anything else is said as it is.
    const message =
      error instanceof TemplateError || error instanceof IsolationError ? error.message : `the check could not run: ${describe(error)}`
    // Line breaks stay (a YAML error shows the line at fault); every other control character is escaped.
    process.stderr.write(`cloudmap-middy: ${message.split('\n').map(printable).join('\n')}\n`)
    return 2
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      param: { type: 'string', multiple: true },
      handler: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      calls: { type: 'string', multiple: true },
      live: { type: 'boolean' },
      json: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      'require-isolation': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  })
}
