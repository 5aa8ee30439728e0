// Where a function's handler module is, as Lambda's Node.js runtime finds it.
import { existsSync, realpathSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, isAbsolute, join, relative, resolve as resolvePath, sep } from 'node:path'
import { own } from '../own.js'
import { TemplateError, type TemplateFunction } from './types.js'

// The order Lambda's Node.js runtime tries (aws-lambda-nodejs-runtime-interface-client, UserFunction.js):
// the file as named, then .js, .mjs, .cjs, then .ts, .mts, .cts (Node.js 24 runtimes; sources tsx loads).
const MODULE_EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']

/** The first of these files that exists, else `<folder>/<file><extension>` in the order Lambda tries them. */
function findModule(folder: string, file: string, first: readonly string[] = []): string | undefined {
  const candidates = [...first, ...MODULE_EXTENSIONS.map((extension) => join(folder, `${file}${extension}`))]
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile())
}

/**
 * A `Handler` as Lambda reads it: the module is its last path segment up to the segment's first
 * dot (`src/app.handler` → `src/app`), the export the rest.
 */
function splitHandler(handler: string): { readonly file: string; readonly exportName: string } {
  const cut = handler.indexOf('.', handler.lastIndexOf('/') + 1)
  return cut < 0 ? { file: handler, exportName: '' } : { file: handler.slice(0, cut), exportName: handler.slice(cut + 1) }
}

/** Finds a SAM function's handler module from `CodeUri`, `Handler` and the esbuild `EntryPoints`. */
export function samHandler(
  directory: string,
  props: Record<string, unknown>,
  metadata: Record<string, unknown>,
): TemplateFunction['handler'] {
  const handler = props.Handler
  const codeUri = props.CodeUri
  if (typeof handler !== 'string' || !handler.includes('.')) return { missing: 'it has no Handler of the form file.export' }
  if (typeof codeUri !== 'string') return { missing: 'its CodeUri is not a local folder' }
  const { file, exportName } = splitHandler(handler)
  const base = resolvePath(directory, codeUri)
  const entryPoints = (metadata.BuildProperties as { EntryPoints?: unknown } | undefined)?.EntryPoints
  const entries = Array.isArray(entryPoints) ? entryPoints.filter((entry): entry is string => typeof entry === 'string') : []
  // esbuild builds each entry point to its base name: the entry whose name is the Handler's file.
  const fromEntry = entries.find(
    (entry) => entry.replace(/\.[cm]?[jt]s$/, '') === file || entry.replace(/\.[cm]?[jt]sx?$/, '').endsWith(`/${file}`),
  )
  const module = findModule(base, file, fromEntry ? [join(base, fromEntry)] : [])
  if (!module) {
    const entry =
      fromEntry !== undefined
        ? ` (its esbuild EntryPoints name ${fromEntry}, which is not a file)`
        : entries.length > 0
          ? ` (its esbuild EntryPoints, ${entries.join(', ')}, name none of ${file}.*)`
          : ''
    return { missing: `no module ${file}{${MODULE_EXTENSIONS.join(',')}} in ${codeUri}${entry}` }
  }
  return { module, exportName }
}

/**
 * The service folder of a template the Serverless Framework wrote (`sls package` writes
 * `<service>/.serverless/cloudformation-template-update-stack.json`), or `undefined` for any other
 * template. Its functions' `Handler` (`src/handlers/api.handler`) is relative to that folder.
 */
export function serverlessService(directory: string, resources: Readonly<Record<string, unknown>>): string | undefined {
  if (basename(directory) !== '.serverless') return undefined
  // Every template the framework writes has its deployment bucket, or (with `deploymentBucket` set) functions whose code it uploaded.
  const written = Object.values(resources).some((resource) => {
    const { Type, Properties } = resource as { Type?: unknown; Properties?: { Code?: { S3Key?: unknown } } }
    return Type === 'AWS::Lambda::Function' && typeof Properties?.Code?.S3Key === 'string'
  })
  return written || Object.hasOwn(resources, 'ServerlessDeploymentBucket') ? dirname(directory) : undefined
}

/** A Serverless Framework function's handler: its `Handler`'s module in the service folder (the source beside what is packaged: `.ts` too). */
export function serverlessHandler(service: string, props: Record<string, unknown>): TemplateFunction['handler'] {
  const handler = props.Handler
  if (typeof handler !== 'string' || !handler.includes('.')) return { missing: 'it has no Handler of the form file.export' }
  const { file, exportName } = splitHandler(handler)
  const module = findModule(service, file)
  if (!module) return { missing: `no module ${file}{${MODULE_EXTENSIONS.join(',')}} in the service folder ${service}` }
  return { module, exportName }
}

/** A CDK function's handler: given on the command line, or the bundle of its asset (`aws:asset:path`). */
export function cdkHandler(
  directory: string,
  logicalId: string,
  name: string,
  props: Record<string, unknown>,
  metadata: Record<string, unknown>,
  given: Readonly<Record<string, string>>,
): TemplateFunction['handler'] {
  const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler'
  const { file, exportName } = splitHandler(handler)
  const named = own(given, logicalId) ?? own(given, name)
  if (named !== undefined) {
    const [path = '', exported] = named.split('#')
    const module = resolvePath(path)
    if (!existsSync(module)) throw new TemplateError(`--handler ${logicalId}: no file ${path}`)
    return { module, exportName: exported ?? exportName }
  }
  const asset = metadata['aws:asset:path']
  if (typeof asset === 'string') {
    const folder = isAbsolute(asset) ? asset : join(directory, asset)
    const module = findModule(folder, file)
    if (module) return { module, exportName }
  }
  return { missing: `give its module: --handler ${logicalId}=<path to the handler module>` }
}

/** Is `path` the folder `dir` or inside it? */
const within = (dir: string, path: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`)

/**
 * The folder a template's handler modules must be in: the project holding the template (the
 * nearest folder at or above it with a package.json or .git), unless that holds the caller's home
 * directory; then the template's own folder. Links resolved.
 */
export function projectFolder(directory: string): string {
  const real = realpathSync(directory)
  for (let dir = real; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, '.git'))) return within(dir, homedir()) ? real : dir
    if (dirname(dir) === dir) return real
  }
}

/**
 * `handler`, when its module is inside `project` (links resolved): a template alone must not make
 * the check load (and let read) a file elsewhere (`CodeUri: /`, `Handler: ../../x.handler`).
 */
export function confined(logicalId: string, project: string, handler: TemplateFunction['handler']): TemplateFunction['handler'] {
  if (!('module' in handler)) return handler
  const real = realpathSync(handler.module)
  if (within(project, real)) return handler
  const shown = real === handler.module ? real : `${handler.module} (a link to ${real})`
  throw new TemplateError(
    `${logicalId}: its handler module ${shown} is outside the project ${project}: the check loads only modules of the template's project (${relative(project, real)})`,
  )
}
