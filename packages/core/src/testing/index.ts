export { type StaticRegistry, type StaticTable, staticRegistry } from './static-registry.js'
