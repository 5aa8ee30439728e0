import { describe, expect, it } from '@jest/globals'
import { App, Stack } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import * as ec2 from 'aws-cdk-lib/aws-ec2'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { addDiscoveryEndpoint } from '../../src/index.js'

/** A VPC without NAT: isolated subnets only. */
function isolatedVpc(): { stack: Stack; vpc: ec2.IVpc } {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } })
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  })
  // aws-cdk-lib's classes declare optional properties as `T | undefined`, which exactOptionalPropertyTypes
  // does not let their interfaces take: the VPC is handed over as the interface the helper asks for.
  return { stack, vpc: vpc as ec2.IVpc }
}

describe('Function: addDiscoveryEndpoint', () => {
  it("It should add the interface endpoint of Cloud Map's discovery API, with private DNS", () => {
    // Prepare
    const { stack, vpc } = isolatedVpc()

    // Act
    addDiscoveryEndpoint(vpc)

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.eu-west-1.data-servicediscovery',
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcisolatedSubnet1') }, { Ref: Match.stringLikeRegexp('^VpcisolatedSubnet2') }],
    })
  })

  it('It should let any address of the VPC connect on 443 when no function is named', () => {
    const { stack, vpc } = isolatedVpc()

    addDiscoveryEndpoint(vpc)

    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ CidrIp: { 'Fn::GetAtt': [Match.anyValue(), 'CidrBlock'] }, FromPort: 443, ToPort: 443 })],
    })
  })

  it('It should let only the named functions connect when allowFrom is given', () => {
    const { stack, vpc } = isolatedVpc()
    const handler = new lambda.Function(stack, 'Handler', {
      vpc,
      runtime: lambda.Runtime.NODEJS_LATEST,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => null'),
    })

    addDiscoveryEndpoint(vpc, { allowFrom: [handler] })

    const template = Template.fromStack(stack)
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^HandlerSecurityGroup'), 'GroupId'] },
    })
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
    expect(groups.flatMap((group) => group.Properties.SecurityGroupIngress ?? [])).toEqual([])
  })

  it('It should add the FIPS endpoint when asked', () => {
    const { stack, vpc } = isolatedVpc()

    addDiscoveryEndpoint(vpc, { fips: true })

    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.eu-west-1.data-servicediscovery-fips',
    })
  })
})
