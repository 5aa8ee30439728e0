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

/** Region and account of an AWS SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), when it has them. */
export function parseQueueUrl(url: string): { readonly region?: string; readonly account?: string; readonly name?: string } {
  try {
    const { hostname, pathname } = new URL(url)
    const [account, name] = pathname.split('/').filter(Boolean)
    const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(hostname)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com/.exec(hostname)?.[1]
    return {
      ...(region === undefined ? {} : { region }),
      ...(account !== undefined && /^\d{12}$/.test(account) ? { account } : {}),
      ...(name === undefined ? {} : { name }),
    }
  } catch {
    return {}
  }
}
