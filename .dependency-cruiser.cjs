// The dependency rules of the packages' sources, checked in CI (pnpm lint:deps):
// no import cycle of any kind (type-only imports included), and in core, layers that
// import only downward. A layer is a folder or a leaf file of packages/core/src, lowest first.
const CORE_LAYERS = [
  [
    'types',
    'errors',
    'redact',
    'transient',
    'endpoints',
    'schema',
    'logger',
    'metrics',
    'channels',
    'otel',
    'timers',
    'and-then',
    'declarations',
    'registration',
    'tracing',
    'snapshot',
  ],
  ['address'],
  ['registry'],
  ['policy'],
  ['calls'],
  ['dependency'],
  ['kinds'],
  ['resolver'],
  ['extension'],
  ['testing'],
  ['index', 'adapter', 'iam'],
]

const core = 'packages/core/src/'
/** A path pattern matching the folders and leaf files of the given layers. */
const inLayers = (layers) => `^${core}(${layers.flat().join('|')})(/|\\.ts$)`

const layerRules = CORE_LAYERS.slice(0, -1).map((layer, i) => ({
  name: `core-layer-${layer[0]}`,
  comment: `core: ${layer.join(', ')} may import only from layers below: ${CORE_LAYERS.slice(0, i).flat().join(', ') || 'none'}`,
  severity: 'error',
  from: { path: inLayers([layer]) },
  to: { path: inLayers(CORE_LAYERS.slice(i + 1)) },
}))

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle, value or type: move the shared contract into a leaf module (core: src/types/).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-framework-free',
      comment: 'core never imports Middy: what a container or script user also needs belongs in core.',
      severity: 'error',
      from: { path: `^${core}` },
      to: { path: 'node_modules/@middy/' },
    },
    {
      name: 'serverless-plugin-without-sdk-v2',
      comment: 'The Serverless plugin uses none of the framework SDK v2 helpers (osls v4 removed them), nor the SDK v2.',
      severity: 'error',
      from: { path: '^packages/serverless/src/' },
      to: { path: 'node_modules/aws-sdk/' },
    },
    ...layerRules,
  ],
  options: {
    // Type-only imports count: a cycle of types is one careless value import from a cycle of modules.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '/dist/', '/test/'] },
  },
}
