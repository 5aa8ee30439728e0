// Checks the packages as a user gets them: builds and packs core, middy, cdk, check and serverless, checks
// what the tarballs hold and say (publint, Are the Types Wrong?), then installs core, middy and
// check with plain npm into a scratch app outside the workspace, with the AWS SDK clients at
// the floors core declares, and there: typechecks a handler (and a deliberate type error, which
// must fail), bundles it as `sam build` does (SDK external, and SDK bundled) and to CommonJS (the
// "require" entry, without the Lambda extension's top-level await), checks require() of the package, runs the bundles
// against a moto server, checks that there is one copy of each SDK client, and runs
// `npx cloudmap-middy check` on the app's SAM template (it passes; a drifted copy fails).
// A second app installs only the Cloud Map and Lambda clients, as a user of lambda() alone
// does: it typechecks with skipLibCheck off, bundles with the SDK external and bundled, and
// runs against moto; a queue() there fails at its first call, naming the client to install.
// Exit 0 when everything holds, 1 naming what failed.
//
//   node scripts/check-packages.mjs          (--keep leaves the temp dirs for a look)
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { declaredFloors, describePins, pnpmCommand, SDK_CLIENTS } from './sdk-floor.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const keep = process.argv.includes('--keep')
const PACKAGES = ['packages/core', 'packages/middy', 'packages/cdk', 'packages/check', 'packages/serverless']
const REPOSITORY = 'git+https://github.com/cloudmap-middy/cloudmap-middy.git'
/**
 * What a tarball may hold: the built JavaScript and declarations, the readme and the licence, and the
 * check's vendored SAM data (with its licence and notice).
 */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/.+\.js$/,
  /^dist\/.+\.d\.ts$/,
  /^bin\/[a-z-]+\.js$/,
  /^sam\/[a-z_]+\.json$/,
  /^sam\/(NOTICE|LICENSE)$/,
]
/** Loads `require` in an ESM bundle that holds CommonJS code (the SDK): what the docs tell users to add. */
const REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);"

class Failure extends Error {}
const results = []
const temps = []

/** Runs one named check; a Failure (or any error) stops the run with the check's name. */
async function check(name, body) {
  const t0 = Date.now()
  process.stdout.write(`\n--- check-packages: ${name}\n`)
  try {
    const detail = await body()
    results.push({ name, ok: true, ms: Date.now() - t0, detail })
  } catch (error) {
    results.push({ name, ok: false, ms: Date.now() - t0, detail: error instanceof Failure ? error.message : error.stack })
    throw new Failure(name)
  }
}

/** Runs a command; returns its output, or throws with it when the exit code is not `expect` (null: any). */
function run(command, args, { cwd = root, env = {}, expect = 0, quiet = false, timeout = 300_000 } = {}) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout, maxBuffer: 64 * 1024 * 1024 })
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
  if (!quiet) process.stdout.write(output)
  if (result.error) throw new Failure(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (expect !== null && result.status !== expect) {
    throw new Failure(`${[command, ...args].join(' ')} exited with ${result.status}${quiet ? `:\n${output.trim()}` : ''}`)
  }
  return { output, stdout: result.stdout ?? '', status: result.status }
}

