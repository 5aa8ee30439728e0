// A template's parameters as CloudFormation takes them: given values over defaults, pseudo
// parameters, and the values CloudFormation refuses (AllowedValues, AllowedPattern, lengths, ranges).
import { own, record } from '../own.js'
import { type CompiledPattern, compilePattern, PatternError } from '../pattern.js'
import type { Template } from '../template.js'
import { type ParameterValues, TemplateError } from './types.js'

/** CloudFormation's pseudo parameters, from what was given or the defaults. */
function pseudoParameters(given: ParameterValues, path: string): Record<string, string | string[]> {
  const region = given['AWS::Region'] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'
  const stackName = given['AWS::StackName'] ?? (path.split(/[\\/]/).pop() ?? 'stack').replace(/\..*$/, '').replace(/[^A-Za-z0-9-]/g, '-')
  const accountId = given['AWS::AccountId'] ?? '123456789012'
  return {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': partition,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
    'AWS::NotificationARNs': [],
  }
}

/**
 * The template's parameters: given values over defaults; a parameter with neither is a usage error.
 * A parameter of an SSM type (`AWS::SSM::Parameter::Value<String>`) holds the name of an SSM
 * parameter whose value only a deploy reads: its value is a placeholder.
 */
export function parameterValues(template: Template, given: ParameterValues, path: string): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = Object.assign(record<string | string[]>(), pseudoParameters(given, path))
  const declared = (template.Parameters ?? {}) as Record<string, unknown>
  if (typeof declared !== 'object' || Array.isArray(declared)) throw new TemplateError('Parameters: not a map of parameters')
  for (const name of Object.keys(given)) {
    if (!name.startsWith('AWS::') && !Object.hasOwn(declared, name)) {
      throw new TemplateError(`--param ${name}: the template has no parameter ${name}`)
    }
  }
  for (const [name, declaration] of Object.entries(declared)) {
    if (declaration === null || typeof declaration !== 'object' || Array.isArray(declaration)) {
      throw new TemplateError(`parameter ${name}: its declaration is ${declaration === null ? 'empty' : 'not a map'} (it has no Type)`)
    }
    const { Type, Default } = declaration as { Type?: unknown; Default?: unknown }
    const value = own(given, name) ?? (Default === undefined || Default === null ? undefined : [Default].flat().map(String).join(','))
    if (value === undefined) throw new TemplateError(`parameter ${name} has no default: give --param ${name}=<value>`)
    allowed(name, declaration as Record<string, unknown>, value)
    const type = typeof Type === 'string' ? Type : 'String'
    // An SSM parameter's value is read at deploy time: known here only when given with --param.
    if (type.startsWith('AWS::SSM::Parameter::Value<') && own(given, name) === undefined) values[name] = `«${type} ${value}»`
    else values[name] = type === 'CommaDelimitedList' || type.startsWith('List<') ? (value === '' ? [] : value.split(',')) : value
  }
  return values
}

/** A parameter's `AllowedPattern`, matched in linear time: one it cannot evaluate is a usage error naming why. */
function allowedPattern(name: string, pattern: string): CompiledPattern {
  try {
    return compilePattern(pattern)
  } catch (error) {
    if (!(error instanceof PatternError)) throw error
    throw new TemplateError(`parameter ${name}: its AllowedPattern ${pattern} cannot be evaluated here: ${error.message}`)
  }
}

/** CloudFormation's largest parameter value, in bytes (its quotas: "Parameter value"). */
const PARAMETER_VALUE_BYTES = 4096

/** Does `item` match the parameter's `AllowedPattern`? A pattern too costly to match is a usage error naming why. */
function matchesPattern(name: string, pattern: string, item: string): boolean {
  const compiled = allowedPattern(name, pattern)
  try {
    return compiled.matches(item)
  } catch (error) {
    if (!(error instanceof PatternError)) throw error
    throw new TemplateError(`parameter ${name}: its AllowedPattern cannot be evaluated here: ${error.message}`)
  }
}

/** Refuses a value CloudFormation would refuse: over its size, not one of `AllowedValues`, not matching `AllowedPattern`, out of length or range. */
function allowed(name: string, declaration: Record<string, unknown>, value: string): void {
  const { AllowedValues, AllowedPattern, MinLength, MaxLength, MinValue, MaxValue, Type } = declaration
  const bytes = Buffer.byteLength(value)
  if (bytes > PARAMETER_VALUE_BYTES) {
    throw new TemplateError(
      `parameter ${name}: its value is ${bytes.toLocaleString('en-US')} bytes; CloudFormation takes at most ${PARAMETER_VALUE_BYTES.toLocaleString('en-US')}`,
    )
  }
  const items = Type === 'CommaDelimitedList' || String(Type).startsWith('List<') ? value.split(',') : [value]
  for (const item of items) {
    if (Array.isArray(AllowedValues) && !AllowedValues.map(String).includes(item)) {
      throw new TemplateError(`parameter ${name}: "${item}" is not one of its AllowedValues (${AllowedValues.map(String).join(', ')})`)
    }
    if (typeof AllowedPattern === 'string' && !matchesPattern(name, AllowedPattern, item)) {
      throw new TemplateError(`parameter ${name}: "${item}" does not match its AllowedPattern ${AllowedPattern}`)
    }
    if ((MinLength !== undefined && item.length < Number(MinLength)) || (MaxLength !== undefined && item.length > Number(MaxLength))) {
      throw new TemplateError(`parameter ${name}: "${item}" is not within its MinLength/MaxLength`)
    }
    if (
      Type === 'Number' &&
      ((MinValue !== undefined && Number(item) < Number(MinValue)) || (MaxValue !== undefined && Number(item) > Number(MaxValue)))
    ) {
      throw new TemplateError(`parameter ${name}: ${item} is not within its MinValue/MaxValue`)
    }
  }
}
