// The closed sets are unions, not strings: a kind, a registered type, a refusing rule that is
// none of them is a type error, and the one list of kinds has exactly the kinds.
import { expectTypeOf } from 'expect-type'
import type { ArnService, InstanceType, KINDS, Kind, KindFacts, ResourceRule, TargetAttribute } from '../../src/iam.js'
import {
  type AnyDependency,
  type DisallowedTargetError,
  eventBus,
  type InstanceTypeMismatchError,
  queue,
  stateMachine,
  type TargetRule,
} from '../../src/index.js'

expectTypeOf<Kind>().toEqualTypeOf<'lambda' | 'queue' | 'topic' | 'http' | 'stateMachine' | 'eventBus' | 'instance'>()
expectTypeOf<InstanceType>().toEqualTypeOf<'lambda' | 'sqs' | 'sns' | 'http' | 'stepfunctions' | 'eventbridge'>()
expectTypeOf<TargetAttribute>().toEqualTypeOf<'arn' | 'url' | 'name'>()
expectTypeOf<ResourceRule>().toEqualTypeOf<'arn' | 'function' | 'queue' | 'unqualified' | 'bus' | 'none'>()
expectTypeOf<ArnService>().toEqualTypeOf<'lambda' | 'sqs' | 'sns' | 'states' | 'events'>()
expectTypeOf<TargetRule>().toEqualTypeOf<
  'allowedAccounts' | 'allowedRegions' | 'allowedHosts' | 'always refused' | 'sqs url' | 'http url' | 'http redirect'
>()

// The table has a key for each kind and no other; each entry knows which kind it is.
expectTypeOf<keyof typeof KINDS>().toEqualTypeOf<Kind>()
expectTypeOf<(typeof KINDS)['stateMachine']['kind']>().toEqualTypeOf<'stateMachine'>()
expectTypeOf<KindFacts['type']>().toEqualTypeOf<InstanceType | undefined>()
expectTypeOf<KindFacts['factory']>().toEqualTypeOf<`${Kind}()`>()

// The closed sets on the public types.
expectTypeOf<AnyDependency['kind']>().toEqualTypeOf<Kind>()
expectTypeOf(queue('prod.scheduler->jobs').kind).toEqualTypeOf<Kind>()
expectTypeOf<InstanceTypeMismatchError['expected']>().toEqualTypeOf<InstanceType>()
expectTypeOf<DisallowedTargetError['rule']>().toEqualTypeOf<TargetRule>()

// A string is not a kind, a kind is not a type.
expectTypeOf<string>().not.toExtend<Kind>()
expectTypeOf<'sqs'>().not.toExtend<Kind>()
expectTypeOf<'queue'>().not.toExtend<InstanceType>()
expectTypeOf<'eventbus'>().not.toExtend<Kind>()

// `label` is the address as text; `address` on a dependency is the parsed object.
expectTypeOf(stateMachine('prod.flows->invoice').label).toEqualTypeOf<string>()
expectTypeOf(eventBus('prod.events->orders').address).toHaveProperty('namespace')
expectTypeOf<InstanceTypeMismatchError['label']>().toEqualTypeOf<string>()