const temp = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  temps.push(dir)
  return dir
}
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'))
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`

function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name), base) : [relative(base, join(dir, entry.name)).split(sep).join('/')],
  )
}

/**
 * What is wrong with an unpacked package: its files and its package.json, as the Packaging section of DESIGN.md wants them.
 * `files` are the unpacked package's files (filesUnder), `source` the package.json of `dir` in the workspace.
 */
function packageProblems(dir, unpacked, files, source) {
  const problems = []
  const manifest = readJson(join(unpacked, 'package.json'))
  for (const file of files)
    if (!ALLOWED.some((pattern) => pattern.test(file)))
      problems.push(`ships ${file} (only dist/**/*.{js,d.ts}, README.md and LICENSE belong)`)
  for (const file of ['README.md', 'LICENSE', 'package.json']) if (!files.includes(file)) problems.push(`no ${file}`)
  if (files.includes('LICENSE') && readFileSync(join(unpacked, 'LICENSE'), 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8')) {
    problems.push('its LICENSE differs from the repository LICENSE')
  }
  // No source maps: a reference to one would point at a file that is not shipped.
  for (const file of files.filter((f) => /^dist\/.+\.(js|d\.ts)$/.test(f))) {
    if (readFileSync(join(unpacked, file), 'utf8').includes('sourceMappingURL=')) problems.push(`${file} refers to a source map`)
    const stem = file.replace(/^dist\//, 'src/').replace(/(\.d)?\.ts$|\.js$/, '')
    if (!existsSync(join(root, dir, `${stem}.ts`)))
      problems.push(`${file} has no source (${dir}/${stem}.ts): stale build output, remove ${dir}/dist and build again`)
  }
  // Exports: types first, every target shipped.
  const walk = (value, where) => {
    if (typeof value === 'string') {
      if (!files.includes(value.replace(/^\.\//, ''))) problems.push(`exports ${where} -> ${value}, which is not in the tarball`)
    } else if (value && typeof value === 'object') {
      const keys = Object.keys(value)
      if (keys.includes('types') && keys[0] !== 'types') problems.push(`exports ${where}: "types" is not the first condition`)
      for (const key of keys) walk(value[key], `${where}.${key}`.replace(/^\./, ''))
    }
  }
  walk(manifest.exports, '')
  const expected = {
    license: 'MIT',
    type: 'module',
    // middy's entry registers the Lambda extension when imported: a bundler must keep it.
    sideEffects: dir === 'packages/middy' ? ['./dist/index.js'] : false,
    'repository.type': 'git',
    'repository.url': REPOSITORY,
    'repository.directory': dir,
    homepage: `https://github.com/cloudmap-middy/cloudmap-middy/tree/main/${dir}#readme`,
    'bugs.url': 'https://github.com/cloudmap-middy/cloudmap-middy/issues',
  }
  for (const [path, value] of Object.entries(expected)) {
    const actual = path.split('.').reduce((object, key) => object?.[key], manifest)
    if (JSON.stringify(actual) !== JSON.stringify(value))
      problems.push(`package.json ${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`)
  }
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push('package.json has no keywords')
  if ('author' in manifest) problems.push('package.json names an author (the project names none)')
  if (!Array.isArray(manifest.files)) problems.push('package.json has no files whitelist')
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {}))
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`)
  }
  if (source.name === '@cloudmap-middy/core') {
    for (const client of SDK_CLIENTS) {
      if (manifest.dependencies?.[client]) problems.push(`${client} is a dependency (it must be a peer dependency)`)
      if (!manifest.peerDependencies?.[client]) problems.push(`${client} is not a peer dependency`)
      if (!source.devDependencies?.[client]) problems.push(`${client} is not a devDependency (the repository's tests use it)`)
      const optional = manifest.peerDependenciesMeta?.[client]?.optional === true
      if (optional !== (client !== '@aws-sdk/client-servicediscovery'))
        problems.push(`${client} is ${optional ? '' : 'not '}an optional peer`)
    }
  }
  if (source.name === '@cloudmap-middy/middy') {
    if (!manifest.dependencies?.['@types/aws-lambda'])
      problems.push('@types/aws-lambda is not a dependency (context.services would be untyped)')
    if (manifest.peerDependencies?.['@middy/core'] !== '>=5 <8')
      problems.push(`the @middy/core peer range is ${manifest.peerDependencies?.['@middy/core']}, expected >=5 <8`)
  }
  return problems
}

