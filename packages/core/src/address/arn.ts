/** The parts of an ARN: `arn:partition:service:region:account:resource`. */
export interface ArnParts {
  readonly partition: string
  readonly service: string
  readonly region: string
  readonly account: string
  readonly resource: string
}

const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/

/** Splits an ARN, or returns `undefined` when it is not one. */
export function parseArn(arn: string): ArnParts | undefined {
  const match = ARN.exec(arn)
  if (!match) return undefined
  const [, partition = '', service = '', region = '', account = '', resource = ''] = match
  return { partition, service, region, account, resource }
}
