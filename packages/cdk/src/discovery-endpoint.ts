import * as ec2 from 'aws-cdk-lib/aws-ec2'

/** Props of `addDiscoveryEndpoint()`. */
export interface DiscoveryEndpointProps {
  /**
   * The endpoint's construct id, under the VPC.
   *
   * @default 'CloudMapDiscoveryEndpoint'
   */
  readonly id?: string
  /**
   * Where the endpoint's network interfaces go: the subnets of the functions that discover.
   *
   * @default - one subnet per availability zone of the VPC's private (else isolated) subnets
   */
  readonly subnets?: ec2.SubnetSelection
  /**
   * The endpoint's security groups.
   *
   * @default - a new security group
   */
  readonly securityGroups?: ec2.ISecurityGroup[]
  /**
   * What may connect to the endpoint on HTTPS: the functions that discover (a
   * `lambda.Function` in the VPC is an `ec2.IConnectable`).
   *
   * @default - none besides `open`
   */
  readonly allowFrom?: readonly ec2.IConnectable[]
  /**
   * Whether any address of the VPC may connect on HTTPS.
   *
   * @default - `true` without `allowFrom`, `false` with it
   */
  readonly open?: boolean
  /**
   * Whether the endpoint answers for `data-servicediscovery.<region>.amazonaws.com`, the
   * name the AWS SDK sends `DiscoverInstances` to. Turn it off only when you point the
   * Cloud Map client at the endpoint's own DNS name.
   *
   * @default true
   */
  readonly privateDnsEnabled?: boolean
  /**
   * The FIPS endpoint (`data-servicediscovery-fips`), for a client configured with `useFipsEndpoint`.
   *
   * @default false
   */
  readonly fips?: boolean
}

/**
 * Adds the interface VPC endpoint of Cloud Map's discovery API
 * (`com.amazonaws.<region>.data-servicediscovery`) to a VPC, so functions in subnets with
 * no NAT gateway can call `DiscoverInstances`. It serves discovery only: the calls the
 * handler makes next (Lambda, SQS, SNS, Step Functions, EventBridge) need their own
 * endpoints, or a NAT gateway.
 *
 * @param vpc - the VPC of the functions.
 * @param props - subnets, security groups, who may connect.
 * @returns the endpoint.
 * @example
 * ```ts
 * const vpc = new ec2.Vpc(this, 'Vpc', { natGateways: 0, subnetConfiguration: [
 *   { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
 * ] })
 * const fn = new lambda.Function(this, 'Handler', { vpc, ... })
 * addDiscoveryEndpoint(vpc, { allowFrom: [fn] })
 * ```
 */
export function addDiscoveryEndpoint(vpc: ec2.IVpc, props: DiscoveryEndpointProps = {}): ec2.InterfaceVpcEndpoint {
  const allowFrom = props.allowFrom ?? []
  const endpoint = vpc.addInterfaceEndpoint(props.id ?? 'CloudMapDiscoveryEndpoint', {
    service: new ec2.InterfaceVpcEndpointAwsService(props.fips ? 'data-servicediscovery-fips' : 'data-servicediscovery'),
    privateDnsEnabled: props.privateDnsEnabled ?? true,
    open: props.open ?? allowFrom.length === 0,
    ...(props.subnets === undefined ? {} : { subnets: props.subnets }),
    ...(props.securityGroups === undefined ? {} : { securityGroups: props.securityGroups }),
  })
  for (const peer of allowFrom) endpoint.connections.allowDefaultPortFrom(peer, 'HTTPS to Cloud Map discovery')
  return endpoint
}