// The scratch app: a handler with a lambda(), a queue(), a topic() and an instance() dependency.
const SERVICES = `import { instance, lambda, queue, topic } from '@cloudmap-middy/core'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import { z } from 'zod'

const JobRequest = z.object({ id: z.string() })
const Job = z.object({ id: z.string() })
const JobMessage = z.object({ jobId: z.string(), table: z.string() })
const JobEvent = z.object({ jobId: z.string(), state: z.enum(['queued', 'done']) })

export const services = {
  getJob: lambda('e2e-app.scheduler->get-job', { payload: JobRequest, result: Job }),
  jobs: queue('e2e-app.scheduler->jobs', { message: JobMessage }),
  events: topic('e2e-app.events->job-events', { message: JobEvent }),
  settings: instance('e2e-app.scheduler->settings', { attributes: z.object({ table: z.string() }) }),
}
`
const HANDLER = `${SERVICES}
export const handler = middy<{ id: string }, { jobId: string; messageId: string; table: string }>()
  .use(cloudMap({ services }))
  .handler(async (event, context) => {
    const job = await context.services.getJob.request({ id: event.id })
    const table: string = context.services.settings.attributes.table
    const sent = await context.services.jobs.send({ jobId: job.id, table })
    await context.services.events.publish({ jobId: job.id, state: 'queued' })
    return { jobId: job.id, messageId: sent.messageId, table }
  })
`
// Each line marked "expect TSnnnn" must fail with that code, and nothing else may fail.
const WRONG = `${SERVICES}
export const handler = middy<{ id: string }>()
  .use(cloudMap({ services }))
  .handler(async (event, context) => {
    await context.services.getJob.request({ id: Number(event.id) }) // expect TS2322
    await context.services.events.publish({ jobId: event.id, state: 'lost' }) // expect TS2322
    return context.services.missing // expect TS2339
  })
`
// The app's SAM template: what the handler declares, registered and granted (get-job is inline code: not checked).
const TEMPLATE = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Namespace:
    Type: AWS::ServiceDiscovery::HttpNamespace
    Properties: { Name: e2e-app }
  SchedulerService:
    Type: AWS::ServiceDiscovery::Service
    Properties: { Name: scheduler, NamespaceId: !GetAtt Namespace.Id }
  EventsService:
    Type: AWS::ServiceDiscovery::Service
    Properties: { Name: events, NamespaceId: !GetAtt Namespace.Id }
  Jobs:
    Type: AWS::SQS::Queue
  JobEvents:
    Type: AWS::SNS::Topic
  GetJob:
    Type: AWS::Serverless::Function
    Properties: { Runtime: nodejs22.x, Handler: index.handler, InlineCode: "exports.handler = async (e) => ({ id: e.id })" }
  GetJobInstance:
    Type: AWS::ServiceDiscovery::Instance
    Properties: { ServiceId: !Ref SchedulerService, InstanceId: get-job, InstanceAttributes: { type: lambda, arn: !GetAtt GetJob.Arn } }
  JobsInstance:
    Type: AWS::ServiceDiscovery::Instance
    Properties: { ServiceId: !Ref SchedulerService, InstanceId: jobs, InstanceAttributes: { type: sqs, arn: !GetAtt Jobs.Arn, url: !Ref Jobs } }
  JobEventsInstance:
    Type: AWS::ServiceDiscovery::Instance
    Properties: { ServiceId: !Ref EventsService, InstanceId: job-events, InstanceAttributes: { type: sns, arn: !Ref JobEvents } }
  SettingsInstance:
    Type: AWS::ServiceDiscovery::Instance
    Properties: { ServiceId: !Ref SchedulerService, InstanceId: settings, InstanceAttributes: { table: jobs-table } }
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      CodeUri: src/
      Handler: handler.handler
      Policies:
        - Statement:
            - Effect: Allow
              Action: servicediscovery:DiscoverInstances
              Resource: "*"
              Condition: { StringEquals: { servicediscovery:NamespaceName: e2e-app } }
        - SQSSendMessagePolicy: { QueueName: !GetAtt Jobs.QueueName }
        - SNSPublishMessagePolicy: { TopicName: !GetAtt JobEvents.TopicName }
        - LambdaInvokePolicy: { FunctionName: !Ref GetJob }
`
const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true },
}

// The app with only the Cloud Map and Lambda clients: a lambda() handler, and one that declares a
// queue() whose client is not installed (it builds; its first send fails, naming the package).
const LAMBDA_ONLY = `import { lambda } from '@cloudmap-middy/core'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import { z } from 'zod'

const services = {
  getJob: lambda('e2e-app.scheduler->get-job', { payload: z.object({ id: z.string() }), result: z.object({ id: z.string() }) }),
}

export const handler = middy<{ id: string }, { jobId: string }>()
  .use(cloudMap({ services }))
  .handler(async (event, context) => ({ jobId: (await context.services.getJob.request({ id: event.id })).id }))
`
const NO_SQS_CLIENT = `import { queue } from '@cloudmap-middy/core'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'

export const handler = middy<{ id: string }, { messageId: string }>()
  .use(cloudMap({ services: { jobs: queue('e2e-app.scheduler->jobs') } }))
  .handler(async (event, context) => context.services.jobs.send({ jobId: event.id }))
`
// Typechecked only: an injected Lambda client fits the structural type of the declarations.
const INJECTED = `import { LambdaClient } from '@aws-sdk/client-lambda'
import { createResolver } from '@cloudmap-middy/core'

