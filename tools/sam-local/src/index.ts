export { type LocalApp, startLocalApp, type Trace } from './app.js'
export { type CdkTemplate, type HandlerModules, samFromCdk, writeLocalTemplate } from './cdk-template.js'
export { runScenario, type ScenarioRun } from './scenario.js'
export { loadTemplate, type Template, TemplateResolver } from './template.js'
