// A stand-in for the `@aws-sdk/client-servicediscovery` module, for `jest.unstable_mockModule`:
// it records in `seen` when it is loaded (Jest evaluates a module mock's factory when the module is
// first imported), the configuration of each client made and the input of each command sent, and
// answers every DiscoverInstances with `instances`.

export interface SeenByFakeSdk {
  readonly loaded: string[]
  readonly configs: Array<Record<string, unknown>>
  readonly sent: Array<Record<string, unknown>>
}

/** The module's stand-in: a client class, and the commands the registry sends. */
export function fakeCloudMapSdk(seen: SeenByFakeSdk, instances: ReadonlyArray<{ InstanceId: string; Attributes: Record<string, string> }>) {
  seen.loaded.push('@aws-sdk/client-servicediscovery')
  const stack = () => ({ add: () => undefined })
  class ServiceDiscoveryClient {
    readonly middlewareStack = stack()
    constructor(config: Record<string, unknown> = {}) {
      seen.configs.push(config)
    }
    async send(command: { readonly input: Record<string, unknown> }) {
      seen.sent.push(command.input)
      return { Instances: instances }
    }
  }
  class Command {
    readonly middlewareStack = stack()
    constructor(readonly input: unknown) {}
  }
  return { ServiceDiscoveryClient, DiscoverInstancesCommand: Command, DiscoverInstancesRevisionCommand: Command }
}