export const resolver = createResolver({ clients: { lambda: new LambdaClient({}), config: { maxAttempts: 2 } } })
`
/** What a strict typecheck may report outside our packages: @middy/core 7's declarations import its own optional peer. */
const MIDDY_OWN_PEER =
  /^node_modules\/@middy\/core\/index\.d\.ts\(\d+,\d+\): error TS2307: Cannot find module '@aws\/durable-execution-sdk-js'/

/**
 * Runs a bundle's handler in a fresh Node.js 22 process, as Lambda would, against moto. Returns
 * what it returned; or, with `rejects`, the name and message of the error it threw (a handler
 * that then succeeds fails the check).
 */
function invokeBundle(kind, node, bundle, event, endpoint, { rejects = false } = {}) {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)})
    const deadline = Date.now() + 20_000
    const context = {
      functionName: 'e2e', functionVersion: '$LATEST', memoryLimitInMB: '128', awsRequestId: ${JSON.stringify(randomUUID())},
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:e2e', logGroupName: '/aws/lambda/e2e', logStreamName: 'e2e',
      callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(),
    }
    const outcome = await handler(${JSON.stringify(event)}, context).then(
      (result) => 'RESULT ' + JSON.stringify(result),
      (error) => ${rejects} ? 'ERROR ' + JSON.stringify({ name: error?.name, message: error?.message }) : Promise.reject(error),
    )
    console.log(outcome)
    process.exit(0)
  `
  // Only what a Lambda function would have: no profile or credentials of this machine.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')))
  const result = spawnSync(node, ['--input-type=module', '-e', script], {
    cwd: dirname(bundle),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...env, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
  })
  if (result.error) throw new Failure(`${kind} bundle: ${node}: ${result.error.message}`)
  const prefix = rejects ? 'ERROR ' : 'RESULT '
  const line = result.stdout.split('\n').find((l) => l.startsWith(prefix))
  if (result.status !== 0 || !line) {
    const what = rejects ? 'the handler did not reject' : 'the handler failed'
    throw new Failure(`${kind} bundle: ${what} (exit ${result.status}):\n${`${result.stdout}${result.stderr}`.trim()}`)
  }
  return JSON.parse(line.slice(prefix.length))
}

