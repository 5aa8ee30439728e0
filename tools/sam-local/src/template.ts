// The template reader and intrinsic resolver live in @cloudmap-middy/check (the deploy-time check
// reads templates the same way): one implementation, re-exported for the local runner.
export { loadTemplate, type Provided, type Resource, type Template, TemplateResolver } from '@cloudmap-middy/check/template'
