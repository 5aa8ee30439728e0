/**
 * The Serverless Framework (v4) and osls plugin of cloudmap-middy: registers what
 * `custom.cloudMap` names in Cloud Map, gives each function a role holding exactly what its
 * handler declares, and runs `cloudmap-middy check` on the template `sls package` writes.
 *
 * @module @cloudmap-middy/serverless
 */
import { CloudMapPlugin } from './plugin.js'

export type {
  CloudMapConfig,
  FunctionCloudMapConfig,
  InstanceConfig,
  NamespaceConfig,
  RolesMode,
  ServiceConfig,
} from './config.js'
export { CloudMapPlugin, type PluginLogger } from './plugin.js'
export default CloudMapPlugin
