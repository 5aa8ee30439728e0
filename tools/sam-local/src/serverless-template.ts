// Lets the local runner run a service the Serverless Framework (or osls) packaged: the template
// `sls package` wrote holds plain AWS::Lambda::Function resources whose Handler
// (`src/handlers/api.handler`) names a module of the service folder. Each is given its TypeScript
// source there, and the template is read as a CDK-synthesized one is (samFromCdk).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { type CdkTemplate, type HandlerModules, writeLocalTemplate } from './cdk-template.js'

/**
 * The TypeScript source of each function of a packaged Serverless template, by logical id: its
 * `Handler`'s module (up to the first dot of the last path segment) with `.ts`, in `serviceDir`.
 *
 * @throws {Error} naming the function whose source is not there.
 */
export function serverlessHandlerModules(template: CdkTemplate, serviceDir: string): HandlerModules {
  const modules: Record<string, string> = {}
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue
    const handler = String(resource.Properties?.Handler ?? '')
    const cut = handler.indexOf('.', handler.lastIndexOf('/') + 1)
    const module = join(serviceDir, `${cut < 0 ? handler : handler.slice(0, cut)}.ts`)
    if (!existsSync(module)) throw new Error(`${id}: its Handler ${handler} has no TypeScript source ${module}`)
    modules[id] = module
  }
  return modules
}

/**
 * Reads the template `sls package` wrote (`<service>/.serverless/cloudformation-template-update-stack.json`)
 * and writes it in the shape `startLocalApp()` reads; returns the new file's path.
 */
export function writeServerlessLocalTemplate(templatePath: string): string {
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CdkTemplate
  const serviceDir = dirname(dirname(resolve(templatePath)))
  return writeLocalTemplate(template, serverlessHandlerModules(template, serviceDir), 'serverless')
}
