// What reading a template gives: the model the check works on, and the usage error for a template
// that cannot be read as asked.
import type { SourcedStatement } from '../iam.js'
import type { Pseudo } from '../sam-policies.js'

/** A template's parameters as given (`--param Name=Value`), pseudo parameters (`AWS::Region`, `AWS::AccountId`) included. */
export type ParameterValues = Readonly<Record<string, string>>

/** An instance the template registers. */
export interface TemplateInstance {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** The namespace's name. */
  readonly namespace: string
  /** The service's name. */
  readonly service: string
  /** The instance id. */
  readonly instanceId: string
  /** Its attributes, intrinsics resolved, as Cloud Map holds them (strings). */
  readonly attributes: Readonly<Record<string, string>>
}

/** A Cloud Map service the template creates. */
export interface TemplateService {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** The service's name. */
  readonly name: string
  /** The namespace's name, or `undefined` when the namespace is not in this template. */
  readonly namespace: string | undefined
  /**
   * Its ARN (`arn:aws:servicediscovery:<region>:<account>:service/srv-…`), the resource of a
   * `servicediscovery:DiscoverInstances` statement that names it.
   */
  readonly arn: string
}

/** Where a function's handler is, when it could be found. */
export interface HandlerLocation {
  /** Absolute path of the module. */
  readonly module: string
  /** The export Lambda calls (`handler` of `app.handler`). */
  readonly exportName: string
}

/** A function of the template. */
export interface TemplateFunction {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** Its `FunctionName`, or the logical id when it has none. */
  readonly name: string
  /** Its runtime (`nodejs22.x`, intrinsics resolved), when set. */
  readonly runtime: string | undefined
  /** The handler module, or why it was not found. */
  readonly handler:
    | HandlerLocation
    | {
        /** Why no module was found, and how to give one. */
        readonly missing: string
      }
  /** Why the function is not checked (another runtime, a container image, inline code, `--skip`), or `undefined`. */
  readonly skipped: string | undefined
  /** Its environment variables (intrinsics resolved). */
  readonly environment: Readonly<Record<string, string>>
  /**
   * Where its permissions come from: `template` when its role is one of the template (its own
   * `AWS::IAM::Role`, or the role SAM creates for a function without `Role`), `outside` when its
   * `Role` is not in the template (its {@link TemplateFunction.statements} are then empty: its
   * permissions are not known).
   */
  readonly permissions: 'template' | 'outside'
  /** Every statement of its role's identity policies. */
  readonly statements: readonly SourcedStatement[]
  /**
   * Its role's permissions boundary (`PermissionsBoundary`), when it has one: the statements of
   * the managed policy it names (a policy of the template, or an AWS managed policy known here),
   * or `unknown` (the policy's ARN) for any other policy. An action the boundary does not allow
   * is denied whatever the statements allow.
   */
  readonly boundary?:
    | {
        /** The boundary policy's statements. */
        readonly statements: readonly SourcedStatement[]
      }
    | {
        /** The ARN of a boundary policy whose statements are not known. */
        readonly unknown: string
      }
  /** What could not be read about it (unknown policy templates and managed policies, what could not be resolved). */
  readonly notes: readonly string[]
}

/** What a template deploys, as far as the check needs it. */
export interface TemplateModel {
  /** The template's path. */
  readonly path: string
  /** `sam` when the template uses the Serverless transform, else `cloudformation` (a CDK template). */
  readonly form: 'sam' | 'cloudformation'
  /** The parameters it was read with, defaults and pseudo parameters included. */
  readonly parameters: Readonly<Record<string, string | string[]>>
  /** The partition, region and account its ARNs are built in. */
  readonly pseudo: Pseudo
  /** The namespaces' names. */
  readonly namespaces: readonly string[]
  /** Each namespace's ARN (`arn:aws:servicediscovery:<region>:<account>:namespace/ns-…`), by its name. */
  readonly namespaceArns: Readonly<Record<string, string>>
  /** The Cloud Map services it creates. */
  readonly services: readonly TemplateService[]
  /** The instances it registers (in services of its own namespaces). */
  readonly instances: readonly TemplateInstance[]
  /** Its Lambda functions (`AWS::Serverless::Function`, `AWS::Lambda::Function`). */
  readonly functions: readonly TemplateFunction[]
  /**
   * The customer managed KMS key of each queue (`AWS::SQS::Queue`) and topic (`AWS::SNS::Topic`)
   * encrypted with one, by the queue's or topic's ARN: the key's ARN
   * (`arn:aws:kms:<region>:<account>:key/<id>`, an alias of the template given as its key's ARN),
   * or the `KmsMasterKeyId` as resolved when it names something else (an alias from elsewhere).
   * A queue or topic with no key, or an AWS managed one (`alias/aws/sqs`), is left out.
   */
  readonly keys: Readonly<Record<string, string>>
  /** The ARNs of the template's EXPRESS state machines (a handler may `run()` them: StartSyncExecution). */
  readonly express: readonly string[]
  /**
   * What the template holds that is not checked, one line each: a service whose namespace is not in
   * the template (`service <name> (<logicalId>): its namespace is not in this template; its instances are not checked`),
   * an instance of a service from elsewhere.
   */
  readonly notes: readonly string[]
}

/** Options of {@link readTemplate}. */
export interface ReadOptions {
  /** Parameter values, and `AWS::Region` / `AWS::AccountId` / `AWS::StackName`. */
  readonly parameters?: ParameterValues
  /**
   * Handler modules by function (logical id or `FunctionName`): a path, relative to the
   * working directory, optionally with `#exportName`. Needed for a CDK template, whose functions
   * run a bundle.
   */
  readonly handlers?: Readonly<Record<string, string>>
  /** Functions not to check (logical id or `FunctionName`): not ours, or checked elsewhere. */
  readonly skip?: readonly string[]
}

/** A template that cannot be read as asked: a usage error (exit code 2). */
export class TemplateError extends Error {
  /** `TemplateError`. */
  override readonly name = 'TemplateError'
}
