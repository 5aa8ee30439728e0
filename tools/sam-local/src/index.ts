export { type LocalApp, startLocalApp, type Trace } from './app.js'
export { loadTemplate, Resolver, type Template } from './template.js'
