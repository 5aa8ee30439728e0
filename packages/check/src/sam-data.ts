// SAM's own data, vendored unmodified in the package's sam/ folder (Apache-2.0, see sam/NOTICE):
// its policy templates and its connector profiles. Read from beside dist/ (or src/), once, when
// first needed: no JSON import, which Node.js 20's early releases and tsc would each treat apart.
import { readFileSync } from 'node:fs'

/** One of SAM's policy templates: its parameters, and its policy document with `Ref`s to them. */
export interface SamPolicyTemplate {
  readonly Parameters: Readonly<Record<string, unknown>>
  readonly Definition: unknown
}

/** SAM's connector profiles: by source type, then destination type. */
export interface ConnectorProfiles {
  readonly Permissions: Readonly<Record<string, Readonly<Record<string, ConnectorProfile>>>>
  readonly CfnResourceProperties: Readonly<Record<string, { readonly Outputs?: Readonly<Record<string, unknown>> }>>
}

/** What a connector from one type to another grants. */
export interface ConnectorProfile {
  readonly Type: string
  readonly Properties: {
    /** True when the source's role gets the statements. */
    readonly SourcePolicy?: boolean
    /** The statements of each permission (`Read`, `Write`), with `%{Destination.Arn}` and the like. */
    readonly AccessCategories: Readonly<Record<string, { readonly Statement: readonly unknown[] }>>
  }
}

const cache = new Map<string, unknown>()

function read<T>(name: string): T {
  let value = cache.get(name)
  if (value === undefined) {
    value = JSON.parse(readFileSync(new URL(`../sam/${name}`, import.meta.url), 'utf8'))
    cache.set(name, value)
  }
  return value as T
}

/** SAM's policy templates (`policy_templates.json`), by name. */
export const samPolicyTemplates = (): Readonly<Record<string, SamPolicyTemplate>> =>
  read<{ Templates: Record<string, SamPolicyTemplate> }>('policy_templates.json').Templates

/** SAM's connector profiles (`connector_profiles.json`). */
export const connectorProfiles = (): ConnectorProfiles => read<ConnectorProfiles>('connector_profiles.json')
