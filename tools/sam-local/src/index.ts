export { type LocalApp, startLocalApp, type Trace } from './app.js'
export { runScenario, type ScenarioRun } from './scenario.js'
export { loadTemplate, Resolver, type Template } from './template.js'