async function main() {
  const started = Date.now()
  const floors = declaredFloors()
  const pnpm = pnpmCommand()
  const tarballs = temp('cloudmap-middy-tarballs-')
  const packed = {}

  await check('build', () => {
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-b', ...PACKAGES])
  })

  for (const dir of PACKAGES) {
    const manifest = readJson(join(root, dir, 'package.json'))
    const tarball = join(tarballs, `${manifest.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`)
    packed[dir] = tarball
    await check(`pack ${manifest.name}: contents and metadata`, () => {
      run(pnpm[0], [...pnpm[1], 'pack', '--pack-destination', tarballs], { cwd: join(root, dir), quiet: true })
      if (!existsSync(tarball)) throw new Failure(`pnpm pack did not write ${tarball}`)
      const unpacked = join(tarballs, manifest.name.replace('/', '+'))
      mkdirSync(unpacked)
      run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'])
      const files = filesUnder(unpacked)
      const problems = packageProblems(dir, unpacked, files, manifest)
      if (problems.length > 0) throw new Failure(problems.map((p) => `${manifest.name}: ${p}`).join('\n'))
      const size = files.reduce((sum, file) => sum + statSync(join(unpacked, file)).size, 0)
      return `${kb(statSync(tarball).size)} packed, ${kb(size)} unpacked, ${files.length} files`
    })
    await check(`publint ${manifest.name}`, () => {
      const { output } = run(join(root, 'node_modules/.bin/publint'), ['run', tarball, '--strict'])
      // Suggestions do not fail publint: they fail this check.
      if (/suggestion/i.test(output)) throw new Failure(`publint has suggestions:\n${output.trim()}`)
    })
    await check(`attw ${manifest.name} (esm-only)`, () => {
      run(join(root, 'node_modules/.bin/attw'), [
        tarball,
        '--profile',
        'esm-only',
        '--format',
        'ascii',
        '--no-emoji',
        '--no-color',
        '--no-definitely-typed',
      ])
    })
  }

  const app = temp('cloudmap-middy-app-')
  if (relative(root, app).split(sep)[0] !== '..') {
    throw new Failure(`the scratch app ${app} is not outside the workspace`)
  }
  const npmArgs = ['--no-audit', '--no-fund', '--loglevel=error']
  await check(`npm install (core, middy and check tarballs, @middy/core@7, ${describePins(floors)})`, () => {
    run('npm', ['init', '-y'], { cwd: app, quiet: true })
    run('npm', ['pkg', 'set', 'type=module', 'private=true'], { cwd: app, quiet: true })
    const sdk = SDK_CLIENTS.map((client) => `${client}@${floors[client]}`)
    const ours = [packed['packages/core'], packed['packages/middy'], packed['packages/check']]
    const packages = [...ours, '@middy/core@7', 'zod', 'typescript@5.9', 'esbuild', ...sdk]
    run('npm', ['install', '--save-exact', '--prefer-offline', ...npmArgs, ...packages], { cwd: app })
  })

  await check("npm ls: a valid tree, one copy of each SDK client core calls, the app's own", () => {
    run('npm', ['ls', '--all', ...npmArgs], { cwd: app, quiet: true })
    const nodes = JSON.parse(run('npm', ['query', '[name^="@aws-sdk/client-"]', ...npmArgs], { cwd: app, quiet: true }).output)
    const problems = []
    for (const client of SDK_CLIENTS) {
      const copies = nodes.filter((node) => node.name === client).map((node) => `${node.location}@${node.version}`)
      if (copies.length !== 1 || copies[0] !== `node_modules/${client}@${floors[client]}`) {
        problems.push(`${client}: expected one copy, node_modules/${client}@${floors[client]}; found ${copies.join(', ') || 'none'}`)
      }
    }
    const ours = nodes.filter((node) => node.location.includes('node_modules/@cloudmap-middy/'))
    for (const node of ours) problems.push(`${node.name}@${node.version} is installed under our package: ${node.location}`)
    // Other clients are the SDK's own (credential providers); several copies only mean the app mixes SDK releases.
    const others = [...new Set(nodes.filter((node) => !SDK_CLIENTS.includes(node.name)).map((node) => node.name))].map(
      (name) => `${name} ×${nodes.filter((node) => node.name === name).length}`,
    )
    if (problems.length > 0) throw new Failure(problems.join('\n'))
    return `one copy each of the ${SDK_CLIENTS.length} clients core uses; the SDK's own: ${others.join(', ') || 'none'}`
  })

  await check('typecheck the handler (skipLibCheck: true)', () => {
    mkdirSync(join(app, 'src'))
    writeFileSync(join(app, 'src/handler.ts'), HANDLER)
    writeFileSync(join(app, 'src/wrong.ts'), WRONG)
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['src/handler.ts'] }, null, 2))
    writeFileSync(join(app, 'tsconfig.wrong.json'), JSON.stringify({ ...TSCONFIG, files: ['src/wrong.ts'] }, null, 2))
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: app })
  })

  await check('typecheck a deliberate type error: it must fail', () => {
    const { output, status } = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.wrong.json'], {
      cwd: app,
      expect: null,
      quiet: true,
    })
    const expected = WRONG.split('\n').flatMap((line, i) =>
      /expect (TS\d+)/.exec(line) ? [`${i + 1} ${/expect (TS\d+)/.exec(line)[1]}`] : [],
    )
    const found = [...output.matchAll(/^src\/wrong\.ts\((\d+),\d+\): error (TS\d+)/gm)].map((m) => `${m[1]} ${m[2]}`)
    const errors = output.split('\n').filter((line) => line.includes(': error TS')).length
    if (status === 0) throw new Failure('tsc accepted the deliberate type errors: context.services is not typed (any?)')
    if (found.join() !== expected.join() || errors !== expected.length) {
      throw new Failure(`expected errors (line code) ${expected.join(', ')}; tsc (exit ${status}) said:\n${output.trim()}`)
    }
    return `tsc exit ${status}, ${expected.map((e) => e.replace(' ', ': ')).join(', ')}`
  })

  const esbuild = createRequire(join(app, 'package.json'))('esbuild')
  const standalone = temp('cloudmap-middy-bundle-')
  const bundles = {
    external: join(app, 'build/handler.mjs'),
    bundled: join(standalone, 'handler.mjs'),
    commonjs: join(app, 'build/handler.cjs'),
  }
  const common = {
    entryPoints: [join(app, 'src/handler.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    minify: true,
    metafile: true,
    logLevel: 'warning',
  }
  // What a bundle still imports at run time: node built-ins, the SDK when external, and what the SDK
  // only tries to require (aws-crt in older releases); running the bundles below proves it is enough.
  const runtimeImports = (built) => {
    const paths = Object.values(built.metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path))
    return [...new Set(paths.filter((path) => !path.startsWith('node:') && !builtinModules.includes(path)))]
  }
  await check('esbuild as sam build does (ESM, node22, minify, @aws-sdk/* external)', async () => {
    const imports = runtimeImports(await esbuild.build({ ...common, outfile: bundles.external, external: ['@aws-sdk/*'] }))
    return `${kb(statSync(bundles.external).size)}; imports at run time: ${imports.join(', ')}`
  })
  await check('esbuild with the SDK bundled (createRequire banner)', async () => {
    const imports = runtimeImports(await esbuild.build({ ...common, outfile: bundles.bundled, banner: { js: REQUIRE_BANNER } }))
    return `${kb(statSync(bundles.bundled).size)}, run from a directory with no node_modules; imports at run time: ${imports.join(', ') || 'none'}`
  })

  // The Lambda extension registers in a top-level await of the package's ESM entry, which a CommonJS
  // bundle cannot hold: such a bundle takes the "require" entry (no registration, refreshes awaited).
  const REGISTRATION = 'Lambda-Extension-Name'
  await check('the ESM bundle holds the Lambda extension registration (the entry is not tree-shaken away)', () => {
    if (!readFileSync(bundles.external, 'utf8').includes(REGISTRATION)) throw new Failure(`${bundles.external} lacks ${REGISTRATION}`)
  })
  await check("esbuild to CommonJS: refused without conditions: ['require'], built with it, without the registration", async () => {
    const cjs = { ...common, format: 'cjs', outfile: bundles.commonjs, external: ['@aws-sdk/*'], logLevel: 'silent' }
    const refused = await esbuild.build(cjs).then(
      () => undefined,
      (error) => error.errors?.[0]?.text ?? String(error),
    )
    if (!/Top-level await is currently not supported with the "cjs" output format/.test(refused ?? '')) {
      throw new Failure(`esbuild format cjs without conditions: expected the top-level await error, got ${refused ?? 'a bundle'}`)
    }
    await esbuild.build({ ...cjs, conditions: ['require'] })
    if (readFileSync(bundles.commonjs, 'utf8').includes(REGISTRATION)) throw new Failure(`${bundles.commonjs} holds ${REGISTRATION}`)
    return `${kb(statSync(bundles.commonjs).size)}; without the condition: ${refused}`
  })
  await check('require() of the package on Node.js 22 (the "require" entry: no top-level await)', () => {
    const node = run('npx', ['-y', 'node@22', '-p', 'process.execPath'], { quiet: true }).stdout.trim()
    const { stdout } = run(node, ['--input-type=commonjs', '-e', "console.log(typeof require('@cloudmap-middy/middy').cloudMap)"], {
      cwd: app,
      quiet: true,
    })
    if (stdout.trim() !== 'function') throw new Failure(`require('@cloudmap-middy/middy').cloudMap is ${stdout.trim()}`)
  })

  // The second app: the Cloud Map and Lambda clients only, as a user of lambda() alone installs them.
  const slim = temp('cloudmap-middy-slim-app-')
  const slimClients = ['@aws-sdk/client-servicediscovery', '@aws-sdk/client-lambda']
  await check(`npm install, only the Cloud Map and Lambda clients (${slimClients.map((c) => `${c}@${floors[c]}`).join(', ')})`, () => {
    run('npm', ['init', '-y'], { cwd: slim, quiet: true })
    run('npm', ['pkg', 'set', 'type=module', 'private=true'], { cwd: slim, quiet: true })
    const ours = [packed['packages/core'], packed['packages/middy']]
    const tools = ['typescript@5.9', 'esbuild', '@types/node@22']
    const packages = [...ours, '@middy/core@7', 'zod', ...tools, ...slimClients.map((client) => `${client}@${floors[client]}`)]
    run('npm', ['install', '--save-exact', '--prefer-offline', ...npmArgs, ...packages], { cwd: slim })
    const nodes = JSON.parse(run('npm', ['query', '[name^="@aws-sdk/client-"]', ...npmArgs], { cwd: slim, quiet: true }).output)
    const extra = SDK_CLIENTS.filter((client) => !slimClients.includes(client) && nodes.some((node) => node.name === client))
    if (extra.length > 0) throw new Failure(`installed although nothing asked for them: ${extra.join(', ')}`)
    return `none of ${SDK_CLIENTS.filter((client) => !slimClients.includes(client)).join(', ')}`
  })

  await check('only Cloud Map and Lambda: typecheck with skipLibCheck: false (an injected LambdaClient too)', () => {
    mkdirSync(join(slim, 'src'))
    writeFileSync(join(slim, 'src/handler.ts'), LAMBDA_ONLY)
    writeFileSync(join(slim, 'src/no-sqs-client.ts'), NO_SQS_CLIENT)
    writeFileSync(join(slim, 'src/injected.ts'), INJECTED)
    const files = ['src/handler.ts', 'src/no-sqs-client.ts', 'src/injected.ts']
    const compilerOptions = { ...TSCONFIG.compilerOptions, skipLibCheck: false }
    writeFileSync(join(slim, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }, null, 2))
    const { output } = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
      cwd: slim,
      expect: null,
      quiet: true,
    })
    const errors = output.split('\n').filter((line) => line.includes(': error TS'))
    const ours = errors.filter((line) => !MIDDY_OWN_PEER.test(line))
    if (ours.length > 0) throw new Failure(`tsc reported:\n${ours.join('\n')}`)
    return errors.length > 0
      ? `no error but ${errors.length} of @middy/core's own (its optional peer @aws/durable-execution-sdk-js)`
      : 'no error'
  })

  const slimBundles = {
    'lambda-only, SDK external': { entry: 'src/handler.ts', outfile: join(slim, 'build/handler.mjs'), external: ['@aws-sdk/*'] },
    'lambda-only, SDK bundled': { entry: 'src/handler.ts', outfile: join(standalone, 'slim/handler.mjs'), banner: { js: REQUIRE_BANNER } },
    'queue() without its client, SDK bundled': {
      entry: 'src/no-sqs-client.ts',
      outfile: join(slim, 'build/no-sqs-client.mjs'),
      banner: { js: REQUIRE_BANNER },
    },
  }
  await check('only Cloud Map and Lambda: esbuild as sam build does, with the SDK external and bundled', async () => {
    const sizes = []
    for (const [name, { entry, outfile, external, banner }] of Object.entries(slimBundles)) {
      const built = await esbuild.build({
        ...common,
        entryPoints: [join(slim, entry)],
        outfile,
        ...(external ? { external } : {}),
        ...(banner ? { banner } : {}),
      })
      sizes.push(`${name}: ${kb(statSync(outfile).size)}, imports at run time: ${runtimeImports(built).join(', ') || 'none'}`)
    }
    return sizes.join('\n')
  })

  await check('run the bundles against moto (Node.js 22, AWS_ENDPOINT_URL)', async () => {
    const node = run('npx', ['-y', 'node@22', '-p', 'process.execPath'], { quiet: true }).stdout.trim()
    // The repository's moto harness (TypeScript), loaded through tsx as the tests do.
    const tsx = dirname(createRequire(join(root, 'packages/middy/package.json')).resolve('tsx/package.json'))
    const { register } = await import(
      pathToFileURL(join(tsx, readJson(join(tsx, 'package.json')).exports['./esm/api'].import.default)).href
    )
    register()
    const { MotoResources, startMoto } = await import(pathToFileURL(join(root, 'tools/moto-harness/src/index.ts')).href)
    const moto = await startMoto()
    try {
      const aws = new MotoResources(moto.endpoint)
      const jobs = await aws.queue('e2e-jobs')
      const inbox = await aws.queue('e2e-job-events')
      const events = await aws.topic('e2e-job-events')
      await aws.subscribe(events, inbox.arn)
      await aws.register('e2e-app', 'scheduler', 'get-job', { type: 'lambda', arn: await aws.function('e2e-get-job') })
      await aws.register('e2e-app', 'scheduler', 'jobs', { type: 'sqs', arn: jobs.arn, url: jobs.url })
      await aws.register('e2e-app', 'events', 'job-events', { type: 'sns', arn: events })
      await aws.register('e2e-app', 'scheduler', 'settings', { table: 'jobs-table' })
      const seen = []
      for (const [kind, bundle] of Object.entries(bundles)) {
        const id = `job-${kind}`
        const result = invokeBundle(kind, node, bundle, { id }, moto.endpoint)
        if (result?.jobId !== id || typeof result.messageId !== 'string' || result.table !== 'jobs-table') {
          throw new Failure(`${kind}: the handler returned ${JSON.stringify(result)}`)
        }
        const [message] = await aws.drain(jobs.url, 1)
        if (message?.Body !== JSON.stringify({ jobId: id, table: 'jobs-table' }))
          throw new Failure(`${kind}: the queue holds ${message?.Body ?? 'nothing'}`)
        const [event] = await aws.drain(inbox.url, 1)
        if (event?.Body !== JSON.stringify({ jobId: id, state: 'queued' }))
          throw new Failure(`${kind}: the topic delivered ${event?.Body ?? 'nothing'}`)
        seen.push(`${kind} bundle`)
      }
      // The app with only the Cloud Map and Lambda clients.
      for (const [name, { entry, outfile }] of Object.entries(slimBundles)) {
        if (entry !== 'src/handler.ts') continue
        const result = invokeBundle(name, node, outfile, { id: name }, moto.endpoint)
        if (result?.jobId !== name) throw new Failure(`${name}: the handler returned ${JSON.stringify(result)}`)
        seen.push(name)
      }
      const missing = slimBundles['queue() without its client, SDK bundled'].outfile
      const error = invokeBundle('queue() without its client', node, missing, { id: 'x' }, moto.endpoint, { rejects: true })
      const expected = `"e2e-app.scheduler->jobs" cannot send: @aws-sdk/client-sqs could not be loaded: install it (npm install @aws-sdk/client-sqs)`
      if (error.name !== 'CloudMapMiddyError' || error.message !== expected)
        throw new Failure(`queue() without its client: expected CloudMapMiddyError "${expected}", got ${JSON.stringify(error)}`)
      const sent = await aws.drain(jobs.url, 1, 0)
      if (sent.length > 0) throw new Failure(`queue() without its client: the queue holds ${sent[0]?.Body}`)
      return `lambda request, queue send, topic publish, instance attributes: ${seen.join(', ')}; queue() without its client: ${error.name}: ${error.message}`
    } finally {
      await moto.stop()
    }
  })

  await check('npx cloudmap-middy check template.yaml: passes; a copy with an instance removed fails, naming it', () => {
    writeFileSync(join(app, 'template.yaml'), TEMPLATE)
    const passed = run('npx', ['--no-install', 'cloudmap-middy', 'check', 'template.yaml'], { cwd: app, quiet: true })
    const summary = passed.stdout.trim().split('\n').pop() ?? ''
    if (!/^✓ 1 function, 4 dependencies, 1 skipped:/.test(summary)) throw new Failure(`unexpected report:\n${passed.output.trim()}`)
    writeFileSync(join(app, 'drifted.yaml'), TEMPLATE.replace(/ {2}SettingsInstance:\n(?: {4}.*\n)+/, ''))
    const failed = run('npx', ['--no-install', 'cloudmap-middy', 'check', 'drifted.yaml'], { cwd: app, quiet: true, expect: 1 })
    const line = '✗ Handler e2e-app.scheduler->settings: registered'
    if (!failed.stdout.includes(line)) throw new Failure(`expected "${line}" in:\n${failed.output.trim()}`)
    return `${summary}; drifted: ${line} (exit 1)`
  })

  return Date.now() - started
}

let failed
let total = 0
try {
  total = await main()
} catch (error) {
  failed = error instanceof Failure ? error.message : `unexpected error: ${error?.stack ?? error}`
} finally {
  if (keep) console.log(`\ncheck-packages: kept ${temps.join(', ')}`)
  else for (const dir of temps) rmSync(dir, { recursive: true, force: true })
}

console.log('\ncheck-packages: summary')
for (const { name, ok, ms, detail } of results) {
  console.log(
    `  ${ok ? 'ok    ' : 'FAILED'}  ${name} (${(ms / 1000).toFixed(1)} s)${detail ? `\n          ${String(detail).split('\n').join('\n          ')}` : ''}`,
  )
}
if (failed) {
  console.error(`\ncheck-packages: FAILED: ${failed}`)
  process.exit(1)
}
console.log(`\ncheck-packages: OK (${(total / 1000).toFixed(1)} s)`)
