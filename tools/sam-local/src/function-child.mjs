// Child-process entry of one Lambda environment: loads TypeScript through tsx, then the bootstrap.
import { register } from 'tsx/esm/api'

register()
await import('./function-child.ts')
