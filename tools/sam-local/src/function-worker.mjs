// Worker-thread entry: loads TypeScript through tsx, then the function host.
import { register } from 'tsx/esm/api'

register()
await import('./function-worker.ts')
