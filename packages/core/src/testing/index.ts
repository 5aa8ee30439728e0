export { type StaticRegistry, type StaticTable, staticRegistry } from './static-registry.js'
export { restoreDefaultRegistry, useStaticRegistry } from './use-static-registry.js'
