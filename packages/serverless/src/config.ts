// What `custom.cloudMap` and `functions.<name>.cloudMap` of serverless.yml hold: the types, and the
// JSON schemas the framework validates them with (configSchemaHandler).

/** An instance of a Cloud Map service: one target (or attributes only), and attributes of your own. */
export interface InstanceConfig {
  /** A function of this service (its key under `functions:`): `type: lambda`, `arn`. */
  readonly function?: string
  /** An `AWS::SQS::Queue` of `resources:` (its logical id): `type: sqs`, `arn`, `url`. */
  readonly queue?: string
  /** An `AWS::SNS::Topic` of `resources:`: `type: sns`, `arn`. */
  readonly topic?: string
  /** An `AWS::StepFunctions::StateMachine` of `resources:`: `type: stepfunctions`, `arn`. */
  readonly stateMachine?: string
  /** An `AWS::Events::EventBus` of `resources:`: `type: eventbridge`, `arn`. */
  readonly eventBus?: string
  /** An HTTP service's base URL: `type: http`, `url`. */
  readonly http?: string
  /**
   * Attributes of your own (what a dependency's `attributes` schema reads); alone, an instance for
   * `instance()`. Never `type`, `arn`, `url` or `name`: the kind's own, written by the plugin.
   */
  readonly attributes?: Readonly<Record<string, unknown>>
}

/** A Cloud Map service and its instances, by instance id. */
export interface ServiceConfig {
  /** A description of the service. */
  readonly description?: string
  /** The instances, by instance id (what an address pins after `->`). */
  readonly instances?: Readonly<Record<string, InstanceConfig>>
}

/**
 * A namespace: one the stack creates (an HTTP namespace), or one that exists (`id`). Its key names
 * its resources' logical ids; the framework resolves no variable in a key, so a stage's name goes
 * in `name`.
 */
export interface NamespaceConfig {
  /** The namespace's name (`\${sls:stage}`): what addresses start with. Default: its key. */
  readonly name?: string
  /** The id (`ns-…`) of a namespace that exists: the stack creates only its services. */
  readonly id?: string
  /** A description of the namespace the stack creates. */
  readonly description?: string
  /** Its services, by name. */
  readonly services?: Readonly<Record<string, ServiceConfig>>
}

/** How the functions' permissions are granted. */
export type RolesMode = 'per-function' | 'shared' | 'none'

/** `custom.cloudMap` of serverless.yml. */
export interface CloudMapConfig {
  /** The namespaces, by name. */
  readonly namespaces?: Readonly<Record<string, NamespaceConfig>>
  /**
   * `per-function` (the default): a role per function holding exactly what its handler declares;
   * `shared`: the statements of every function added to the service's one role; `none`: nothing granted.
   */
  readonly roles?: RolesMode
  /** Run `cloudmap-middy check` on the template `sls package` writes and fail the package on a ✗. Default true. */
  readonly check?: boolean
  /** How long a handler module may take to load. Default 30 000 ms. */
  readonly timeoutMs?: number
  /**
   * Give every function the snapshot of the registrations of the services its handler declares
   * (`CLOUDMAP_MIDDY_SNAPSHOT`, resolved at deploy): its cold start discovers nothing. Default false.
   */
  readonly snapshot?: boolean
}

/** `functions.<name>.cloudMap` of serverless.yml. */
export interface FunctionCloudMapConfig {
  /** The calls the handler makes, by dependency name, when they are not the kind's defaults: `{ jobs: [receive] }`. */
  readonly calls?: Readonly<Record<string, readonly string[]>>
  /** Dependencies registered elsewhere (by name): `DiscoverInstances` only, no call granted, no check of the registration. */
  readonly external?: readonly string[]
  /** IAM statements of the function's own (its table, its bucket): added to its role. */
  readonly statements?: readonly unknown[]
  /** This function's snapshot, over `custom.cloudMap.snapshot`. */
  readonly snapshot?: boolean
}

/** The kind keys of an instance: one at most. */
export const TARGET_KEYS = ['function', 'queue', 'topic', 'stateMachine', 'eventBus', 'http'] as const

const name = { type: 'string', minLength: 1 }

/** The JSON schema of `custom.cloudMap`, for `configSchemaHandler.defineCustomProperties()`. */
export const CUSTOM_SCHEMA = {
  type: 'object',
  properties: {
    cloudMap: {
      type: 'object',
      properties: {
        namespaces: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: {
              name: { type: 'string', minLength: 1 },
              id: { type: 'string', pattern: '^ns-[a-zA-Z0-9]+$' },
              description: { type: 'string' },
              services: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: {
                    description: { type: 'string' },
                    instances: {
                      type: 'object',
                      additionalProperties: {
                        type: 'object',
                        properties: {
                          function: name,
                          queue: name,
                          topic: name,
                          stateMachine: name,
                          eventBus: name,
                          http: { type: 'string', pattern: '^https?://' },
                          attributes: {
                            type: 'object',
                            additionalProperties: {
                              anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object' }],
                            },
                          },
                        },
                        additionalProperties: false,
                      },
                    },
                  },
                  additionalProperties: false,
                },
              },
            },
            additionalProperties: false,
          },
        },
        roles: { type: 'string', enum: ['per-function', 'shared', 'none'] },
        check: { type: 'boolean' },
        timeoutMs: { type: 'integer', minimum: 1 },
        snapshot: { type: 'boolean' },
      },
      additionalProperties: false,
    },
  },
} as const

/** The JSON schema of `functions.<name>.cloudMap`, for `configSchemaHandler.defineFunctionProperties()`. */
export const FUNCTION_SCHEMA = {
  properties: {
    cloudMap: {
      type: 'object',
      properties: {
        calls: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        external: { type: 'array', items: { type: 'string' } },
        statements: { type: 'array', items: { type: 'object' } },
        snapshot: { type: 'boolean' },
      },
      additionalProperties: false,
    },
  },
} as const
